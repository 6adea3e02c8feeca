# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage


class ForeachEMA(ExponentialMovingAverage):
    """:class:`ExponentialMovingAverage` updated with ``_foreach`` kernels.

    The update takes a few ``torch._foreach_*`` kernels and does not read
    the step counter from the device at every step.

    ``avg = (1 - momentum) * avg + momentum * param`` (``lerp``, as
    mmengine's EMA), the source copied at the first update, the buffers
    copied at every update (``update_buffers=False``). The state dict is
    mmengine's (``steps``, ``module.*``). The step counter is also kept on
    the host; it is read back from the ``steps`` buffer only when that
    buffer was changed from outside (loaded, restored, moved).

    Args:
        model (nn.Module): The model to be averaged.
        momentum (float): The weight of the source in the update.
            Defaults to 0.0002.
        interval (int): Update every ``interval`` steps. Defaults to 1.
        device (torch.device, optional): Where to keep the average.
            Defaults to None (the model's device).
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 0.0002,
                 interval: int = 1,
                 device: Optional[torch.device] = None) -> None:
        super().__init__(
            model, momentum, interval, device, update_buffers=False)
        #: ``(steps buffer, its version, its value)`` as last seen
        self._seen: Optional[Tuple[torch.Tensor, int, int]] = None

    def _num_steps(self) -> int:
        """The number of updates so far.

        Read from the host copy unless the ``steps`` buffer changed since it
        was last seen.
        """
        steps, seen = self.steps, self._seen
        if seen is None or seen[0] is not steps or \
                seen[1] != steps._version:
            return int(steps)  # one device read
        return seen[2]

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Average the parameters of ``model`` in; copy its buffers.

        Args:
            model (nn.Module): The source, with the same parameter names.
        """
        num_steps = self._num_steps()
        source = dict(model.named_parameters())
        averaged = [(p, source[k]) for k, p in self.avg_parameters.items()
                    if num_steps == 0 or p.dtype.is_floating_point]
        dst = [p.data for p, _ in averaged]
        src = [s.data.to(p.device) for p, s in averaged]
        if num_steps == 0:
            torch._foreach_copy_(dst, src)
        elif num_steps % self.interval == 0:
            torch._foreach_lerp_(dst, src, self.momentum)
        buffers = list(zip(self.module.buffers(), model.buffers()))
        if buffers:
            torch._foreach_copy_([b.data for b, _ in buffers],
                                 [s.data.to(b.device) for b, s in buffers])
        self.steps.add_(1)
        self._seen = (self.steps, self.steps._version, num_steps + 1)
