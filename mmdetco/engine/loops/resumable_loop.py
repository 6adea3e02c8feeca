# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Iterable, List, Optional, Tuple, Union

import torch
from mmengine.dist import get_world_size
from mmengine.runner import EpochBasedTrainLoop, find_latest_checkpoint
from torch.utils.data import DataLoader

from ...compat import LOOPS
from .divergence_guard import DivergenceGuard

#: the message hub's record (so every checkpoint's) of the data layout
BATCH_KEY = 'train_batch'


def _processes(count: int) -> str:
    return f'{count} process' + ('es' if count != 1 else '')


class ResumeMismatchError(RuntimeError):
    """A checkpoint cannot be resumed exactly with this global batch."""


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """An epoch-based training loop that resumes in the middle of an epoch.

    mmengine's :class:`EpochBasedTrainLoop` restarts an interrupted epoch
    from its first batch, so a run resumed from a checkpoint written during
    an epoch (:class:`PreemptionHook`) would train on those batches twice.
    This loop skips the batches of the interrupted epoch that were trained:
    it takes the epoch's sample order from the sampler (the same order, as
    the sampler is seeded with the epoch) and iterates only the rest,
    without loading the skipped images.

    Every checkpoint records the number of processes and the batch size
    per process (the message hub's ``train_batch``). A run resumes only
    with the same global batch (processes x batch size): then the samples
    trained and the schedule are those of the interrupted run, however the
    processes are counted. Otherwise it stops before training, with
    :class:`ResumeMismatchError` naming both and the ways out.

    With ``divergence_guard`` (on by default), every iteration runs under a
    :class:`DivergenceGuard`: a step whose loss is not finite stops the run
    before its optimizer step, or is skipped under fp16 with a dynamic loss
    scale. The guard lives in the loop because it must wrap the whole
    iteration (a hook cannot catch its error or skip it).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader or dict): The training data loader.
        max_epochs (int): The number of epochs.
        val_begin (int): The epoch that begins validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): Epochs from
            which the validation interval changes. Defaults to None.
        divergence_guard (bool | dict): Run every iteration under a
            :class:`DivergenceGuard`; a dict is passed as its arguments, e.g.
            ``dict(max_skipped_steps=20)``; False runs without one.
            Defaults to True.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 divergence_guard: Union[bool, dict] = True) -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        self.divergence_guard = divergence_guard
        self._guard: Optional[DivergenceGuard] = None

    def run(self) -> torch.nn.Module:
        """Check the resumed checkpoint, record the data layout and train.

        Under the divergence guard if ``divergence_guard`` is set.
        """
        self._check_resume()
        self.runner.message_hub.update_info(
            BATCH_KEY,
            dict(
                world_size=get_world_size(),
                batch_size=self.dataloader.batch_size))
        if self.divergence_guard:
            options = self.divergence_guard if isinstance(
                self.divergence_guard, dict) else {}
            self._guard = DivergenceGuard(self.runner, **options)
        try:
            return super().run()
        finally:
            if self._guard is not None:
                self._guard.remove()
                self._guard = None

    def _resumed_from(self) -> Optional[str]:
        """The checkpoint this run resumed from (``load_or_resume``'s)."""
        runner = self.runner
        return runner._load_from or find_latest_checkpoint(runner.work_dir)

    def _check_resume(self) -> None:
        """Check that a resumed checkpoint fits this run's data layout.

        Raises:
            ResumeMismatchError: If it was written with another global
                batch, or (a checkpoint without the record) if its
                iteration is not inside this run's epoch.
        """
        if self._iter == 0:
            return
        saved = self.runner.message_hub.get_info(BATCH_KEY)
        world_size, batch_size = get_world_size(), self.dataloader.batch_size
        if saved is not None:
            was_world, was_batch = saved['world_size'], saved['batch_size']
            was, now = was_world * was_batch, world_size * batch_size
            if now != was:
                ways = [f'Resume with {_processes(was_world)}']
                if was % world_size == 0:
                    ways.append(
                        f'set train_dataloader.batch_size={was // world_size}'
                        f' so that {world_size} x {was // world_size} = '
                        f'{was_world} x {was_batch}')
                ways.append('start a new schedule from these weights with '
                            f'load_from={self._resumed_from()} (without '
                            '--resume)')
                raise ResumeMismatchError(
                    f'Cannot resume from {self._resumed_from()}: it was '
                    f'written by {_processes(was_world)} x batch size '
                    f'{was_batch} (global batch {was}) and this run is '
                    f'{_processes(world_size)} x batch size {batch_size} '
                    f'(global batch {now}), so it would skip other samples '
                    'than were trained and change the schedule. '
                    f'{", or ".join(ways)}. Nothing was '
                    'trained; the checkpoint is unchanged.')
            if world_size != was_world:
                self.runner.logger.info(
                    f'Resuming with the same global batch: {world_size} x '
                    f'{batch_size} = {was_world} x {was_batch} (processes x '
                    'batch size).')
        length = len(self.dataloader)
        done = self._iter - self._epoch * length
        if not 0 <= done <= length:
            raise ResumeMismatchError(
                f'Cannot resume from {self._resumed_from()} at iteration '
                f'{self._iter} (epoch {self._epoch + 1}): this run has '
                f'{length} iterations an epoch, so it would skip {done} '
                'batches of it. The checkpoint was written with another '
                'number of processes, batch size or data set: resume with '
                'those, or start a new schedule from these weights with '
                f'load_from={self._resumed_from()} (without --resume). '
                'Nothing was trained; the checkpoint is unchanged.')

    def _batches(self, done: int) -> Iterable:
        """The data loader of this epoch, less its first ``done`` batches."""
        if done == 0:
            return self.dataloader
        loader = self.dataloader
        indices = list(loader.sampler)[done * loader.batch_size:]
        self.runner.logger.info(
            f'Resuming inside epoch {self._epoch + 1}: skipping its first '
            f'{done} batches, already trained.')
        return DataLoader(
            loader.dataset,
            batch_size=loader.batch_size,
            sampler=indices,
            num_workers=loader.num_workers,
            collate_fn=loader.collate_fn,
            pin_memory=loader.pin_memory,
            drop_last=loader.drop_last,
            worker_init_fn=loader.worker_init_fn,
            # its workers' base seed is not drawn from the global generator,
            # which the run that was not interrupted did not touch here
            generator=torch.Generator())

    def run_epoch(self) -> None:
        """Iterate the rest of one epoch."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        done = self._iter - self._epoch * len(self.dataloader)
        for idx, data_batch in enumerate(self._batches(done), start=done):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch) -> None:
        """Run one iteration, under the divergence guard if set.

        A step the guard skips under fp16 still counts.
        """
        if self._guard is None:
            super().run_iter(idx, data_batch)
            return
        with self._guard.step():
            super().run_iter(idx, data_batch)
        if self._guard.skipped:
            # as a step the loss scaler skips: the schedule goes on
            self.runner.call_hook(
                'after_train_iter',
                batch_idx=idx,
                data_batch=data_batch,
                outputs=None)
            self._iter += 1
