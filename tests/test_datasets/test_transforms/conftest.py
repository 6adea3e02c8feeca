# Copyright (c) mmdetco contributors. All rights reserved.
"""Helpers of the transform tests: a test image and a seeded transform."""
import random

import numpy as np
from mmpretrain.registry import TRANSFORMS

import mmdetco  # noqa: F401


def image(seed=0, height=75, width=100):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:height, :width]
    smooth = np.stack(
        [np.sin(x / 9 + c) * np.cos(y / 7 - c) for c in range(3)], axis=-1)
    noise = rng.normal(0, 0.1, smooth.shape)
    return np.clip(127 + 100 * (smooth + noise), 0, 255).astype(np.uint8)


def run(cfg, img, seed):
    random.seed(seed)
    np.random.seed(seed)
    return TRANSFORMS.build(cfg)(dict(img=img.copy()))['img']
