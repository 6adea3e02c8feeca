# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np

from mmdetco_demo.render import (MIN_VISIBLE_PIXELS, render_object_image,
                                 render_scene)
from mmdetco_demo.shapes import CLASSES


def test_render_scene():
    img, objects = render_scene(np.random.default_rng(3), size=128)
    assert img.shape == (128, 128, 3) and img.dtype == np.uint8
    assert 1 <= len(objects) <= 6
    covered = np.zeros((128, 128), dtype=int)
    for obj in objects:
        assert 0 <= obj['label'] < len(CLASSES)
        assert obj['mask'].shape == (128, 128)
        assert obj['mask'].dtype == bool
        assert obj['mask'].sum() >= MIN_VISIBLE_PIXELS
        covered += obj['mask']
    # Visible masks never overlap: later objects hide earlier ones.
    assert covered.max() <= 1

    img2, objects2 = render_scene(np.random.default_rng(3), size=128)
    np.testing.assert_array_equal(img, img2)
    assert len(objects) == len(objects2)
    for a, b in zip(objects, objects2):
        assert a['label'] == b['label'] and a['bbox'] == b['bbox']
        np.testing.assert_array_equal(a['mask'], b['mask'])


def test_object_image_has_one_dominant_centred_shape():
    """On a flat background, the changed pixels of an object-centric image
    are one shape of OBJECT_SCALE of the side near the centre, plus small
    distractors."""
    size = 128
    grey = np.full((size, size, 3), 128, np.float32)
    for index in range(12):
        img = render_object_image(np.random.default_rng(index), size, grey)
        changed = np.abs(img.astype(float) - 128).max(-1) > 12
        ys, xs = np.nonzero(changed)
        # the dominant shape: the largest extent, centred
        assert max(np.ptp(xs), np.ptp(ys)) >= 0.35 * size
        centre = np.array([np.median(xs), np.median(ys)])
        assert np.abs(centre - size / 2).max() < 0.2 * size
        assert 0.08 < changed.mean() < 0.7
