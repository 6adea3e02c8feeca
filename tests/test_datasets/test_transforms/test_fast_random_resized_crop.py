# Copyright (c) mmdetco contributors. All rights reserved.
"""``FastRandomResizedCrop`` does what the stock ``RandomResizedCrop``
does."""
import numpy as np
import pytest

from .conftest import image, run


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_fast_random_resized_crop_is_pixel_identical(backend):
    cfg = dict(scale=48, crop_ratio_range=(0.2, 1.), backend=backend)
    for seed in range(10):
        fast = run(dict(type='FastRandomResizedCrop', **cfg), image(), seed)
        stock = run(dict(type='RandomResizedCrop', **cfg), image(), seed)
        assert fast.shape == (48, 48, 3) and np.array_equal(fast, stock)
