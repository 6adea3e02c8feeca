# Copyright (c) mmdetco contributors. All rights reserved.
from .detco_head import DetCoHead

__all__ = ['DetCoHead']
