# Copyright (c) mmdetco contributors. All rights reserved.
"""The faster implementations in the DetCo pipeline do what the stock
transforms do."""
import random
import warnings

import numpy as np
import pytest
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


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_fast_random_resized_crop_is_pixel_identical(backend):
    cfg = dict(scale=48, crop_ratio_range=(0.2, 1.), backend=backend)
    for seed in range(10):
        fast = run(dict(type='FastRandomResizedCrop', **cfg), image(), seed)
        stock = run(dict(type='RandomResizedCrop', **cfg), image(), seed)
        assert fast.shape == (48, 48, 3) and np.array_equal(fast, stock)


def test_fast_random_grayscale_matches_within_one_level():
    cfg = dict(
        prob=0.5, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989))
    converted = 0
    for seed in range(20):
        img = image(seed)
        fast = run(dict(type='FastRandomGrayscale', **cfg), img, seed)
        stock = run(dict(type='RandomGrayscale', **cfg), img, seed)
        assert fast.shape == stock.shape == img.shape
        assert np.abs(fast.astype(int) - stock).max() <= 1
        assert (np.abs(fast.astype(int) - stock) > 0).mean() < 0.01
        converted += int(not np.array_equal(fast, img))
    assert 0 < converted < 20  # the same draws: some converted, some not
    grey = run(
        dict(type='FastRandomGrayscale', prob=1., keep_channels=False),
        image(), 0)
    assert grey.shape == image().shape[:2]


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
