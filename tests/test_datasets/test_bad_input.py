# Copyright (c) mmdetco contributors. All rights reserved.
"""Bad input gets a clear answer: a data set replaces an unreadable image,
odd but valid images are read, and config errors name their field. (What
LoadImageOrSkip skips: test_transforms/test_load_image_or_skip.py.)"""
from unittest import mock

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import MODELS, TRANSFORMS
from PIL import Image

from mmdetco_demo import DETCO_CONFIG
from ..conftest import ROOT
from .conftest import LOG, jpeg


@pytest.fixture
def demo_cfg():
    return Config.fromfile(f'{ROOT}/{DETCO_CONFIG}')


def views(demo_cfg, path):
    """The DetCo views of an image file through the demo pipeline."""
    pipeline = [
        TRANSFORMS.build(t)
        for t in demo_cfg.train_dataloader.dataset.pipeline[:2]
    ]
    results = dict(img_path=str(path))
    for t in pipeline:
        results = t(results)
    return results['img']


def test_dataset_replaces_an_unreadable_image(tmp_path):
    """A non-image file is not listed; an unreadable image is replaced by
    another sample instead of stopping the run."""
    for i in range(3):
        jpeg(tmp_path / f'img{i}.jpg', seed=i)
    (tmp_path / 'img1.jpg').write_bytes(b'broken')
    (tmp_path / 'notes.txt').write_text('not an image')
    dataset = CustomDataset(
        data_root=str(tmp_path),
        with_label=False,
        pipeline=[dict(type='LoadImageOrSkip')])
    assert len(dataset) == 3  # notes.txt is not an image file
    broken = [
        i for i in range(3)
        if dataset.get_data_info(i)['img_path'].endswith('img1.jpg')
    ][0]
    with mock.patch(LOG) as log:
        for _ in range(5):  # a random replacement each time
            sample = dataset[broken]
            assert not sample['img_path'].endswith('img1.jpg')
            assert sample['img'].shape == (48, 64, 3)
    assert 'img1.jpg' in log.call_args[0][0]


def test_empty_folder_is_named(tmp_path):
    with pytest.raises(Exception, match=str(tmp_path)):
        CustomDataset(
            data_root=str(tmp_path),
            with_label=False,
            pipeline=[dict(type='LoadImageOrSkip')])


@pytest.mark.parametrize('mode', ['L', 'RGBA', 'I;16', 'tiny'])
def test_odd_images_become_3_channel_8_bit_views(mode, tmp_path, demo_cfg):
    """Greyscale, RGBA and 16-bit PNGs, and an image smaller than every crop
    (8 x 8 px), all give the full set of 8-bit 3-channel views."""
    rng = np.random.default_rng(0)
    path = tmp_path / 'odd.png'
    if mode == 'I;16':
        cv2.imwrite(str(path), rng.integers(0, 65535, (40, 50), np.uint16))
    elif mode == 'tiny':
        cv2.imwrite(str(path), rng.integers(0, 255, (8, 8, 3), np.uint8))
    else:
        channels = dict(L=(), RGBA=(4, ))[mode]
        Image.fromarray(
            rng.integers(0, 255, (40, 50, *channels), np.uint8),
            mode).save(path)
    imgs = views(demo_cfg, path)
    assert len(imgs) == 2 + 2 * 9
    assert imgs[0].shape == (64, 64, 3) and imgs[2].shape == (16, 16, 3)
    assert all(img.dtype == np.uint8 for img in imgs)
    if mode == 'I;16':  # scaled down to 8 bit, not clipped to white
        assert 0 < imgs[0].mean() < 255


@pytest.mark.parametrize('override,match', [
    (dict(head=dict(level_weights=(1.0, ))), 'level_weights'),
    (dict(head=dict(loss_terms=('gg', 'gl'))), 'loss_terms'),
    (dict(momentum=0.999), "If you meant MoCo's m"),
    (dict(neck=dict(num_patches=4)), 'expects 10 views.*4 patches.*got 20'),
])
def test_model_config_errors_name_the_field(override, match, demo_cfg):
    demo_cfg.merge_from_dict(dict(model=override))
    with pytest.raises(ValueError, match=match):
        model = MODELS.build(demo_cfg.model)
        model.loss([np.zeros(1)] * 20, None)  # the pipeline's 9-patch sets


def test_patch_larger_than_its_cell_fails_at_build(demo_cfg):
    views_cfg = demo_cfg.train_dataloader.dataset.pipeline[1]
    views_cfg.patch_pipeline[-1].patch_size = 30  # 72 px / 3 = 24 px cells
    with pytest.raises(ValueError, match='cells of 24 px.*patch_size=30'):
        TRANSFORMS.build(views_cfg)
