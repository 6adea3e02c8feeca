# Copyright (c) mmdetco contributors. All rights reserved.
import importlib.util
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from mmpretrain.registry import MODELS

import mmdetco  # noqa: F401
from mmdetco.utils import extract_backbone_state_dict, infer_resnet_depth
from ..conftest import RESNET18_CHANNELS, ROOT, tiny_detco_cfg

REPO = Path(ROOT)
TOOLS = REPO / 'tools' / 'model_converters'
NORM = ('weight', 'bias', 'running_mean', 'running_var')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(name, *args, expect_success=True):
    """Run a tool as a user would, from the repository root; its stdout, or
    the finished process if ``expect_success`` is false."""
    env = dict(os.environ)
    paths = [str(REPO), env.get('PYTHONPATH', '')]
    env['PYTHONPATH'] = os.pathsep.join(path for path in paths if path)
    result = subprocess.run(
        [sys.executable,
         str(TOOLS / f'{name}.py'), *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    if not expect_success:
        return result
    assert result.returncode == 0, result.stderr
    return result.stdout


def build_detco(depth, backbone='ResNet'):
    """A small DetCo whose backbone is a ``backbone`` of ``depth``."""
    cfg = tiny_detco_cfg()
    cfg['backbone'].update(type=backbone, depth=depth)
    if depth >= 50:
        cfg['neck']['in_channels'] = tuple(4 * c for c in RESNET18_CHANNELS)
    return MODELS.build(cfg)


def resnet_backbone(depth):
    """The query backbone of a DetCo ResNet-``depth`` state dict."""
    state_dict = build_detco(depth).state_dict()
    return extract_backbone_state_dict(state_dict, f'detco_r{depth}')


@pytest.fixture(scope='module')
def detco18(tmp_path_factory):
    """A DetCo ResNet-18 checkpoint whose query and key backbones differ
    (BN statistics included), and its query backbone."""
    torch.manual_seed(0)
    model = build_detco(18)
    with torch.no_grad():
        for name, value in model.backbone.state_dict().items():
            if name.endswith('running_var'):
                value.uniform_(0.5, 1.5)
            elif value.is_floating_point():
                value.add_(0.1 * torch.randn_like(value))
    path = tmp_path_factory.mktemp('detco') / 'epoch_1.pth'
    torch.save(
        {
            'meta': {
                'epoch': 1,
                'iter': 10
            },
            'state_dict': model.state_dict()
        }, path)
    query = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    key = {
        k: v.clone()
        for k, v in model.encoder_k.module[0].state_dict().items()
    }
    return path, query, key


@pytest.fixture(scope='module')
def resnet50_backbone():
    return resnet_backbone(50)


def assert_state_dict_equal(actual, expected):
    assert list(actual) == list(expected)
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key


@pytest.mark.stack
@pytest.mark.slow
def test_extract_backbone_weights(tmp_path, detco18):
    path, query, key = detco18
    out = tmp_path / 'backbone.pth'
    stdout = run_tool('extract_backbone_weights', path, out)
    assert 'Saved the query backbone' in stdout and str(out) in stdout

    # safe to load without mmdetco's allow-list: tensors and plain meta
    extracted = torch.load(out, weights_only=True)
    assert set(extracted) == {'state_dict', 'meta'}
    assert_state_dict_equal(extracted['state_dict'], query)
    assert not torch.equal(extracted['state_dict']['conv1.weight'],
                           key['conv1.weight'])
    meta = extracted['meta']
    assert meta['source'] == str(path) and meta['prefix'] is None
    assert meta['source_epoch'] == 1 and meta['source_iter'] == 10

    # ``Pretrained`` without prefix on the extracted file
    backbone = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            init_cfg=dict(type='Pretrained', checkpoint=str(out))))
    backbone.init_weights()
    assert_state_dict_equal(backbone.state_dict(), query)

    # ``prefix='backbone.'`` is needed on files with ``backbone.*`` keys
    extract = load_tool('extract_backbone_weights')
    with_prefix = tmp_path / 'with_prefix.pth'
    extract.main([str(path), str(with_prefix), '--with-prefix'])
    extracted = torch.load(with_prefix, weights_only=True)
    assert list(
        extracted['state_dict']) == ['backbone.' + name for name in query]
    assert extracted['meta']['prefix'] == 'backbone.'
    for checkpoint in (path, with_prefix):
        backbone = MODELS.build(
            dict(
                type='ResNet',
                depth=18,
                init_cfg=dict(
                    type='Pretrained',
                    checkpoint=str(checkpoint),
                    prefix='backbone.')))
        backbone.init_weights()
        assert_state_dict_equal(backbone.state_dict(), query)

    # without prefix, the full checkpoint silently loads nothing
    backbone = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    backbone.init_weights()
    assert not torch.equal(backbone.conv1.weight, query['conv1.weight'])

    # wrong checkpoints are refused
    torchvision_file = tmp_path / 'resnet18.pth'
    torch.save(torchvision.models.resnet18().state_dict(), torchvision_file)
    with pytest.raises(ValueError, match='fc .2.'):
        extract.main([str(torchvision_file), str(tmp_path / 'x.pth')])
    assert not (tmp_path / 'x.pth').exists()


