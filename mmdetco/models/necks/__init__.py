# Copyright (c) mmdetco contributors. All rights reserved.
from .detco_neck import DetCoNeck

__all__ = ['DetCoNeck']
