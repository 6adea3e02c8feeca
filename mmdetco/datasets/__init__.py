# Copyright (c) mmdetco contributors. All rights reserved.
from .coco_instance_crops import CocoInstanceCrops
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all

__all__ = ['CocoInstanceCrops', *_transforms_all]
