# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.distributed as dist
from mmengine.dist import is_distributed
from mmengine.model import is_model_wrapper


class DivergenceGuard:
    """Stop a training step whose loss is not finite, before its backward
    pass and optimizer step, and keep the last good state.

    A forward hook on the model checks the loss dict of every training
    forward (``mode='loss'``): if ``loss`` is not finite on any process
    (the processes agree with an all-reduce, so all stop at the same step),
    it raises ``FloatingPointError`` naming the non-finite ``loss_*`` terms.
    :meth:`step` then puts back the buffers (BN statistics, queues) as they
    were before the step, writes ``diverged_iter_N.pth`` in the work
    directory and lets the error through. The weights are those of before
    the step: the optimizer did not run. The buffers are copied at every
    step into a copy kept for the run (one more copy of the buffers in
    memory, e.g. 256 MB for the ResNet-50 configs, most of it the queues).

    :class:`ResumableEpochBasedTrainLoop`, the loop of every mmdetco
    pre-training config, runs each iteration in :meth:`step`, so every
    launcher gets this behaviour.

    Args:
        runner (Runner): The runner whose model is guarded.
    """

    def __init__(self, runner) -> None:
        self.runner = runner
        model = runner.model
        self.model = model.module if is_model_wrapper(model) else model
        self._handle = self.model.register_forward_hook(self._check)
        self._buffers = list(self.model.buffers())
        self._saved = [buffer.clone() for buffer in self._buffers]

    def remove(self) -> None:
        """Remove the forward hook."""
        self._handle.remove()

    @staticmethod
    def _check(module: torch.nn.Module, args, output) -> None:
        """Raise ``FloatingPointError`` if a loss dict is not finite on any
        process."""
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

    @contextmanager
    def step(self) -> Iterator[None]:
        """Run one training iteration; on ``FloatingPointError`` restore
        the buffers and save ``diverged_iter_N.pth``."""
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
            name = f'diverged_iter_{runner.iter}.pth'
            runner.save_checkpoint(runner.work_dir, name)
            runner.logger.error(
                f'{error}\nStopped at iteration {runner.iter}; the last good '
                f'state is {osp.join(runner.work_dir, name)} (resume from it '
                'with --resume PATH, e.g. with a lower learning rate).')
            raise
