# Copyright (c) mmdetco contributors. All rights reserved.
import atexit
import multiprocessing
import os
import os.path as osp
import signal
import sys
from typing import Callable, Optional, Sequence

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook

from ...compat import HOOKS
from .logged_iters import logs_after_iter


class _IgnoreSignals:
    """A data-loader ``worker_init_fn`` that makes workers ignore signals.

    The worker ignores ``signals`` until :meth:`release` (called when the
    training process exits), then calls ``worker_init_fn`` (picklable, for
    workers that are spawned).

    Released, a worker ends on the signal as by default: the training
    process's exit stops its workers with ``SIGTERM``, and waits for them.
    """

    def __init__(self, signals: Sequence[str],
                 worker_init_fn: Optional[Callable]) -> None:
        self.signals = tuple(signals)
        self.worker_init_fn = worker_init_fn
        self._released = multiprocessing.Event()

    def release(self) -> None:
        """Let the workers end on the signals again."""
        self._released.set()

    def _handle(self, signum, frame) -> None:
        if self._released.is_set():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def __call__(self, worker_id: int) -> None:
        for name in self.signals:
            signal.signal(getattr(signal, name), self._handle)
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Checkpoint and exit at the next logged iteration after a signal.

    On any of ``signals`` (by default ``SIGTERM``, which schedulers send
    before they kill a job, and ``SIGUSR1``, what slurm's ``--signal=USR1@N``
    sends ``N`` seconds before the time limit), training goes on to the next
    iteration that the logger logs, where the processes agree to stop:
    ``iter_{N}.pth`` is written (with the optimizer, schedulers, queues and,
    with :class:`RNGStateHook`, the random generators) and recorded as the
    work directory's last checkpoint, and the process exits with
    ``exit_code``. ``--resume`` then continues from that iteration (with
    :class:`ResumableEpochBasedTrainLoop`, inside the epoch).

    The training data loader's workers ignore ``signals`` until the training
    process exits: a signal sent to the whole process group would otherwise
    kill them before the checkpoint is written. Leave the scheduler the time
    of ``default_hooks.logger.interval`` iterations and a checkpoint between
    the signal and the kill (docs/en/long_runs.md).

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
        """Install the signal handlers; the data workers ignore them."""
        for name in self.signals:
            signal.signal(getattr(signal, name), self._handle)
        loader = runner.train_loop.dataloader
        if not isinstance(loader.worker_init_fn, _IgnoreSignals):
            loader.worker_init_fn = _IgnoreSignals(self.signals,
                                                   loader.worker_init_fn)
            # before multiprocessing's own exit handler stops the workers
            atexit.register(loader.worker_init_fn.release)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Checkpoint and exit if any process received a signal.

        Checked at the iterations the logger logs.
        """
        if not logs_after_iter(runner, batch_idx):
            return
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
