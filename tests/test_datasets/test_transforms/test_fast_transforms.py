# Copyright (c) mmdetco contributors. All rights reserved.
"""The faster implementations in the DetCo pipeline do what the stock
transforms do: MMCV's ``ColorJitter(backend='cv2')`` (the ``Fast*``
transforms of mmdetco are tested in their own files)."""
import warnings

import numpy as np

from .conftest import image, run


def test_cv2_colour_jitter_is_the_pillow_one():
    """The DetCo pipeline's ColorJitter(backend='cv2'): the same random
    factors and order, the same image up to rounding (hue: HSV rounding)."""
    cfg = dict(
        type='ColorJitter',
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for seed in range(10):
            cv2_img = run(dict(cfg, backend='cv2'), image(), seed)
            pil_img = run(dict(cfg, backend='pillow'), image(), seed)
            diff = np.abs(cv2_img.astype(int) - pil_img)
            assert diff.mean() < 1.5 and np.percentile(diff, 99) <= 8
