# Copyright (c) mmdetco contributors. All rights reserved.
import pytest
import torch
from mmpretrain.models import ResNet
from mmpretrain.registry import MODELS

from ...conftest import tiny_detco_cfg, tiny_inputs


def split_resnet(bn_splits):
    return dict(
        type='SplitBNResNet',
        bn_splits=bn_splits,
        depth=18,
        out_indices=(0, 1, 2, 3))


def test_each_group_is_normalised_on_its_own():
    """In training, the features of each half of the batch are those of that
    half forwarded alone; in eval mode, those of the whole batch."""
    torch.manual_seed(0)
    backbone = MODELS.build(split_resnet(2))
    x = torch.randn(4, 3, 32, 32)
    halves = [ResNet.forward(backbone, h) for h in x.chunk(2)]
    whole = ResNet.forward(backbone, x)
    for level, feat in enumerate(backbone(x)):
        torch.testing.assert_close(feat, torch.cat([h[level] for h in halves]))
        assert not torch.allclose(feat, whole[level], atol=1e-3)
    backbone.eval()
    for feat, ref in zip(backbone(x), ResNet.forward(backbone, x)):
        torch.testing.assert_close(feat, ref)


def test_state_dict_is_a_resnets():
    split = MODELS.build(split_resnet(4))
    plain = ResNet(depth=18, out_indices=(0, 1, 2, 3))
    missing, unexpected = plain.load_state_dict(split.state_dict())
    assert not missing and not unexpected


def test_detco_keys_depend_on_the_shuffle_only_with_groups():
    """On one process DetCo's batch shuffle of the keys changes nothing with
    one BN group; with groups, which samples share a key's statistics
    depends on it, as with shuffle BN across GPUs."""
    inputs = tiny_inputs(batch_size=4)
    for bn_splits, same in ((1, True), (2, False)):
        torch.manual_seed(0)
        model = MODELS.build(tiny_detco_cfg(backbone=split_resnet(bn_splits)))
        images, patches = model._split_views(inputs)
        keys = []
        for seed in (1, 2):
            torch.manual_seed(seed)
            keys.append(model._encode_keys(images[1], patches[1])[0][-1])
        assert torch.allclose(*keys, atol=1e-5) == same


def test_mmpretrain_moco_trains_with_it():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MoCo',
            queue_len=16,
            feat_dim=8,
            backbone=dict(split_resnet(2), out_indices=(3, )),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=512,
                hid_channels=16,
                out_channels=8,
                with_avg_pool=True),
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='CrossEntropyLoss'),
                temperature=0.2)))
    loss = model(tiny_inputs(batch_size=4)[:2], mode='loss')['loss']
    assert torch.isfinite(loss)


def test_bad_input():
    with pytest.raises(ValueError, match='bn_splits'):
        MODELS.build(split_resnet(0))
    backbone = MODELS.build(split_resnet(3))
    with pytest.raises(ValueError, match=r'bn_splits.*\(3\).*\(4\)'):
        backbone(torch.randn(4, 3, 32, 32))
