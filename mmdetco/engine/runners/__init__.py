# Copyright (c) mmdetco contributors. All rights reserved.
from .resumable_loop import ResumableEpochBasedTrainLoop

__all__ = ['ResumableEpochBasedTrainLoop']
