# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np
import pytest

from mmdetco_demo.shapes import CLASSES, shape_mask


@pytest.mark.parametrize('name', CLASSES)
def test_shape_mask_inside_the_image(name):
    mask, full_area, geom = shape_mask(
        np.random.default_rng(0), name, 64, 40.0, (32.0, 32.0))
    assert mask.shape == (64, 64) and mask.dtype == bool
    # Wholly inside the image: the full area is the area of the mask.
    assert full_area == mask.sum() > 0
    assert (geom['cx'], geom['cy'], geom['half']) == (32.0, 32.0, 20.0)
    ys, xs = np.nonzero(mask)
    assert max(np.ptp(xs), np.ptp(ys)) <= 42
    # Every shape is symmetric about its centre.
    assert np.abs([xs.mean() - 32, ys.mean() - 32]).max() < 1.5


def test_ring_has_a_hole():
    ring, _, _ = shape_mask(
        np.random.default_rng(0), 'ring', 64, 40.0, (32.0, 32.0))
    circle, _, _ = shape_mask(
        np.random.default_rng(0), 'circle', 64, 40.0, (32.0, 32.0))
    assert circle[32, 32] and not ring[32, 32]
    assert ring.sum() < circle.sum()


def test_full_area_counts_the_part_outside_the_image():
    mask, full_area, _ = shape_mask(
        np.random.default_rng(0), 'circle', 64, 40.0, (0.0, 0.0))
    # About a quarter of the disc is inside.
    assert 0.2 < mask.sum() / full_area < 0.35


def test_unknown_shape():
    with pytest.raises(ValueError, match='Unknown shape'):
        shape_mask(np.random.default_rng(0), 'hexagon', 64, 20.0)
