# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/visualization/browse_views.py`` on two tiny demo images."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmdetco_demo import generate_demo_data
from ..conftest import ROOT

REPO = Path(ROOT)
TOOL = REPO / 'tools' / 'visualization' / 'browse_views.py'
CONFIG = str(REPO / 'configs' / 'detco' /
             'detco_resnet18_1xb16-coslr-8e_demo.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('browse_views', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    generate_demo_data(
        str(root), num_pretrain=2, num_train=0, num_val=0, size=64)
    return str(root)


def test_writes_grid_png(tool, data_root, tmp_path):
    output = tmp_path / 'out' / 'views.png'
    # 3 images asked, the data set has 2: one row each
    assert tool.main([
        CONFIG, '--data-root', data_root, '--num-images', '3', '--output',
        str(output)
    ]) == str(output)
    assert output.stat().st_size > 0
    with Image.open(output) as png:
        size = png.size
    # the tool's figure size at its DPI, one row per image
    width, height = tool.figure_size(2)
    assert size == (round(width * tool.DPI), round(height * tool.DPI))
    assert size[0] == tool.NUM_COLUMNS * tool.PANEL_INCHES * tool.DPI
    assert size[1] == round(2 * (tool.PANEL_INCHES + tool.TITLE_INCHES) *
                            tool.DPI)


def test_views_as_the_model_sees_them(tool, data_root):
    cfg = tool.load_config(CONFIG, data_root,
                           {'train_dataloader.batch_size': 2})
    views, paths = tool.collect_views(cfg, 2, seed=3)
    assert len(views) == len(paths) == 2
    assert paths[0].endswith('000000.jpg')
    global_views, set1, set2, grid = tool.split_views(views[0])
    assert grid == 3 and len(set1) == len(set2) == 9
    assert global_views[0].shape == (64, 64, 3)
    assert set1[0].shape == (16, 16, 3) and set1[0].dtype == np.uint8
    # the seed makes it deterministic
    again, _ = tool.collect_views(cfg, 2, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(views[1], again[1]))
    other, _ = tool.collect_views(cfg, 2, seed=4)
    assert not np.array_equal(views[0][0], other[0][0])


def test_denormalised_rgb_matches_the_image(tool, data_root):
    """Without augmentation the round trip gives back the RGB image."""
    cfg = tool.load_config(CONFIG, data_root)
    resize = [dict(type='Resize', scale=(96, 96), backend='pillow')]
    patches = resize + [
        dict(type='JigsawPatches', grid_size=2, patch_size=48, shuffle=False)
    ]
    cfg.train_dataloader.dataset.pipeline[1].update(
        global_pipeline=resize, patch_pipeline=patches)
    views, paths = tool.collect_views(cfg, 1)
    assert len(views[0]) == 2 + 2 * 2 * 2
    with Image.open(paths[0]) as img:
        rgb = np.asarray(img.convert('RGB').resize((96, 96)), np.int16)
    assert np.abs(views[0][0].astype(np.int16) - rgb).mean() < 3
    assert np.array_equal(views[0][2], views[0][0][:48, :48])


def test_mosaic_layout(tool):
    patches = [np.full((4, 4, 3), i, np.uint8) for i in range(4)]
    out = tool.mosaic(patches, 2, separator=1)
    assert out.shape == (9, 9, 3)
    assert out[0, 0, 0] == 0 and out[0, 5, 0] == 1 and out[5, 0, 0] == 2
    assert (out[4] == 255).all() and (out[:, 4] == 255).all()


def test_errors(tool, data_root, tmp_path):
    with pytest.raises(ValueError, match='2 \\+ 2 \\* k \\* k'):
        tool.split_views([None] * 5)
    with pytest.raises(SystemExit):
        tool.parse_args([CONFIG, '--num-images', '0'])
    cfg = tool.load_config(CONFIG, data_root)
    with pytest.raises(ValueError, match='must be positive'):
        tool.collect_views(cfg, 0)
    empty = tmp_path / 'empty'
    (empty / 'pretrain' / 'images').mkdir(parents=True)
    with pytest.raises(RuntimeError, match=str(empty)):
        tool.main([CONFIG, '--data-root', str(empty)])
