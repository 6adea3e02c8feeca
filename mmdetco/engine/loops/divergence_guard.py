# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.distributed as dist
from mmengine.dist import is_distributed
from mmengine.optim import AmpOptimWrapper

from ...utils import get_ori_model


class DivergenceGuard:
    """Stop a step whose loss is not finite and keep the last good state.

    The step stops before its backward pass and optimizer step.

    A forward hook on the model checks the loss dict of every training
    forward (``mode='loss'``): if ``loss`` is not finite on any process
    (the processes agree with an all-reduce, so all stop at the same step),
    it raises ``FloatingPointError`` naming the non-finite ``loss_*`` terms.
    :meth:`step` then puts back the buffers (BN statistics, queues) as they
    were before the step, writes ``diverged_iter_N.pth`` in the work
    directory and lets the error through. The weights are those of before
    the step: the optimizer did not run. The buffers are copied at every
    step into a copy kept for the run (one more copy of the buffers in
    memory, most of it the queues).

    Under fp16 (an ``AmpOptimWrapper`` of dtype ``float16`` with a dynamic
    loss scale), whose loss scaler skips the steps that overflow, up to
    ``max_skipped_steps`` consecutive non-finite steps are skipped instead:
    the buffers are put back, the scale is backed off as the scaler does
    (times its ``backoff_factor``), a warning is logged and :attr:`skipped`
    is set; the next one stops the run as above. bf16 and fp32 runs stop at
    the first.

    :class:`ResumableEpochBasedTrainLoop` (the loop of every mmdetco
    pre-training config) runs each iteration in :meth:`step` unless its
    ``divergence_guard`` is False.

    Args:
        runner (Runner): The runner whose model is guarded.
        max_skipped_steps (int): Under fp16 with a dynamic loss scale, the
            number of consecutive non-finite steps skipped before the run
            stops. Defaults to 20.
    """

    def __init__(self, runner, max_skipped_steps: int = 20) -> None:
        self.runner = runner
        self.model = get_ori_model(runner.model)
        self._handle = self.model.register_forward_hook(self._check)
        self._buffers = list(self.model.buffers())
        self._saved = [buffer.clone() for buffer in self._buffers]
        self.max_skipped_steps = max_skipped_steps
        self._scaler = self._dynamic_fp16_scaler(
            getattr(runner, 'optim_wrapper', None))
        #: whether the last :meth:`step` was skipped (fp16)
        self.skipped = False
        self._consecutive = 0

    @staticmethod
    def _dynamic_fp16_scaler(optim_wrapper):
        """The scaler of an fp16 dynamic-scale ``AmpOptimWrapper``, or None.
        """
        if not isinstance(optim_wrapper, AmpOptimWrapper):
            return None
        scaler = optim_wrapper.loss_scaler
        fp16 = optim_wrapper.cast_dtype in (None, torch.float16)
        dynamic = optim_wrapper._scale_update_param is None
        if fp16 and dynamic and scaler.is_enabled():
            return scaler
        return None

    def remove(self) -> None:
        """Remove the forward hook."""
        self._handle.remove()

    @staticmethod
    def _check(module: torch.nn.Module, args, output) -> None:
        """Raise ``FloatingPointError`` if a loss is not finite anywhere."""
        if not (isinstance(output, dict) and 'loss' in output):
            return
        total = output['loss'].detach()
        finite = torch.isfinite(total).all().float()
        if is_distributed():
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        if finite.item():
            return
        bad = [
            f'{name} = {value.detach().mean().item()}'
            for name, value in output.items() if name.startswith('loss_')
            and not torch.isfinite(value.detach()).all()
        ]
        raise FloatingPointError(
            f'{type(module).__name__}: the loss is {total.mean().item()}; '
            f'non-finite terms: '
            f'{", ".join(bad) or "none here (another process diverged)"}. '
            'The weights were not updated.')

    def _back_off(self) -> str:
        """Back the loss scale off, as after a skipped step.

        Multiplies the scale by the scaler's ``backoff_factor`` and restarts
        its growth count, as ``GradScaler.update`` does.

        Returns:
            str: The change, e.g. ``'65536 -> 32768'``.
        """
        state = self._scaler.state_dict()
        old = state['scale']
        state.update(scale=old * state['backoff_factor'], _growth_tracker=0)
        self._scaler.load_state_dict(state)
        return f'{old:g} -> {state["scale"]:g}'

    @contextmanager
    def step(self) -> Iterator[None]:
        """Run one training iteration under the guard.

        On ``FloatingPointError`` the buffers are restored, then the step is
        skipped (fp16, see above) or ``diverged_iter_N.pth`` is saved and
        the error goes through.
        """
        self.skipped = False
        with torch.no_grad():
            for buffer, saved in zip(self._buffers, self._saved):
                saved.copy_(buffer)
        try:
            yield
        except FloatingPointError as error:
            with torch.no_grad():
                for buffer, saved in zip(self._buffers, self._saved):
                    buffer.copy_(saved)
            runner = self.runner
            if (self._scaler is not None
                    and self._consecutive < self.max_skipped_steps):
                self._consecutive += 1
                self.skipped = True
                runner.logger.warning(
                    f'{error}\nfp16: skipped iteration {runner.iter} as the '
                    f'loss scaler would; loss scale {self._back_off()} '
                    f'({self._consecutive} of at most '
                    f'{self.max_skipped_steps} consecutive skipped steps).')
                return
            name = f'diverged_iter_{runner.iter}.pth'
            runner.save_checkpoint(
                runner.work_dir,
                name,
                meta=dict(epoch=runner.epoch, iter=runner.iter))
            skipped = (f' after {self._consecutive} consecutive skipped '
                       'steps' if self._consecutive else '')
            runner.logger.error(
                f'{error}\nStopped at iteration {runner.iter}{skipped}; the '
                'last good state is '
                f'{osp.join(runner.work_dir, name)} (resume from it '
                'with --resume PATH, e.g. with a lower learning rate).')
            raise
        self._consecutive = 0
