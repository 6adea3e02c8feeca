# Copyright (c) mmdetco contributors. All rights reserved.
"""PretrainedBackboneCheckHook: a run whose backbone did not load from its
``Pretrained`` file stops before its first iteration, naming the file, the
prefix, the keys and the fix; every format the converters write loads and
passes, with the file's values."""
import os.path as osp
import uuid

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mmdetco  # noqa: F401  (registers the hook, safe checkpoint loading)
from mmdetco.engine import PretrainedBackboneCheckHook, PretrainedWeightsError
from mmdetco.engine.hooks.pretrained_check_hook import ModuleCheck
from ...conftest import load_tool, tiny_detco_cfg

#: a narrow ResNet: the key names of a ResNet-18, 1/8 of its channels
NARROW = dict(stem_channels=8, base_channels=8)


def backbone_cfg(checkpoint=None, prefix=None, depth=18, **kwargs):
    init_cfg = None if checkpoint is None else dict(
        type='Pretrained', checkpoint=checkpoint, prefix=prefix)
    return dict(
        type='ResNet',
        depth=depth,
        out_indices=(3, ),
        init_cfg=init_cfg,
        **{
            **NARROW,
            **kwargs
        })


class Classifier(BaseModel):
    """A backbone and a linear layer; counts its training steps."""

    def __init__(self, backbone: dict):
        super().__init__()
        self.backbone = MODELS.build(backbone)
        self.backbone.eval()
        with torch.no_grad():
            channels = self.backbone(torch.zeros(1, 3, 32, 32))[-1].shape[1]
        self.head = nn.Linear(channels, 2)
        self.steps = 0

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.steps += 1
        features = self.backbone(inputs)[-1].mean(dim=(2, 3))
        return dict(loss=self.head(features).pow(2).mean())


def make_runner(work_dir, backbone, hooks=None, **kwargs):
    torch.manual_seed(0)
    model = Classifier(backbone)
    if hooks is None:
        hooks = [dict(type='PretrainedBackboneCheckHook')]
    return Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=f'check_{uuid.uuid4().hex}',
        default_scope='mmpretrain',
        train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(3, 32, 32)) for _ in range(4)],
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            batch_size=2,
            num_workers=0),
        train_cfg=kwargs.pop('train_cfg', dict(by_epoch=True, max_epochs=1)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=hooks,
        visualizer=dict(type='Visualizer', name=f'vis_{uuid.uuid4().hex}'),
        **kwargs)


def refused(work_dir, backbone, match=None, **kwargs) -> str:
    """Train; the run must stop with PretrainedWeightsError before its
    first iteration. Returns the message."""
    runner = make_runner(work_dir, backbone, **kwargs)
    with pytest.raises(PretrainedWeightsError, match=match) as info:
        runner.train()
    assert runner.model.steps == 0 and runner.iter == 0
    return str(info.value)


def passes(work_dir, backbone, expected: dict, **kwargs) -> Runner:
    """Train one epoch; the backbone must start from ``expected`` (a state
    dict without prefix)."""
    runner = make_runner(work_dir, backbone, **kwargs)
    seen = {}

    def snapshot(module, args):
        if not seen:
            seen.update({
                k: v.detach().clone()
                for k, v in module.backbone.state_dict().items()
            })

    runner.model.register_forward_pre_hook(snapshot)
    runner.train()
    assert runner.model.steps == 2
    assert seen.keys() == expected.keys()
    for key, value in seen.items():
        if not key.endswith('num_batches_tracked'):
            assert torch.equal(value, expected[key]), key
    return runner


def distinct(state_dict, scale=0.1):
    """Perturb every float tensor (values a fresh init cannot have)."""
    with torch.no_grad():
        for value in state_dict.values():
            if value.is_floating_point():
                value.add_(scale * torch.rand_like(value) + 1e-3)
    return state_dict


