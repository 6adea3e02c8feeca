# Copyright (c) mmdetco contributors. All rights reserved.
from .divergence_guard import DivergenceGuard
from .resumable_loop import ResumableEpochBasedTrainLoop

__all__ = ['DivergenceGuard', 'ResumableEpochBasedTrainLoop']
