# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np

from mmdetco_demo.shapes import shape_mask
from mmdetco_demo.textures import draw_background, object_texture, pick_colour


def test_draw_background():
    img = draw_background(np.random.default_rng(1), 64)
    assert img.shape == (64, 64, 3) and img.dtype == np.float32
    assert img.min() >= 0 and img.max() <= 255
    # Textured, not flat.
    assert img.mean(-1).std() > 5
    np.testing.assert_array_equal(
        img, draw_background(np.random.default_rng(1), 64))
    assert not np.array_equal(img, draw_background(
        np.random.default_rng(2), 64))


def test_object_texture_has_a_darker_rim():
    mask, _, geom = shape_mask(
        np.random.default_rng(0), 'square', 64, 40.0, (32.0, 32.0))
    padded = np.pad(mask, 1)
    inner = mask & padded[:-2, 1:-1] & padded[2:, 1:-1] \
        & padded[1:-1, :-2] & padded[1:-1, 2:]
    rim = mask & ~inner
    for seed in range(5):
        tex = object_texture(
            np.random.default_rng(seed), mask, geom,
            np.array([200.0, 100.0, 50.0]))
        assert tex.shape == (64, 64, 3)
        assert tex[rim].mean() < 0.8 * tex[inner].mean()


def test_pick_colour_is_saturated_and_bright():
    img = np.full((16, 16, 3), 128.0)
    mask = np.ones((16, 16), bool)
    for seed in range(5):
        colour = pick_colour(np.random.default_rng(seed), img, mask)
        assert colour.shape == (3, )
        assert colour.max() >= 0.5 * 255 - 1e-6
        assert colour.max() - colour.min() >= 0.55 * colour.max() - 1e-6