def save_training_checkpoint(path, depth=18) -> dict:
    """A DetCo training checkpoint, as mmengine writes it (state dict with
    the query ``backbone.*``, the momentum encoder ``encoder_k.*``, neck,
    head and queues; meta and message hub)."""
    torch.manual_seed(depth)
    channels = [8 * 2**i * (4 if depth >= 50 else 1) for i in range(4)]
    model = MODELS.build(
        tiny_detco_cfg(
            backbone=dict(
                type='ResNet', depth=depth, out_indices=(0, 1, 2, 3),
                **NARROW),
            neck=dict(
                type='DetCoNeck',
                in_channels=channels,
                hid_channels=8,
                out_channels=8)))
    state_dict = distinct(model.state_dict())
    torch.save(
        dict(
            meta=dict(epoch=4, iter=np.int64(8), seed=0),
            state_dict=state_dict,
            message_hub=dict(
                log_scalars=dict(
                    loss=HistoryBuffer(np.array([1.0]), np.array([1]))))),
        path)
    return state_dict


def without(state_dict, prefix):
    return {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """The formats the converters write, and the files of the negative
    cases; by name: (path, backbone state dict without prefix)."""
    folder = tmp_path_factory.mktemp('pretrained')
    out = {}
    training = str(folder / 'epoch_4.pth')
    state = save_training_checkpoint(training)
    query = without(state, 'backbone.')
    out['training'] = training, query
    extract = load_tool(
        'tools/model_converters/extract_backbone_weights.py')
    exported = str(folder / 'backbone.pth')
    extract.main([training, exported])
    out['exported'] = exported, query
    with_prefix = str(folder / 'backbone_with_prefix.pth')
    extract.main([training, with_prefix, '--with-prefix'])
    out['exported_with_prefix'] = with_prefix, query

    # the DetCo authors' release: a torchvision ResNet (full width: the
    # converter checks it against torchvision's) under state_dict, with fc
    torch.manual_seed(1)
    released_state = distinct(torchvision.models.resnet18().state_dict())
    released = str(folder / 'detco_200ep.pkl')
    torch.save(dict(state_dict=released_state), released)
    converted = str(folder / 'detco_200ep_mmdetco.pth')
    load_tool('tools/model_converters/convert_official_detco.py').main(
        [released, converted])
    released_backbone = {
        k: v
        for k, v in released_state.items() if not k.startswith('fc.')
    }
    out['released'] = released, released_backbone
    out['released_converted'] = converted, released_backbone

    # another depth (ResNet-50, narrow), and the original MoCo's layout
    deep = str(folder / 'detco_r50_epoch_200.pth')
    out['training_r50'] = deep, without(
        save_training_checkpoint(deep, depth=50), 'backbone.')
    moco = str(folder / 'moco_v2_800ep.pth.tar')
    moco_state = {f'module.encoder_q.{k}': v for k, v in query.items()}
    moco_state.update({
        f'module.encoder_k.{k}': v + 1
        for k, v in query.items()
    })
    moco_state['module.queue'] = torch.randn(8, 16)
    torch.save(dict(state_dict=moco_state, epoch=800, arch='resnet18'), moco)
    out['moco_original'] = moco, query
    return out


ACCEPTED = [
    # (file, prefix, full width)
    ('training', 'backbone.', False),
    ('exported', None, False),
    ('exported_with_prefix', 'backbone.', False),
    ('released', None, True),
    ('released_converted', 'backbone.', True),
]


@pytest.mark.slow
@pytest.mark.parametrize('name,prefix,full', ACCEPTED)
def test_every_converter_format_loads_and_passes(name, prefix, full, files,
                                                 tmp_path):
    path, expected = files[name]
    width = dict(stem_channels=64, base_channels=64) if full else {}
    runner = passes(tmp_path, backbone_cfg(path, prefix, **width), expected)
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert 'PretrainedBackboneCheckHook: `backbone`: all' in log
    assert 'loaded from ' + path in log


@pytest.mark.slow
def test_prefix_none_on_a_training_checkpoint(files, tmp_path):
    """The issue's case: the pre-training checkpoint the user has in hand,
    given to a config without prefix, loads nothing."""
    path, _ = files['training']
    message = refused(tmp_path, backbone_cfg(path, None))
    assert path in message and 'prefix: None' in message
    assert 'missing keys (in the backbone, not in the file): conv1.weight' \
        in message
    (unexpected, ) = [
        line for line in message.splitlines()
        if line.startswith('  unexpected keys (in the file, not in the '
                           'backbone): ')
    ]
    assert 'backbone.conv1.weight' in unexpected
    assert 'this looks like a DetCo (or MoCo-style) training checkpoint' \
        in message
    assert 'encoder_k.*' in message
    assert "use prefix='backbone.'" in message
    assert 'extract_backbone_weights.py' in message


@pytest.mark.slow
def test_prefix_none_on_a_prefixed_export(files, tmp_path):
    path, _ = files['exported_with_prefix']
    message = refused(tmp_path, backbone_cfg(path, None))
    assert 'this file has a `backbone.` prefix' in message
    assert "use prefix='backbone.'" in message
    assert 'training checkpoint' not in message


@pytest.mark.slow
def test_backbone_prefix_on_an_export_without_prefix(files, tmp_path):
    """mmengine would fail with a bare "backbone. is not in the pretrained
    model" in init_weights; the hook names file, prefix, keys and fix
    first (before_run, before init_weights)."""
    path, _ = files['exported']
    message = refused(tmp_path, backbone_cfg(path, 'backbone.'))
    assert path in message and "prefix: 'backbone.'" in message
    assert 'missing keys (in the backbone, not in the file): conv1.weight' \
        in message
    assert 'this file has no `backbone.` prefix' in message
    assert 'use prefix=None' in message
    assert 'model.backbone.init_cfg.prefix=None' in message


@pytest.mark.slow
def test_another_prefix_is_found(files, tmp_path):
    """A checkpoint of another method (the original MoCo's layout,
    ``module.encoder_q.*``): the prefix that holds the backbone is named,
    never the momentum encoder's."""
    path, expected = files['moco_original']
    message = refused(tmp_path, backbone_cfg(path, 'backbone.'))
    assert "use prefix='module.encoder_q.'" in message
    # the momentum encoder is named, and the keys of the file
    assert 'not the momentum encoder module.encoder_k.*' in message
    assert 'keys of the file, by first name: module. (' in message
    # and the fix works
    passes(tmp_path / 'fixed', backbone_cfg(path, 'module.encoder_q.'),
           expected)


@pytest.mark.slow
def test_resnet18_file_for_a_resnet50(files, tmp_path):
    """Missing and misshapen keys: mmengine would load nothing of the
    stages' convolutions and say so only in the log."""
    path, _ = files['training']
    message = refused(tmp_path, backbone_cfg(path, 'backbone.', depth=50))
    assert 'missing keys' in message and 'layer1.0.conv3.weight' in message
    assert 'misshapen keys (file shape != backbone shape): ' \
        'layer1.0.conv1.weight (8, 8, 3, 3) != (8, 8, 1, 1)' in message
    assert 'the file holds a ResNet-18 (BasicBlock, 2-2-2-2 blocks) and ' \
        'the backbone is a ResNet-50 (Bottleneck, 3-4-6-3 blocks)' in message


@pytest.mark.slow
def test_resnet50_file_for_a_resnet18(files, tmp_path):
    """Unexpected (and misshapen) keys."""
    path, _ = files['training_r50']
    message = refused(tmp_path, backbone_cfg(path, 'backbone.'))
    assert 'unexpected keys (in the file, not in the backbone): ' in message
    assert 'layer1.0.conv3.weight' in message
    assert 'ResNet-50' in message and 'ResNet-18' in message


@pytest.mark.slow
def test_another_architecture(files, tmp_path):
    """A ResNetV1c (deep stem ``stem.*``) given a plain ResNet file."""
    path, _ = files['training']
    cfg = dict(backbone_cfg(path, 'backbone.'), type='ResNetV1c')
    message = refused(tmp_path, cfg)
    assert 'missing keys' in message and 'stem.0.conv.weight' in message
    assert 'unexpected keys' in message and 'conv1.weight' in message
    assert 'do not fit the backbone' in message


@pytest.mark.slow
def test_missing_file_and_missing_checkpoint(tmp_path):
    missing = str(tmp_path / 'nowhere' / 'epoch_200.pth')
    message = refused(tmp_path / 'a', backbone_cfg(missing, 'backbone.'))
    assert missing in message and 'does not exist' in message
    cfg = backbone_cfg('x', 'backbone.')
    cfg['init_cfg']['checkpoint'] = None
    message = refused(tmp_path / 'b', cfg)
    assert 'model.backbone.init_cfg=None' in message


@pytest.mark.slow
def test_values_changed_after_loading(files, tmp_path):
    """A weight that init_weights loaded and something changed afterwards
    (here a hook of higher priority) counts as not loaded."""
    from mmengine.hooks import Hook

    class Reinit(Hook):
        priority = 'HIGHEST'

        def before_train(self, runner):
            with torch.no_grad():
                runner.model.backbone.conv1.weight.zero_()

    path, _ = files['exported']
    message = refused(
        tmp_path,
        backbone_cfg(path, None),
        hooks=[dict(type='PretrainedBackboneCheckHook'),
               Reinit()])
    assert 'keys whose values differ from the file: conv1.weight' in message


@pytest.mark.slow
def test_random_init_passes(tmp_path):
    """No Pretrained init_cfg: a scratch baseline, with a warning."""
    runner = make_runner(tmp_path, backbone_cfg())
    runner.train()
    assert runner.model.steps == 2
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert 'has no Pretrained init_cfg: it starts from random weights' in log


@pytest.mark.slow
def test_resumed_run_is_not_checked(files, tmp_path):
    """A resumed run's weights come from its own checkpoint: the file is
    not compared (a trained backbone differs from it), no false failure."""
    path, _ = files['exported']
    make_runner(tmp_path, backbone_cfg(path, None)).train()
    assert osp.isfile(osp.join(tmp_path, 'epoch_1.pth'))
    runner = make_runner(
        tmp_path,
        backbone_cfg(path, None),
        resume=True,
        train_cfg=dict(by_epoch=True, max_epochs=2))
    runner.train()
    assert runner.model.steps == 2 and runner.epoch == 2
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert 'the run resumed or loaded a checkpoint' in log


@pytest.mark.slow
def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='no module'):
        PretrainedBackboneCheckHook(modules=[])
    with pytest.raises(TypeError, match='unknown options'):
        PretrainedBackboneCheckHook(modules=[dict(name='backbone', x=1)])
    with pytest.raises(TypeError, match='each of `modules` is a module name'):
        PretrainedBackboneCheckHook(modules=[dict(ignore_missing=['norm.'])])
    hook = PretrainedBackboneCheckHook(modules=['head.nothing'])
    refused(tmp_path, backbone_cfg(), match='no module `head', hooks=[hook])


