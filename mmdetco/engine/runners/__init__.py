# Copyright (c) mmdetco contributors. All rights reserved.
from .cpu_distributed_runner import CPUDistributedRunner
from .resumable_loop import ResumableEpochBasedTrainLoop

__all__ = ['CPUDistributedRunner', 'ResumableEpochBasedTrainLoop']
