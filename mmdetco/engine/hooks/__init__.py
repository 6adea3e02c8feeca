# Copyright (c) mmdetco contributors. All rights reserved.
from .queue_check_hook import DetCoQueueCheckHook

__all__ = ['DetCoQueueCheckHook']
