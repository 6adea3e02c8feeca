# Copyright (c) mmdetco contributors. All rights reserved.
from .cpu_distributed_runner import CPUDistributedRunner

__all__ = ['CPUDistributedRunner']
