# Copyright (c) mmdetco contributors. All rights reserved.
"""The MMDetection benchmark configs: conventions, pre-trained weight
loading the way the scripts pass the checkpoint, and a few training
iterations plus evaluation on the demo data."""
import glob
import os
import os.path as osp
import subprocess
import sys
from collections import defaultdict

import pytest
import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import Runner

from mmdetco_demo.scenes import CLASSES
from ..conftest import ROOT
from .helpers import (DET_CONFIGS, config_path, is_c4, last_val_scalars,
                      load_config, prefix_key_sets, shrink,
                      train_script_options)

pytest.importorskip('mmcv.ops', reason='MMDetection needs the mmcv ops')
import mmpretrain.models  # noqa: E402,F401  (ResLayerExtraNorm into mmdet)
from mmdet.registry import MODELS  # noqa: E402

MMDET_MATRIX = [
    'voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py',
    *[
        f'coco/{model}_ms-{schedule}_coco.py'
        for model in ('mask-rcnn_r50-c4', 'mask-rcnn_r50_fpn',
                      'retinanet_r50_fpn') for schedule in ('12k', '1x', '2x')
    ],
    *[f'coco/retinanet_r50_fpn_12k_coco-{p}pct.py' for p in (1, 2, 5, 10)],
    'coco/keypoint-rcnn_r50_fpn_ms-2x_coco.py',
    'cityscapes/mask-rcnn_r50_fpn_24k_cityscapes.py',
]
# iterations and lr steps of each schedule named in the config names
SCHEDULES = {
    '12k': (12000, [9000, 11000]),
    '1x': (90000, [60000, 80000]),
    '2x': (180000, [120000, 160000]),
    '24k_voc0712': (24000, [18000, 22000]),
    '24k_cityscapes': (24000, [18000]),
}
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
NAMES = [osp.relpath(p, config_path('')) for p in DET_CONFIGS]


def schedule_of(name: str) -> tuple:
    for key in ('24k_voc0712', '24k_cityscapes', '12k', '2x', '1x'):
        parts = key.split('_')
        if all(part in name for part in parts):
            return SCHEDULES[key]
    raise AssertionError(f'no schedule in the name {name}')


