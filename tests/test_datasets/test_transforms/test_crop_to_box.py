# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np
import pytest

from mmdetco.datasets import CropToBox


def crop(box, padding=0.1, height=40, width=60):
    img = np.arange(
        height * width * 3, dtype=np.int64).reshape(height, width, 3)
    return img, CropToBox(padding)(dict(img=img, crop_bbox=box))


def test_box_widened_by_the_padding_on_every_side():
    # 20 x 10 box widened by 10 % on every side: x 8..32, y 4..16
    img, results = crop([10, 5, 30, 15])
    assert results['img'].shape == (12, 24, 3)
    assert results['img_shape'] == (12, 24)
    assert np.array_equal(results['img'], img[4:16, 8:32])


def test_fractional_box_covers_its_pixels():
    img, results = crop([1.5, 2.5, 3.2, 4.1], padding=0)
    assert np.array_equal(results['img'], img[2:5, 1:4])


def test_widened_box_is_clipped_to_the_image():
    img, results = crop([0, 30, 50, 40], padding=0.5)
    assert np.array_equal(results['img'], img[25:40, 0:60])
    assert results['img_shape'] == (15, 60)


def test_box_outside_the_image_and_bad_padding_are_errors():
    crop = CropToBox()
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match='outside'):
        crop(dict(img=img, crop_bbox=[20, 20, 30, 30]))
    with pytest.raises(ValueError, match='padding'):
        CropToBox(padding=-1)
    assert repr(CropToBox(0.25)) == 'CropToBox(padding=0.25)'
