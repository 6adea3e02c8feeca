# Copyright (c) mmdetco contributors. All rights reserved.
"""Every pre-training config loads, and its model and pipeline build."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmpretrain.registry import HOOKS, MODELS, TRANSFORMS

from .conftest import RESNET18_CHANNELS, ROOT

CONFIG_DIR = osp.join(ROOT, 'configs', 'detco')
CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))


def test_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    for epochs in (100, 200, 800):
        assert f'detco_resnet50_8xb32-coslr-{epochs}e_in1k.py' in names
    assert 'detco-aa_resnet50_8xb32-coslr-200e_in1k.py' in names
    assert 'detco_resnet18_8xb32-coslr-200e_in1k.py' in names
    assert 'detco_resnet101_8xb32-coslr-200e_in1k.py' in names


def test_every_config_name_is_unique():
    """``mim train mmdetco NAME`` finds a config by its file name in the
    package: a name used twice (``_base_`` pieces aside) stops it."""
    root = osp.join(ROOT, 'configs')
    names = [
        osp.basename(path)
        for path in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if '_base_' not in path.split(osp.sep)
    ]
    assert len(names) > 40
    assert sorted(set(names)) == sorted(names)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['mmdetco']
    assert cfg.default_scope == 'mmpretrain'
    model_cfg = cfg.model
    if model_cfg.backbone.depth != 18:  # ResNet-18 keeps the test fast
        model_cfg.backbone.depth = 18
        model_cfg.neck.in_channels = tuple(
            RESNET18_CHANNELS[i] for i in model_cfg.backbone.out_indices)
    model_cfg.queue_len = 256
    model = MODELS.build(model_cfg)
    assert model.queue_global.shape[0] == len(model_cfg.head.levels)
    loader = cfg.train_dataloader
    assert loader.drop_last
    for t in loader.dataset.pipeline:
        TRANSFORMS.build(t)
    for hook in cfg.custom_hooks:
        HOOKS.build(hook)
    assert cfg.model.queue_len % loader.batch_size == 0


def test_schedules_match_their_names():
    for epochs in (100, 200, 800):
        cfg = Config.fromfile(
            osp.join(CONFIG_DIR,
                     f'detco_resnet50_8xb32-coslr-{epochs}e_in1k.py'))
        assert cfg.train_cfg.max_epochs == epochs
        assert cfg.param_scheduler[0].T_max == epochs
        assert cfg.optim_wrapper.optimizer.lr == 0.03


def test_aa_variant_adds_randaugment_to_global_views_only():
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'detco-aa_resnet50_8xb32-coslr-200e_in1k.py'))
    views = cfg.train_dataloader.dataset.pipeline[1]
    assert views.global_pipeline[-1].type == 'RandAugment'
    assert all(t.type != 'RandAugment' for t in views.patch_pipeline)


def test_resnet50_config_matches_the_spec():
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'detco_resnet50_8xb32-coslr-200e_in1k.py'))
    m = cfg.model
    assert (m.queue_len, m.feat_dim, m.momentum) == (65536, 128, 0.001)
    assert m.head.level_weights == (0.1, 0.4, 0.7, 1.0)
    assert m.head.temperature == 0.2
    views = cfg.train_dataloader.dataset.pipeline[1]
    assert views.global_pipeline[0].scale == 224
    assert views.global_pipeline[0].crop_ratio_range == (0.2, 1.)
    assert views.patch_pipeline[0].scale == 255
    assert views.patch_pipeline[0].crop_ratio_range == (0.6, 1.)
    jigsaw = views.patch_pipeline[-1]
    assert (jigsaw.grid_size, jigsaw.patch_size, jigsaw.shuffle) == (3, 64,
                                                                     True)


def test_imagenet_configs_seed_each_sample():
    """The ImageNet configs draw each sample's augmentations from the seed,
    the epoch and its index (``docs/en/long_runs.md``); the demo, which
    replaces the data set, keeps its own (its documented figures)."""
    for path in CONFIGS:
        loader = Config.fromfile(path).train_dataloader
        assert loader.sampler.type == 'EpochSeededSampler', path
        if 'demo' in osp.basename(path):
            assert loader.dataset.type == 'CustomDataset', path
        else:
            assert loader.dataset.type == 'SampleSeededDataset', path
            assert loader.dataset.dataset_type == 'ImageNet', path


@pytest.mark.parametrize('path', CONFIGS + sorted(
    glob.glob(osp.join(CONFIG_DIR, 'ablations', '*.py'))))
def test_ddp_keeps_gradients_in_its_buckets_and_buffers_local(path):
    """DDP without a second copy of the gradients and without broadcasting
    the buffers (the queues) at every forward."""
    wrapper = Config.fromfile(path).model_wrapper_cfg
    assert wrapper == dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        gradient_as_bucket_view=True), path
