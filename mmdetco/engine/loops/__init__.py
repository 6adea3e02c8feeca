# Copyright (c) mmdetco contributors. All rights reserved.
from .divergence_guard import DivergenceGuard
from .resumable_loop import ResumableEpochBasedTrainLoop, ResumeMismatchError

__all__ = [
    'DivergenceGuard', 'ResumableEpochBasedTrainLoop', 'ResumeMismatchError'
]