@pytest.mark.stack
@pytest.mark.slow
def test_convert_to_torchvision_resnet18(tmp_path, detco18):
    path, query, _ = detco18
    out = tmp_path / 'resnet18.pth'
    stdout = run_tool('convert_to_torchvision', path, out)
    assert 'resnet18' in stdout and 'NOT pre-trained' in stdout

    state_dict = torch.load(out, weights_only=True)
    model = torchvision.models.resnet18(weights=None)
    model.load_state_dict(state_dict, strict=True)
    assert not state_dict['fc.weight'].any()
    assert not state_dict['fc.bias'].any()
    for key, value in query.items():
        assert torch.equal(state_dict[key], value), key

    # same features as the MMPretrain backbone
    backbone = MODELS.build(dict(type='ResNet', depth=18, out_indices=(3, )))
    backbone.load_state_dict(query, strict=True)
    model.fc = torch.nn.Identity()
    backbone.eval()
    model.eval()
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = backbone(inputs)[-1].mean(dim=(2, 3))
        actual = model(inputs)
    assert actual.shape == (2, 512)
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('depth', [50, 101])
def test_convert_to_torchvision_deep(depth, resnet50_backbone):
    backbone = resnet50_backbone if depth == 50 else resnet_backbone(depth)
    assert infer_resnet_depth(backbone, 'x') == depth
    converted = load_tool('convert_to_torchvision').convert_to_torchvision(
        backbone, depth)
    model = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    model.load_state_dict(converted, strict=True)
    assert converted['fc.weight'].shape == (1000, 2048)
    for key, value in backbone.items():
        assert torch.equal(converted[key], value), key


@pytest.mark.stack
@pytest.mark.slow
def test_convert_to_detectron2_resnet18(tmp_path, detco18):
    path, query, _ = detco18
    out = tmp_path / 'r18.pkl'
    stdout = run_tool('convert_to_detectron2', path, out)
    assert 'R-18' in stdout
    with open(out, 'rb') as f:
        converted = pickle.load(f)
    assert converted['__author__'] == 'mmdetco'
    assert converted['matching_heuristics'] is True
    model = converted['model']
    assert len(model) == len(
        [k for k in query if not k.endswith('num_batches_tracked')])
    assert 'res2.0.shortcut.weight' not in model
    np.testing.assert_array_equal(model['stem.conv1.norm.running_var'],
                                  query['bn1.running_var'].numpy())
    np.testing.assert_array_equal(model['res5.1.conv2.norm.bias'],
                                  query['layer4.1.bn2.bias'].numpy())