def norm_cfgs(node):
    """Every ``norm_cfg`` in a (nested) config."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'norm_cfg' and value is not None:
                yield value
            else:
                yield from norm_cfgs(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from norm_cfgs(value)


def test_matrix_is_complete():
    assert sorted(MMDET_MATRIX) == sorted(NAMES)


@pytest.mark.parametrize('name', NAMES)
def test_config_conventions(name):
    cfg = load_config(config_path(name))
    assert cfg.default_scope == 'mmdet'
    assert set(cfg.custom_imports.imports) >= {'mmdetco', 'mmpretrain.models'}
    assert cfg.load_from is None  # only the backbone is pre-trained

    # RGB, ImageNet mean/std, inside the model (a top-level one is ignored)
    assert 'data_preprocessor' not in cfg
    preprocessor = cfg.model.data_preprocessor
    assert preprocessor.mean == MEAN and preprocessor.std == STD
    assert preprocessor.bgr_to_rgb is True

    # pytorch-style ResNet-50, all stages fine-tuned with SyncBN
    backbone = cfg.model.backbone
    assert backbone.type == 'ResNet' and backbone.depth == 50
    assert backbone.style == 'pytorch'
    assert backbone.frozen_stages == -1 and backbone.norm_eval is False
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.prefix == 'backbone.'
    norms = list(norm_cfgs(cfg.model))
    assert norms and all(n == dict(type='SyncBN', requires_grad=True)
                         for n in norms)
    if is_c4(cfg):
        head = cfg.model.roi_head.shared_head
        assert head.type == 'ResLayerExtraNorm' and head.style == 'pytorch'
        assert head.norm_eval is False
        assert head.init_cfg == backbone.init_cfg

    # one train_cfg, iteration based, steps of the schedule in the name
    max_iters, milestones = schedule_of(name)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == max_iters
    steps = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert len(steps) == 1 and not steps[0].by_epoch
    assert steps[0].milestones == milestones and steps[0].end == max_iters
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert not cfg.default_hooks.checkpoint.by_epoch
    assert not cfg.log_processor.by_epoch

    if 'pct' in name:
        percent = name.split('coco-')[1].split('pct')[0]
        assert cfg.train_dataloader.dataset.ann_file.endswith(
            f'.1@{percent}.json')
    if 'voc0712' in name:
        metrics = {m.type: m for m in cfg.val_evaluator}
        assert metrics['VOCMetric'].eval_mode == '11points'
        assert metrics['VOCMetric'].iou_thrs == [
            round(0.5 + 0.05 * i, 2) for i in range(10)
        ]
        assert metrics['CocoMetric'].metric == 'bbox'
        assert cfg.model.roi_head.bbox_head.num_classes == 20


def _model_groups():
    """Benchmark configs grouped by identical model configs."""
    groups = defaultdict(list)
    for name in NAMES:
        model = load_config(config_path(name)).model
        groups[repr(model.to_dict())].append(name)
    return [members[0] for members in groups.values()]


@pytest.mark.slow
@pytest.mark.parametrize('source', ['detco', 'released'])
@pytest.mark.parametrize('name', _model_groups())
def test_pretrained_weights_load(name, source, detco_r50, released_r50):
    """The scripts' options load the query backbone of a DetCo ResNet-50
    checkpoint (or a checkpoint released by the DetCo authors, converted by
    convert_official_detco.py) into the backbone (and the C4 shared head):
    every key used, none missing except the C4 head's extra norm, values of
    the query encoder, not of the momentum encoder."""
    checkpoint, state = detco_r50 if source == 'detco' else released_r50
    cfg = load_config(config_path(name))
    options, _ = train_script_options(config_path(name), checkpoint)
    cfg.merge_from_dict(options)
    assert cfg.model.backbone.init_cfg.checkpoint == checkpoint

    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()

    missing, unexpected, source = prefix_key_sets(checkpoint, model.backbone)
    assert not missing
    loaded = {'backbone': model.backbone}
    if is_c4(cfg):
        head = model.roi_head.shared_head
        assert unexpected == {k for k in source if k.startswith('layer4.')}
        head_missing, head_unexpected, _ = prefix_key_sets(checkpoint, head)
        # the extra norm after res5 is new; all of res5 is pre-trained
        assert head_missing == {
            f'norm.{k}'
            for k in ('weight', 'bias', 'running_mean', 'running_var',
                      'num_batches_tracked')
        }
        assert head_unexpected == set(model.backbone.state_dict())
        loaded['head'] = head
    else:
        assert not unexpected

    used = 0
    for module in loaded.values():
        for key, value in module.state_dict().items():
            if key.startswith('norm.'):
                continue
            query = state[f'backbone.{key}']
            assert torch.equal(value, query), key
            if value.is_floating_point() and source == 'detco':
                momentum = state[f'encoder_k.module.0.{key}']
                assert not torch.equal(value, momentum), key
            used += 1
    assert used == len(source)


def _train(cfg, work_dir):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return last_val_scalars(work_dir)


@pytest.mark.parametrize('name', [
    'voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py',
    'coco/mask-rcnn_r50-c4_ms-12k_coco.py',
    'coco/mask-rcnn_r50_fpn_ms-12k_coco.py',
])
@pytest.mark.slow
def test_train_and_evaluate(name, detco_r18, demo_coco, demo_voc, tmp_path):
    """Two iterations and an evaluation, ResNet-18 sized, on the demo data,
    initialised from a DetCo checkpoint the way the scripts do it."""
    checkpoint, _ = detco_r18
    cfg = load_config(config_path(name))
    options, _ = train_script_options(config_path(name), checkpoint)
    cfg.merge_from_dict(options)
    work_dir = str(tmp_path / 'work')
    if 'voc' in name:
        shrink(cfg, work_dir, voc_root=demo_voc)
    else:
        shrink(cfg, work_dir, coco_root=demo_coco, classes=CLASSES)
    metrics = _train(cfg, work_dir)

    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    (log_file, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    # mmengine's report of the Pretrained init: the backbone (and the C4
    # shared head) loaded from the query backbone; the only key missing is
    # the extra norm of the C4 head (mmengine does not list
    # num_batches_tracked)
    loads = log.count(f'load backbone. in model from: {checkpoint}')
    mismatch = log.count('do not match exactly')
    if 'c4' in name:
        assert loads == 2 and mismatch == 2
        assert ('missing keys in source state_dict: norm.weight, norm.bias, '
                'norm.running_mean, norm.running_var\n') in log
    else:
        assert loads == 1 and mismatch == 0
    if 'voc' in name:
        # the paper's VOC numbers (VOC protocol at IoU .5:.95), the classic
        # 11-point AP50, and the COCO-style AP
        for key in ('pascal_voc/mAP', 'pascal_voc/AP50', 'pascal_voc/AP75',
                    'coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75'):
            assert key in metrics, metrics
    else:
        assert 'coco/bbox_mAP' in metrics, metrics
        assert 'coco/segm_mAP' in metrics, metrics


def _run(*args):
    """Run a Python script of the repository; return its output."""
    result = subprocess.run([sys.executable, *args],
                            cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=ROOT),
                            capture_output=True,
                            text=True,
                            timeout=280)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


@pytest.mark.slow
def test_semi_supervised_split_trains_with_the_scripts_tools(
        detco_r18, demo_coco, tmp_path):
    """The 1% RetinaNet config on a split made by make_coco_semi_splits.py,
    trained with tools/benchmarks/mmdetection/train.py and evaluated with
    test.py, in subprocesses, with the options of mim_dist_train_fpn.sh."""
    checkpoint, _ = detco_r18
    _run('tools/dataset_converters/make_coco_semi_splits.py',
         osp.join(demo_coco, 'annotations', 'instances_train.json'),
         osp.join(demo_coco, 'annotations', 'semi_splits'), '--percents', '50',
         '--seed', '1')

    name = 'coco/retinanet_r50_fpn_12k_coco-1pct.py'
    cfg = load_config(config_path(name))
    work_dir = str(tmp_path / 'work')
    shrink(cfg, work_dir, coco_root=demo_coco, classes=CLASSES)
    cfg.train_dataloader.dataset.ann_file = \
        'annotations/semi_splits/instances_train.1@50.json'
    small_cfg = str(tmp_path / 'retinanet_small.py')
    cfg.dump(small_cfg)

    _, argv = train_script_options(config_path(name), checkpoint)
    log = _run('tools/benchmarks/mmdetection/train.py', small_cfg,
               '--work-dir', work_dir, *argv[argv.index('--cfg-options'):])
    assert f'load backbone. in model from: {checkpoint}' in log
    assert 'instances_train.1@50.json' in log
    assert 'coco/bbox_mAP' in last_val_scalars(work_dir)

    # the fine-tuned detector, a full mmengine checkpoint, loads (safely)
    log = _run('tools/benchmarks/mmdetection/test.py', small_cfg,
               osp.join(work_dir, 'iter_2.pth'), '--work-dir',
               str(tmp_path / 'test'))
    assert 'coco/bbox_mAP' in log
