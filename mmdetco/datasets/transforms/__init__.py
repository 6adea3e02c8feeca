# Copyright (c) mmdetco contributors. All rights reserved.
from .crop_to_box import CropToBox
from .detco_multi_view import DetCoMultiView
from .jigsaw_patches import JigsawPatches
from .load_image_or_skip import LoadImageOrSkip

__all__ = ['CropToBox', 'DetCoMultiView', 'JigsawPatches', 'LoadImageOrSkip']
