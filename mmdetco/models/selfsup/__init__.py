# Copyright (c) mmdetco contributors. All rights reserved.
from .detco import DetCo

__all__ = ['DetCo']