def test_report_of_another_model():
    """A file of another model: no prefix holds the module's keys."""
    state = {'conv1.weight': torch.ones(2, 3)}
    file = {'head.fc.weight': torch.ones(2, 3), 'head.fc.bias': torch.ones(2)}
    check = ModuleCheck(
        'backbone', checkpoint='https://host/model.pth', prefix='backbone.',
        file=file)
    with pytest.raises(PretrainedWeightsError) as info:
        check.check(state, {})
    assert 'missing keys (in the backbone, not in the file): conv1.weight' \
        in str(info.value)
    lines = str(info.value).splitlines()
    fix = lines[-1][len('  fix: '):-1]
    assert fix.startswith('no key of this file starts with `backbone.` and '
                          'no other prefix holds the backbone')
    assert 'keys head. (2)' in fix
    assert lines[1] == '  file:   https://host/model.pth'
    assert lines[-1] == f'  fix: {fix}.'


def test_detectron2_layout():
    """A file in detectron2's names: the fix names the layout."""
    state = {'conv1.weight': torch.ones(2), 'layer1.0.bias': torch.ones(2)}
    file = {'stem.conv1.weight': torch.ones(2), 'res2.0.bias': torch.ones(2)}
    check = ModuleCheck('backbone', checkpoint='d2.pth', file=file)
    with pytest.raises(PretrainedWeightsError, match="detectron2's layout"):
        check.check(state, file)


@pytest.mark.slow
def test_detectron2_pkl_is_refused(files, tmp_path):
    """detectron2's ``.pkl`` of numpy arrays, which mmengine cannot read."""
    path = str(tmp_path / 'detco_r18_d2.pkl')
    load_tool('tools/model_converters/convert_to_detectron2.py').main(
        [files['released'][0], path])
    message = refused(tmp_path, backbone_cfg(path, None))
    assert 'mmengine cannot read ' + path in message
    assert "detectron2's layout" in message
