# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp
import signal
import sys
from typing import Sequence

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook

from ...compat import HOOKS


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Stop cleanly on a pre-emption signal: finish the iteration, write a
    checkpoint, exit.

    On any of ``signals`` (by default ``SIGTERM``, which schedulers send
    before they kill a job, and ``SIGUSR1``, what slurm's ``--signal=USR1@N``
    sends ``N`` seconds before the time limit), the current iteration is
    finished; then every process agrees to stop, ``iter_{N}.pth`` is written
    (with the optimizer, schedulers, queues and, with
    :class:`RNGStateHook`, the random generators) and recorded as the work
    directory's last checkpoint, a log line says so, and the process exits
    with ``exit_code``. ``--resume`` then continues from that iteration
    (with :class:`ResumableEpochBasedTrainLoop`, inside the epoch), as if
    nothing had happened: at most the interrupted iteration's time is lost.

    Args:
        signals (Sequence[str]): Names of the signals to handle.
            Defaults to ``('SIGTERM', 'SIGUSR1')``.
        exit_code (int): The exit status after the checkpoint is written.
            Defaults to 0.
    """

    priority = 'VERY_LOW'  # after the other hooks have seen the iteration

    def __init__(self,
                 signals: Sequence[str] = ('SIGTERM', 'SIGUSR1'),
                 exit_code: int = 0) -> None:
        unknown = [s for s in signals if not hasattr(signal, s)]
        if unknown:
            raise ValueError(f'PreemptionHook: unknown signals {unknown}.')
        self.signals = tuple(signals)
        self.exit_code = exit_code
        self.received = None

    def _handle(self, signum, frame) -> None:
        self.received = signal.Signals(signum).name

    def before_train(self, runner) -> None:
        """Install the signal handlers."""
        for name in self.signals:
            signal.signal(getattr(signal, name), self._handle)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Checkpoint and exit if any process received a signal."""
        stop = torch.tensor([float(self.received is not None)])
        all_reduce(stop, op='max')  # in place; a no-op in one process
        if not stop.item():
            return
        iteration = runner.iter + 1  # this iteration is complete
        name = f'iter_{iteration}.pth'
        runner.save_checkpoint(
            runner.work_dir,
            name,
            meta=dict(epoch=runner.epoch, iter=iteration))
        path = osp.join(runner.work_dir, name)
        if is_main_process():
            with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(path)
        runner.logger.warning(
            f'Pre-empted ({self.received or "signal on another process"}) '
            f'at iteration {iteration}: wrote {path}; continue with '
            '--resume.')
        sys.exit(self.exit_code)
