# Copyright (c) mmdetco contributors. All rights reserved.
from .crop_to_box import CropToBox
from .detco_multi_view import DetCoMultiView
from .fast_random_grayscale import FastRandomGrayscale
from .fast_random_resized_crop import FastRandomResizedCrop
from .jigsaw_patches import JigsawPatches
from .load_image_or_skip import LoadImageOrSkip

__all__ = [
    'CropToBox', 'DetCoMultiView', 'FastRandomGrayscale',
    'FastRandomResizedCrop', 'JigsawPatches', 'LoadImageOrSkip'
]
