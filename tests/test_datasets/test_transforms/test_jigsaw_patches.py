# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np
import pytest

from mmdetco.datasets.transforms import JigsawPatches


def cell_index_image(size=255, grid=3):
    """An image whose pixels hold the row-major index of their grid cell."""
    cell = size // grid
    rows = np.minimum(np.arange(size) // cell, grid - 1)
    index = rows[:, None] * grid + rows[None, :]
    return np.repeat(index[:, :, None], 3, axis=2).astype(np.uint8)


def test_count_size_and_cells():
    np.random.seed(0)
    out = JigsawPatches(
        grid_size=3, patch_size=64)(
            dict(img=cell_index_image()))
    assert len(out['img']) == 9
    assert all(p.shape == (64, 64, 3) for p in out['img'])
    assert out['img_shape'] == (64, 64)
    for patch, cell, (x1, y1, x2, y2) in zip(out['img'], out['jigsaw_order'],
                                             out['jigsaw_boxes']):
        row, col = divmod(int(cell), 3)
        # the patch lies inside its own 85 x 85 cell of the 255 crop
        assert col * 85 <= x1 and x2 <= (col + 1) * 85
        assert row * 85 <= y1 and y2 <= (row + 1) * 85
        assert np.all(patch == cell)


def test_patch_positions_are_random_inside_the_cell():
    np.random.seed(0)
    t = JigsawPatches(shuffle=False)
    boxes = {
        tuple(t(dict(img=cell_index_image()))['jigsaw_boxes'][4])
        for _ in range(20)
    }
    assert len(boxes) > 1


def test_shuffle_on_and_off():
    np.random.seed(0)
    img = cell_index_image()
    off = JigsawPatches(shuffle=False)
    for _ in range(5):
        out = off(dict(img=img))
        assert list(out['jigsaw_order']) == list(range(9))
        assert [int(p[0, 0, 0]) for p in out['img']] == list(range(9))
    on = JigsawPatches(shuffle=True)
    orders = [tuple(on(dict(img=img))['jigsaw_order']) for _ in range(10)]
    assert any(o != tuple(range(9)) for o in orders)
    assert all(sorted(o) == list(range(9)) for o in orders)


def test_other_grid_and_patch_sizes():
    out = JigsawPatches(
        grid_size=2, patch_size=10)(
            dict(img=np.zeros((30, 24, 3), np.uint8)))
    assert len(out['img']) == 4
    assert all(p.shape == (10, 10, 3) for p in out['img'])


def test_too_small_image_is_refused_with_the_fields():
    with pytest.raises(ValueError, match='patch_size=64'):
        JigsawPatches()(dict(img=np.zeros((180, 255, 3), np.uint8)))
    with pytest.raises(ValueError, match='grid_size'):
        JigsawPatches(grid_size=0)
