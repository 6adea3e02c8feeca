# Copyright (c) mmdetco contributors. All rights reserved.
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from ...compat import HOOKS


def get_rng_state() -> dict:
    """The states of Python's, NumPy's and torch's global generators.

    In types that ``torch.load(weights_only=True)`` reads.

    Of the CUDA generators, only the current device's is saved (``cuda``):
    the one this process draws from, whatever number of devices it sees.
    """
    _, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(
            keys=torch.from_numpy(keys.astype(np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the generators from :func:`get_rng_state`'s output.

    The states may lie on any device (``Runner.resume`` maps a checkpoint
    to the GPU): they are copied to the CPU, where the generators take them.
    The CUDA state goes to the current device only; a list of states (one
    per device, as checkpoints of earlier versions hold them) restores its
    first.
    """
    random.setstate(state['python'])
    numpy = state['numpy']
    np.random.set_state(
        ('MT19937', numpy['keys'].cpu().numpy().astype(np.uint32),
         numpy['pos'], numpy['has_gauss'], numpy['cached_gaussian']))
    torch.set_rng_state(state['torch'].cpu())
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available():
        if isinstance(cuda, (list, tuple)):
            cuda = cuda[0]
        torch.cuda.set_rng_state(cuda.cpu())


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random generators in checkpoints; restore them on resume.

    A resumed run then draws the same augmentations and shuffle-BN
    permutations as the run that was not interrupted.

    mmengine re-seeds the generators when a run starts, so without this a
    resumed run repeats the random draws of the run's beginning. The states
    (``checkpoint['rng_state']``) are restored just before the first
    resumed epoch starts iterating its data, after every other hook's
    ``before_train`` and ``before_train_epoch``, which is where the saving
    run stood when it wrote the checkpoint (at the end of an epoch, or
    after an iteration for :class:`PreemptionHook`).

    It covers the generators of the training process; data-loader workers
    draw the same augmentations only with :class:`SampleSeededDataset`
    (docs/en/long_runs.md). Under DDP rank 0's states, the ones saved, are
    restored on every rank (the CUDA one to each rank's own device).
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._loaded: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add ``rng_state`` to the checkpoint."""
        checkpoint['rng_state'] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the saved states until the first epoch starts."""
        self._loaded = checkpoint.get('rng_state')

    def before_train_epoch(self, runner) -> None:
        """Restore the generators' states in a resumed run.

        A resumed run starts past its first iteration, unlike a run that
        only loads weights.
        """
        if self._loaded is not None and runner.iter > 0:
            set_rng_state(self._loaded)
        self._loaded = None
