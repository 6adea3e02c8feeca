# Copyright (c) mmdetco contributors. All rights reserved.
from collections import OrderedDict

import pytest
import torch
import torchvision
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS

import mmdetco  # noqa: F401
from mmdetco.utils import (extract_backbone_state_dict, infer_resnet_depth,
                           load_checkpoint_safely, load_resnet_backbone)
from mmdetco.utils.weights import compare_state_dicts, select_as_pretrained
from ..conftest import tiny_detco_cfg


class NotAllowed:
    """A type that ``torch.load(weights_only=True)`` refuses."""


@pytest.fixture(scope='module')
def detco_state_dict():
    """A DetCo ResNet-18 state dict whose query and key backbones differ."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_detco_cfg())
    with torch.no_grad():
        for value in model.backbone.state_dict().values():
            if value.is_floating_point():
                value.add_(torch.rand_like(value))
    return model.state_dict()


def mmengine_checkpoint(state_dict):
    """An mmengine-like training checkpoint, message hub included."""
    message_hub = MessageHub.get_instance('test_weights')
    message_hub.update_scalar('train/loss', 1.0)
    return {
        'meta': {
            'epoch': 1,
            'iter': 10
        },
        'state_dict': state_dict,
        'message_hub': message_hub.state_dict()
    }


def test_load_checkpoint_safely(tmp_path, detco_state_dict):
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(mmengine_checkpoint(detco_state_dict), path)
    ckpt = load_checkpoint_safely(path)
    assert ckpt['meta'] == {'epoch': 1, 'iter': 10}
    assert ckpt['state_dict'].keys() == detco_state_dict.keys()

    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_checkpoint_safely(missing)

    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save({'state_dict': {}, 'object': NotAllowed()}, unsafe)
    with pytest.raises(ValueError, match='unsafe.pth.*weights_only=True'):
        load_checkpoint_safely(unsafe)

    not_a_checkpoint = tmp_path / 'notes.txt'
    not_a_checkpoint.write_text('hello')
    with pytest.raises(ValueError, match='notes.txt'):
        load_checkpoint_safely(str(not_a_checkpoint))


def test_extract_returns_query_backbone(detco_state_dict):
    backbone = extract_backbone_state_dict(
        mmengine_checkpoint(detco_state_dict), 'detco.pth')
    assert isinstance(backbone, OrderedDict)
    expected = {
        key[len('backbone.'):]: value
        for key, value in detco_state_dict.items()
        if key.startswith('backbone.')
    }
    assert list(backbone) == list(expected)
    assert 'conv1.weight' in backbone
    assert 'layer1.0.bn1.running_var' in backbone
    for key, value in backbone.items():
        assert torch.equal(value, expected[key])
        momentum_value = detco_state_dict['encoder_k.module.0.' + key]
        if value.is_floating_point():  # not the momentum encoder's
            assert not torch.equal(value, momentum_value), key

    # a bare state dict, and the momentum encoders of other methods
    bare = extract_backbone_state_dict(detco_state_dict, 'x')
    assert list(bare) == list(expected)
    for momentum in ('momentum_encoder.', 'target_net.'):
        ckpt = {
            'state_dict': {
                'backbone.conv1.weight': torch.ones(1),
                momentum + 'module.0.conv1.weight': torch.zeros(1)
            }
        }
        backbone = extract_backbone_state_dict(ckpt, 'x')
        assert list(backbone) == ['conv1.weight']
        assert backbone['conv1.weight'].item() == 1


def test_extract_refuses_torchvision_state_dict(tmp_path):
    path = str(tmp_path / 'resnet18.pth')
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    ckpt = load_checkpoint_safely(path)
    with pytest.raises(ValueError) as info:
        extract_backbone_state_dict(ckpt, path)
    message = str(info.value)
    assert path in message
    assert 'not a DetCo or MMPretrain self-supervised checkpoint' in message
    assert 'top-level keys: conv1.weight, bn1.weight' in message
    assert f'({len(ckpt)} in all)' in message
    assert 'conv1 (1), bn1 (5), layer1 (' in message
    assert 'fc (2)' in message


def test_extract_refuses_other_checkpoints(tmp_path, detco_state_dict):
    # an mmengine checkpoint without backbone keys
    no_backbone = {
        key: value
        for key, value in detco_state_dict.items()
        if not key.startswith('backbone.')
    }
    path = str(tmp_path / 'no_backbone.pth')
    torch.save(mmengine_checkpoint(no_backbone), path)
    with pytest.raises(ValueError) as info:
        extract_backbone_state_dict(load_checkpoint_safely(path), path)
    message = str(info.value)
    assert path in message
    assert 'top-level keys: meta, state_dict, message_hub' in message
    for found in ('queue_global (1)', 'neck (32)', 'encoder_k (153)'):
        assert found in message

    # a detector: backbone, but no momentum encoder
    detector = {
        'meta': {},
        'state_dict': {
            'backbone.conv1.weight': torch.ones(1),
            'roi_head.bbox_head.fc_cls.weight': torch.ones(1)
        }
    }
    with pytest.raises(ValueError, match='backbone .1., roi_head .1.'):
        extract_backbone_state_dict(detector, 'faster_rcnn.pth')

    # no state dict at all
    with pytest.raises(ValueError, match='meta, optimizer; no state_dict'):
        extract_backbone_state_dict({'meta': {}, 'optimizer': {}}, 'x')
    with pytest.raises(ValueError, match='found a Tensor, not a dict'):
        extract_backbone_state_dict(torch.ones(1), 'x')


def test_infer_resnet_depth(tmp_path, detco_state_dict):
    backbone = extract_backbone_state_dict(detco_state_dict, 'x')
    assert infer_resnet_depth(backbone, 'x') == 18
    # num_batches_tracked may be missing
    without_counts = {
        key: value
        for key, value in backbone.items()
        if not key.endswith('num_batches_tracked')
    }
    assert infer_resnet_depth(without_counts, 'x') == 18

    path = str(tmp_path / 'detco.pth')
    torch.save(mmengine_checkpoint(detco_state_dict), path)
    state_dict, depth = load_resnet_backbone(path)
    assert depth == 18 and list(state_dict) == list(backbone)

    truncated = {
        key: value
        for key, value in backbone.items() if not key.startswith('layer4.1.')
    }
    layout = r'BasicBlock blocks per stage \{1: 2, 2: 2, 3: 2, 4: 1\}'
    with pytest.raises(ValueError, match=layout):
        infer_resnet_depth(truncated, 'x')

    v1d = MODELS.build(dict(type='ResNetV1d', depth=18)).state_dict()
    with pytest.raises(ValueError, match='unexpected keys: stem.0.conv'):
        infer_resnet_depth(v1d, 'x')

    wide = dict(backbone, **{'conv1.weight': torch.ones(64, 3, 3, 3)})
    shapes = r'wrong shapes: conv1.weight \(64, 3, 3, 3\) != \(64, 3, 7, 7\)'
    with pytest.raises(ValueError, match=shapes):
        infer_resnet_depth(wide, 'x')


def test_select_as_pretrained():
    """As mmengine's Pretrained init: ``module.`` stripped without a prefix,
    else only the keys under the prefix (a trailing dot implied)."""
    state = {'module.conv1.weight': torch.ones(1), 'fc.bias': torch.ones(1)}
    assert list(select_as_pretrained(state,
                                     None)) == ['conv1.weight', 'fc.bias']
    assert list(select_as_pretrained(state, 'module')) == ['conv1.weight']
    assert not select_as_pretrained(state, 'backbone.')


def test_partial_module_options():
    """The C4 res5 head's options: a part of the file (unexpected keys
    allowed), new keys (``norm.``) allowed missing, the rest compared."""
    module = {
        'layer4.0.weight': torch.ones(2),
        'norm.weight': torch.ones(2),
        'norm.num_batches_tracked': torch.tensor(0)
    }
    offered = {'layer4.0.weight': torch.ones(2), 'conv1.weight': torch.ones(1)}
    assert not any(compare_state_dicts(module, offered, ['norm.'], True))
    mismatch = compare_state_dicts(module, offered)
    assert mismatch.missing == ['norm.weight']
    assert mismatch.unexpected == ['conv1.weight']
    offered['layer4.0.weight'] = torch.ones(3)
    assert compare_state_dicts(
        module, offered, ['norm.'],
        True).misshapen == ['layer4.0.weight (3,) != (2,)']