def test_convert_to_detectron2_resnet50(resnet50_backbone):
    converted = load_tool('convert_to_detectron2').convert_to_detectron2(
        resnet50_backbone)
    model = converted['model']

    expected = {'stem.conv1.weight'}
    expected |= {f'stem.conv1.norm.{name}' for name in NORM}
    for stage, num_blocks in zip(range(2, 6), (3, 4, 6, 3)):
        for i in range(num_blocks):
            for k in (1, 2, 3):
                expected.add(f'res{stage}.{i}.conv{k}.weight')
                expected |= {
                    f'res{stage}.{i}.conv{k}.norm.{name}'
                    for name in NORM
                }
        expected.add(f'res{stage}.0.shortcut.weight')
        expected |= {f'res{stage}.0.shortcut.norm.{name}' for name in NORM}
    assert set(model) == expected
    assert len(model) == 265

    pairs = {
        'stem.conv1.weight': 'conv1.weight',
        'stem.conv1.norm.weight': 'bn1.weight',
        'res2.0.conv1.norm.running_mean': 'layer1.0.bn1.running_mean',
        'res3.2.conv3.weight': 'layer2.2.conv3.weight',
        'res4.0.shortcut.weight': 'layer3.0.downsample.0.weight',
        'res5.0.shortcut.norm.running_var':
        'layer4.0.downsample.1.running_var',
    }
    for name, key in pairs.items():
        assert isinstance(model[name], np.ndarray)
        np.testing.assert_array_equal(model[name],
                                      resnet50_backbone[key].numpy())


def test_converters_refuse_unknown_layouts(tmp_path):
    model = build_detco(18, backbone='ResNetV1d')
    path = tmp_path / 'detco_v1d.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    for name in ('convert_to_torchvision', 'convert_to_detectron2'):
        with pytest.raises(ValueError, match='unexpected keys: stem'):
            load_tool(name).main([str(path), str(tmp_path / 'out')])
    assert not (tmp_path / 'out').exists()


def released_checkpoint(path, drop=(), with_fc=True):
    """A file in the format the DetCo authors released: a torchvision
    ResNet-50 state dict under ``state_dict``, saved as ``.pkl``."""
    torch.manual_seed(0)
    state = torchvision.models.resnet50().state_dict()
    state = {
        key: value
        for key, value in state.items()
        if key not in drop and (with_fc or not key.startswith('fc.'))
    }
    torch.save(dict(state_dict=state), path)
    return state


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize('with_fc', [True, False])
def test_released_checkpoint_goes_through_every_converter(tmp_path, with_fc):
    path = tmp_path / 'detco_200ep.pkl'
    state = released_checkpoint(path, with_fc=with_fc)
    out = tmp_path / 'mmdetco.pth'
    stdout = run_tool('convert_official_detco', path, out)
    assert 'ResNet-50 backbone' in stdout and 'backbone.*' in stdout
    converted = torch.load(out, weights_only=True)['state_dict']
    backbone = {k: v for k, v in state.items() if not k.startswith('fc.')}
    assert list(converted) == [f'backbone.{k}' for k in backbone]
    assert all(torch.equal(converted[f'backbone.{k}'], v)
               for k, v in backbone.items())
    # the detectron2 and torchvision converters read the released file
    run_tool('convert_to_detectron2', path, tmp_path / 'd2.pkl')
    run_tool('convert_to_torchvision', path, tmp_path / 'tv.pth')
    tv = torch.load(tmp_path / 'tv.pth', weights_only=True)
    assert torch.equal(tv['layer4.2.conv3.weight'],
                       state['layer4.2.conv3.weight'])


def test_incomplete_released_checkpoint_is_refused_naming_the_keys(tmp_path):
    path = tmp_path / 'broken.pkl'
    released_checkpoint(path, drop=('layer4.2.conv3.weight', 'bn1.bias'))
    with pytest.raises(ValueError, match=r'missing keys: bn1.bias, '
                       r'layer4.2.conv3.weight'):
        load_tool('convert_official_detco').main(
            [str(path), str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()


class Exploit:
    """Unpickling it creates the file ``marker`` (by calling ``open``)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


@pytest.mark.slow
def test_crafted_released_checkpoint_is_refused(tmp_path):
    """The one converter that reads third-party files: a ``.pkl`` whose
    unpickling would run code is refused, and the code does not run."""
    marker, path = tmp_path / 'code_ran', tmp_path / 'detco_200ep.pkl'
    state = released_checkpoint(tmp_path / 'clean.pkl')
    torch.save(dict(state_dict=state, exploit=Exploit(str(marker))), path)
    out = tmp_path / 'mmdetco.pth'
    result = run_tool(
        'convert_official_detco', path, out, expect_success=False)
    assert result.returncode != 0
    assert 'Unsupported global: GLOBAL io.open' in result.stderr  # names it
    assert not marker.exists(), 'the checkpoint ran code'
    assert not out.exists()
