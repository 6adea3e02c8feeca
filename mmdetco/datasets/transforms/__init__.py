# Copyright (c) mmdetco contributors. All rights reserved.
from .detco_multi_view import DetCoMultiView
from .jigsaw_patches import JigsawPatches

__all__ = ['DetCoMultiView', 'JigsawPatches']
