# Copyright (c) mmdetco contributors. All rights reserved.
"""Every benchmark config stops a run whose backbone did not load
(PretrainedBackboneCheckHook,
tests/test_engine/test_hooks/test_pretrained_check_hook.py tests the hook
itself), and the scripts' work dirs differ per pre-training path."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmdetco.engine import PretrainedWeightsError
from mmdetco_demo.scenes import CLASSES
from ..conftest import ROOT
from .helpers import (DET_CONFIGS, config_path, load_config, pretrain_work_dir,
                      script_args, shrink, train_script_options)

pytest.importorskip('mmcv.ops', reason='MMDetection needs the mmcv ops')
import mmpretrain.models  # noqa: E402,F401  (ResLayerExtraNorm into mmdet)

BENCHMARK_DIR = osp.join(ROOT, 'configs', 'benchmarks')
DEMO_DETECTOR = config_path('demo/faster-rcnn_r18_fpn_1xb8-6e_demo.py')
#: every config that initialises a backbone from a pre-training
CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(BENCHMARK_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))


def pretrained_parts(node, path='model'):
    """The dotted paths of the parts of a model config with a Pretrained
    init_cfg."""
    if isinstance(node, dict):
        init_cfg = node.get('init_cfg')
        cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
        if any(
                isinstance(c, dict) and c.get('type') == 'Pretrained'
                for c in cfgs):
            yield path
        for key, value in node.items():
            if key != 'init_cfg':
                yield from pretrained_parts(value, f'{path}.{key}')


def test_the_benchmark_configs_are_all_found():
    names = {osp.relpath(p, BENCHMARK_DIR) for p in CONFIGS}
    assert {osp.relpath(p, BENCHMARK_DIR) for p in DET_CONFIGS} <= names
    assert {
        'mmdetection/demo/faster-rcnn_r18_fpn_1xb8-6e_demo.py',
        'mmdetection/demo/faster-rcnn_r18_fpn_1xb8-6e_demo_frozen-probe.py',
        'classification/imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py'
    } <= names


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, BENCHMARK_DIR) for p in CONFIGS])
def test_every_benchmark_config_checks_its_pretrained_parts(path):
    """The hook is in the config (it cannot be dropped by a config that
    sets its own custom_hooks), registered in the config's scope, and it
    checks every part with a Pretrained init_cfg."""
    if 'mmsegmentation' in path.split(osp.sep):
        pytest.importorskip(
            'mmseg', reason='the mmsegmentation configs need mmdetco[seg]')
    cfg = load_config(path)
    hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h.type == 'PretrainedBackboneCheckHook'
    ]
    assert len(hooks) == 1, cfg.get('custom_hooks')
    modules = hooks[0].get('modules', ['backbone'])
    checked = {m if isinstance(m, str) else m['name'] for m in modules}
    parts = {p[len('model.'):] for p in pretrained_parts(cfg.model)}
    assert 'backbone' in parts
    assert parts == checked
    if 'roi_head.shared_head' in parts:  # C4: res5 of the backbone's file
        (head, ) = [m for m in modules if not isinstance(m, str)]
        assert head.ignore_missing == ['norm.']
        assert 'ignore_unexpected' not in head  # checked strictly
    if 'frozen-probe' in path:  # the check runs before BN re-estimation
        assert [h.type for h in cfg.custom_hooks][:2] == [
            'PretrainedBackboneCheckHook', 'BackboneBNStatsHook'
        ]

    # the type resolves in the config's default scope
    imports = cfg.custom_imports.imports
    if cfg.default_scope == 'mmdet':
        assert 'mmdetco.det' in imports
        from mmdet.registry import HOOKS
    elif cfg.default_scope == 'mmseg':
        assert {'mmdetco', 'mmdetco.seg'} <= set(imports)
        from mmseg.registry import HOOKS

        import mmdetco.seg  # noqa: F401
    else:
        assert cfg.default_scope == 'mmpretrain' and 'mmdetco' in imports
        from mmpretrain.registry import HOOKS
    import mmdetco.det  # noqa: F401
    assert HOOKS.get('PretrainedBackboneCheckHook') is not None


def demo_runner(cfg, demo_coco, work_dir):
    cfg.work_dir = str(work_dir)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(num_workers=0, batch_size=2)
        cfg[name].dataset.data_root = demo_coco
        split = 'train' if name == 'train_dataloader' else 'val'
        cfg[name].dataset.ann_file = f'annotations/instances_{split}.json'
    cfg.val_evaluator.ann_file = osp.join(demo_coco, 'annotations',
                                          'instances_val.json')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.max_epochs = 1
    cfg.visualizer.pop('name', None)
    return Runner.from_cfg(cfg)


@pytest.mark.slow
def test_demo_detector_refuses_the_pretraining_checkpoint(
        detco_r18, demo_coco, tmp_path):
    """The issue's measured case: the demo detector (no prefix: it expects
    an exported backbone) given the pre-training checkpoint stops before
    its first iteration, with the fix; mmengine alone left the backbone
    random and logged it at info level."""
    checkpoint, _ = detco_r18
    cfg = Config.fromfile(DEMO_DETECTOR)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    runner = demo_runner(cfg, demo_coco, tmp_path)
    with pytest.raises(PretrainedWeightsError) as info:
        runner.train()
    assert runner.iter == 0
    message = str(info.value)
    assert checkpoint in message and 'prefix: None' in message
    assert 'conv1.weight' in message
    assert "use prefix='backbone.'" in message
    assert 'extract_backbone_weights.py' in message


@pytest.mark.slow
@pytest.mark.parametrize('part', ['backbone', 'roi_head.shared_head'])
def test_c4_detector_refuses_a_wrong_prefix_on_either_part(
        part, detco_r18, demo_coco, tmp_path):
    """A C4 detector with the scripts' options, but prefix=None on one of
    its two pre-trained parts: stops, naming that part."""
    checkpoint, _ = detco_r18
    path = config_path('coco/mask-rcnn_r50-c4_ms-12k_coco.py')
    cfg = load_config(path)
    options, _ = train_script_options(path, checkpoint,
                                      f'model.{part}.init_cfg.prefix=None')
    cfg.merge_from_dict(options)
    shrink(cfg, str(tmp_path), coco_root=demo_coco, classes=CLASSES)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(PretrainedWeightsError) as info:
        runner.train()
    assert runner.iter == 0
    message = str(info.value)
    assert f'the {part} was not loaded' in message
    assert f'(model.{part}.init_cfg.prefix)' in message
    assert "use prefix='backbone.'" in message
    if part == 'roi_head.shared_head':
        assert 'layer4.0.conv1.weight' in message


@pytest.mark.slow
def test_work_dirs_differ_per_pretraining_path():
    """Two pre-trainings ending in epoch_200.pth get two work dirs; one
    path spelled two ways gets one."""
    cfg = config_path('coco/retinanet_r50_fpn_ms-1x_coco.py')

    def work_dir(pretrain):
        argv = script_args('mim_dist_train_fpn.sh', cfg, pretrain, '8')
        return argv[argv.index('--work-dir') + 1]

    a = work_dir('work_dirs/detco_a/epoch_200.pth')
    b = work_dir('work_dirs/detco_b/epoch_200.pth')
    c = work_dir('/elsewhere/detco_a/epoch_200.pth')
    assert len({a, b, c}) == 3
    assert a == pretrain_work_dir(cfg, 'work_dirs/detco_a/epoch_200.pth')
    assert a.startswith('work_dirs/benchmarks/retinanet_r50_fpn_ms-1x_coco/'
                        'detco_a_epoch_200-')
    assert c == pretrain_work_dir(cfg, '/elsewhere/detco_a/epoch_200.pth')
    assert work_dir('./work_dirs/x/../detco_a/epoch_200.pth') == a
    assert work_dir(osp.join(ROOT, 'work_dirs/detco_a/epoch_200.pth')) == a
    # the Slurm script and the C4 scripts (through the FPN ones) agree
    argv = script_args('mim_slurm_train_c4.sh', 'part', cfg,
                       'work_dirs/detco_a/epoch_200.pth', '8')
    assert argv[argv.index('--work-dir') + 1] == a
