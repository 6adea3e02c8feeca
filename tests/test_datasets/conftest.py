# Copyright (c) mmdetco contributors. All rights reserved.
"""Helpers of the data set tests: a JPEG file and the logger that
LoadImageOrSkip names a skipped image with."""
import cv2
import numpy as np

LOG = 'mmdetco.datasets.transforms.load_image_or_skip.print_log'


def jpeg(path, size=(48, 64), seed=0):
    img = np.random.default_rng(seed).integers(0, 255, (*size, 3), np.uint8)
    cv2.imwrite(str(path), img)
    return path
