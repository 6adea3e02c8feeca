# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmpretrain.registry import MODELS, TRANSFORMS

from mmdetco.datasets.transforms import DetCoMultiView
from ...conftest import ROOT, tiny_detco_cfg

CONFIGS = osp.join(ROOT, 'configs')
BASE_DATASET = osp.join(CONFIGS, '_base_/datasets/imagenet_bs32_detco.py')


def build_pipeline(pipeline):
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def random_image(h=300, w=400):
    return np.random.randint(0, 256, (h, w, 3), dtype=np.uint8)


def test_default_pipeline_views():
    """The ImageNet pipeline of the configs: 2 x 224 global views and 2 x 9
    patches of 64 px, packed as 20 CHW tensors."""
    cfg = Config.fromfile(BASE_DATASET)
    pipeline = build_pipeline(cfg.train_pipeline[1:])
    out = pipeline(dict(img=random_image()))
    views = out['inputs']
    assert len(views) == 20
    assert [tuple(v.shape) for v in views[:2]] == [(3, 224, 224)] * 2
    assert [tuple(v.shape) for v in views[2:]] == [(3, 64, 64)] * 18


def test_views_are_independent():
    np.random.seed(0)
    t = DetCoMultiView(
        global_pipeline=[dict(type='RandomResizedCrop', scale=32)],
        patch_pipeline=[
            dict(type='RandomResizedCrop', scale=48),
            dict(type='JigsawPatches', patch_size=16)
        ])
    views = t(dict(img=random_image()))['img']
    assert not np.array_equal(views[0], views[1])
    assert not np.array_equal(views[2], views[11])


def test_patch_pipeline_without_jigsaw_is_refused():
    t = DetCoMultiView(
        global_pipeline=[dict(type='RandomResizedCrop', scale=32)],
        patch_pipeline=[dict(type='RandomResizedCrop', scale=48)])
    with pytest.raises(TypeError, match='JigsawPatches'):
        t(dict(img=random_image()))


def test_runner_path_pipeline_collate_preprocessor_loss():
    """pipeline -> default_collate -> data_preprocessor -> loss, as the
    Runner does it; both kinds of view are normalised."""
    cfg = Config.fromfile(BASE_DATASET)
    pipeline = build_pipeline([
        dict(
            type='DetCoMultiView',
            global_pipeline=[dict(type='RandomResizedCrop', scale=32)] +
            cfg.view_augmentation,
            patch_pipeline=[dict(type='RandomResizedCrop', scale=48)] +
            cfg.view_augmentation +
            [dict(type='JigsawPatches', patch_size=16)]),
        dict(type='PackInputs')
    ])
    batch = default_collate(
        [pipeline(dict(img=random_image())) for _ in range(4)])
    model = MODELS.build(
        tiny_detco_cfg(data_preprocessor=cfg.data_preprocessor))
    data = model.data_preprocessor(batch, training=True)
    inputs = data['inputs']
    assert len(inputs) == 20
    assert inputs[0].shape == (4, 3, 32, 32)
    assert inputs[2].shape == (4, 3, 16, 16)
    for view in (inputs[0], inputs[5]):
        assert view.dtype == torch.float32
        assert view.abs().max() < 3  # normalised, not 0..255
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
    assert model.queue_ptr.item() == 4
