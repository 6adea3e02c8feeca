# Copyright (c) mmdetco contributors. All rights reserved.
"""``FastRandomGrayscale`` does what the stock ``RandomGrayscale`` does."""
import numpy as np

from .conftest import image, run


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
