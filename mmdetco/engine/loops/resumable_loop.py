# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Iterable

import torch
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from ...compat import LOOPS
from .divergence_guard import DivergenceGuard


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

    It also runs every iteration under a :class:`DivergenceGuard`: a step
    whose loss is not finite stops the run before the optimizer step, with
    the non-finite terms named and the last good state saved as
    ``diverged_iter_N.pth``. Otherwise it is :class:`EpochBasedTrainLoop`.
    """

    def run(self) -> torch.nn.Module:
        """Train, with the model's loss checked at every iteration."""
        self._guard = DivergenceGuard(self.runner)
        try:
            return super().run()
        finally:
            self._guard.remove()

    def run_iter(self, idx: int, data_batch) -> None:
        """One iteration, stopped before its optimizer step if the loss
        is not finite."""
        with self._guard.step():
            super().run_iter(idx, data_batch)

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
