# Copyright (c) mmdetco contributors. All rights reserved.
"""Fixtures of the benchmark tests: DetCo checkpoints (ResNet-50 and -18)
with distinct query and momentum backbones, the demo data set in COCO and
VOC layout, and MMDetection's default scope for each test."""
import os

import numpy as np
import pytest
import torch
import torchvision
from mmengine.logging import HistoryBuffer
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS

import mmdetco  # noqa: F401  (DetCo, safe checkpoint loading)
from mmdetco_demo import generate_demo_data
from ..conftest import load_tool, tiny_detco_cfg
from .helpers import write_voc_copy


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Run each test in MMDetection's default scope and restore the scope
    of the other tests (MMPretrain's) afterwards, also after a Runner."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def save_detco_checkpoint(path: str, depth: int) -> dict:
    """Save a DetCo training checkpoint as mmengine writes it (state dict,
    meta, message hub with numpy values) whose query backbone
    (``backbone.*``) and momentum backbone (``encoder_k.module.0.*``) differ
    from each other and from a fresh initialisation. Returns the state
    dict."""
    channels = [64 * 2**i * (4 if depth >= 50 else 1) for i in range(4)]
    torch.manual_seed(depth)
    model = PRETRAIN_MODELS.build(
        tiny_detco_cfg(
            backbone=dict(
                type='ResNet', depth=depth, out_indices=(0, 1, 2, 3)),
            neck=dict(
                type='DetCoNeck',
                in_channels=channels,
                hid_channels=8,
                out_channels=8)))
    with torch.no_grad():
        # small, so that the network still works; distinct everywhere
        for sign, prefix in ((1, 'backbone.'), (-1, 'encoder_k.module.0.')):
            for key, value in model.state_dict().items():
                if key.startswith(prefix) and value.is_floating_point():
                    value.mul_(1 + 0.1 * (torch.rand_like(value) - 0.5))
                    value.add_(sign * 1e-3)
    state_dict = model.state_dict()
    message_hub = dict(
        log_scalars=dict(
            loss=HistoryBuffer(np.array([1.5, 1.2]), np.array([1, 1]))),
        runtime_info=dict(iter=np.int64(2)))
    torch.save(
        dict(
            meta=dict(epoch=200, iter=np.int64(2), seed=0),
            state_dict=state_dict,
            message_hub=message_hub), path)
    return state_dict


@pytest.fixture(scope='session')
def detco_r50(tmp_path_factory):
    """(path, state dict) of a ResNet-50 DetCo checkpoint: the file named by
    ``MMDETCO_DETCO_R50_CHECKPOINT`` (a real training checkpoint, e.g. one
    written in the MMSelfSup environment, tests/test_mmselfsup) or one
    made here."""
    path = os.environ.get('MMDETCO_DETCO_R50_CHECKPOINT')
    if path:
        return path, torch.load(path, map_location='cpu')['state_dict']
    path = str(tmp_path_factory.mktemp('detco_r50') / 'epoch_200.pth')
    return path, save_detco_checkpoint(path, 50)


@pytest.fixture(scope='session')
def released_r50(tmp_path_factory):
    """(path, state dict) of a checkpoint in the format the DetCo authors
    released (a torchvision ResNet-50 state dict under ``state_dict``, as
    ``.pkl``), converted by ``convert_official_detco.py``; the state dict
    with the ``backbone.`` prefix, for comparison."""
    folder = tmp_path_factory.mktemp('released')
    torch.manual_seed(50)
    state = torchvision.models.resnet50().state_dict()
    with torch.no_grad():  # distinct from any fresh initialisation
        for value in state.values():
            if value.is_floating_point():
                value.add_(torch.rand_like(value) * 1e-2)
    released = str(folder / 'detco_200ep.pkl')
    torch.save(dict(state_dict=state), released)
    converted = str(folder / 'detco_200ep_mmdetco.pth')
    load_tool('tools/model_converters/convert_official_detco.py').main(
        [released, converted])
    return converted, {
        f'backbone.{key}': value
        for key, value in state.items() if not key.startswith('fc.')
    }


@pytest.fixture(scope='session')
def detco_r18(tmp_path_factory):
    """(path, state dict) of a ResNet-18 DetCo checkpoint."""
    path = str(tmp_path_factory.mktemp('detco_r18') / 'epoch_4.pth')
    return path, save_detco_checkpoint(path, 18)


@pytest.fixture(scope='session')
def demo_coco(tmp_path_factory):
    """The demo data set: 4 training and 2 validation images of 128 px."""
    root = str(tmp_path_factory.mktemp('demo'))
    generate_demo_data(root, num_pretrain=2, num_train=4, num_val=2, size=128)
    return root


@pytest.fixture(scope='session')
def demo_voc(demo_coco, tmp_path_factory):
    """The demo data set as a VOC devkit (VOC2007 + VOC2012)."""
    return write_voc_copy(demo_coco, str(tmp_path_factory.mktemp('voc')))
