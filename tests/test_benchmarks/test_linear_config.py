# Copyright (c) mmdetco contributors. All rights reserved.
"""The ImageNet linear-probe config: MMPretrain's MoCo v2 linear protocol
(lr steps at 60 and 80); the frozen backbone loads DetCo's query
backbone."""
import os.path as osp

import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from ..conftest import ROOT
from .helpers import prefix_key_sets

CONFIG = osp.join(ROOT, 'configs', 'benchmarks', 'classification', 'imagenet',
                  'resnet50_linear-8xb32-steplr-100e_in1k.py')


def test_linear_probe_config(detco_r50):
    checkpoint, state = detco_r50
    cfg = Config.fromfile(CONFIG)
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmdetco' in cfg.custom_imports.imports
    assert cfg.optim_wrapper.optimizer.lr == 30
    assert cfg.optim_wrapper.optimizer.weight_decay == 0
    assert cfg.train_cfg.max_epochs == 100
    (scheduler, ) = cfg.param_scheduler
    assert scheduler.type == 'MultiStepLR' and scheduler.by_epoch
    assert scheduler.milestones == [60, 80] and scheduler.gamma == 0.1
    assert cfg.train_dataloader.batch_size == 32
    backbone = cfg.model.backbone
    assert backbone.depth == 50 and backbone.frozen_stages == 4
    assert backbone.init_cfg.prefix == 'backbone.'

    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    missing, unexpected, _ = prefix_key_sets(checkpoint, model.backbone)
    assert not missing and not unexpected
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key
    # only the classifier learns; the frozen BN layers stay in eval mode
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'head.fc.weight', 'head.fc.bias'}
    assert not any(m.training for m in model.backbone.modules()
                   if isinstance(m, torch.nn.BatchNorm2d))
