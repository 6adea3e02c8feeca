# Copyright (c) mmdetco contributors. All rights reserved.
"""The benchmarks that follow another protocol than the DetCo authors'
detectron2 configs: Sparse R-CNN R50-FPN on COCO (the Sparse R-CNN authors'
``sparsercnn.res50.300pro.3x.detco.yaml``) and FCN semantic segmentation on
Cityscapes with MMSegmentation (MoCo's protocol, Appendix A.5). Each config
pins the protocol's values, builds, loads the query backbone of a DetCo
checkpoint exactly, and trains two iterations (ResNet-18 sized) with an
evaluation. The MMSegmentation tests are skipped without mmseg
(``pip install mmdetco[seg]``)."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmdetco.engine import PretrainedWeightsError
from mmdetco_demo.scenes import CLASSES
from ..conftest import ROOT
from .helpers import (RESNET18_CHANNELS, config_path, last_val_scalars,
                      load_config, prefix_key_sets, shrink,
                      train_script_options)

pytest.importorskip('mmcv.ops', reason='MMDetection needs the mmcv ops')

SPARSE = 'coco/sparse-rcnn_r50_fpn_300-proposals_crop-ms-3x_coco.py'
SEG = osp.join(ROOT, 'configs', 'benchmarks', 'mmsegmentation', 'cityscapes',
               'fcn-d6_r50b-d16_8xb2-90k_cityscapes-769x769.py')
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
SYNC_BN = dict(type='SyncBN', requires_grad=True)
MS_SHORT_SIDES = list(range(480, 801, 32))


def need_mmseg():
    pytest.importorskip(
        'mmseg', reason='MMSegmentation is not installed (mmdetco[seg])')
    import mmseg.models  # noqa: F401  (registers the models)

    import mmdetco.seg  # noqa: F401


def assert_loaded(backbone, checkpoint, state):
    """Every tensor of ``backbone`` is the query backbone's tensor of the
    file, none missing, none left over, none from the momentum encoder."""
    missing, unexpected, source = prefix_key_sets(checkpoint, backbone)
    assert not missing and not unexpected
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key
        if value.is_floating_point():
            assert not torch.equal(value,
                                   state[f'encoder_k.module.0.{key}']), key
    assert len(backbone.state_dict()) == len(source)


def short_sides(resize):
    return [min(scale) for scale in resize.scales]


def test_sparse_rcnn_follows_the_sparse_rcnn_authors():
    """The fields of sparsercnn.res50.300pro.3x.detco.yaml, its
    Base-SparseRCNN.yaml and sparsercnn/config.py (PeizeSun/SparseR-CNN)."""
    cfg = load_config(config_path(SPARSE))
    model = cfg.model
    assert cfg.default_scope == 'mmdet' and cfg.load_from is None
    assert {'mmdetco', 'mmdetco.det'} <= set(cfg.custom_imports.imports)
    # the detection runtime (../_base_/default_runtime.py)
    runtime = Config.fromfile(
        config_path('_base_/default_runtime.py')).to_dict()
    for key in ('custom_imports', 'log_processor'):
        assert cfg[key] == runtime[key], key
    assert cfg.default_hooks.checkpoint == runtime['default_hooks'][
        'checkpoint']

    # MODEL: RGB with the ImageNet mean/std, inside the model
    assert 'data_preprocessor' not in cfg
    assert model.data_preprocessor.mean == MEAN
    assert model.data_preprocessor.std == STD
    assert model.data_preprocessor.bgr_to_rgb is True
    # RESNETS: DEPTH 50, STRIDE_IN_1X1 False, NORM SyncBN; FREEZE_AT 0
    backbone = model.backbone
    assert (backbone.type, backbone.depth, backbone.style) == ('ResNet', 50,
                                                               'pytorch')
    assert backbone.frozen_stages == -1 and backbone.norm_eval is False
    assert backbone.norm_cfg == SYNC_BN
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.prefix == 'backbone.'
    # FPN.NORM "" and P2-P5
    assert model.neck.get('norm_cfg') is None and model.neck.num_outs == 4
    # SparseRCNN: NUM_PROPOSALS 300, NUM_HEADS 6 (stages), NHEADS 8, ...
    assert model.rpn_head.num_proposals == 300
    assert model.test_cfg.rcnn.max_per_img == 300
    roi_head = model.roi_head
    assert roi_head.num_stages == len(roi_head.bbox_head) == 6
    assert roi_head.bbox_roi_extractor.roi_layer == dict(
        type='RoIAlign', output_size=7, sampling_ratio=2)
    for head in roi_head.bbox_head:
        assert (head.num_classes, head.num_heads, head.feedforward_channels,
                head.dropout, head.num_cls_fcs,
                head.num_reg_fcs) == (80, 8, 2048, 0.0, 1, 3)
        assert head.dynamic_conv_cfg.feat_channels == 64
        assert head.loss_cls.loss_weight == 2.0
        assert (head.loss_cls.alpha, head.loss_cls.gamma) == (0.25, 2.0)
        assert head.loss_bbox.loss_weight == 5.0
        assert head.loss_iou.loss_weight == 2.0

    # SOLVER: AdamW 2.5e-5, weight decay 1e-4, full-model clipping at 1.0
    optim = cfg.optim_wrapper
    assert optim.optimizer.type == 'AdamW'
    assert optim.optimizer.lr == 2.5e-5
    assert optim.optimizer.weight_decay == 1e-4
    assert optim.clip_grad == dict(max_norm=1, norm_type=2)
    assert optim.get('paramwise_cfg') is None  # the same decay everywhere
    # MAX_ITER 270000, STEPS (210000, 250000), warm-up x0.01 for 1000 iters
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == 270000
    assert 'max_epochs' not in cfg.train_cfg
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end,
            warmup.by_epoch) == ('LinearLR', 0.01, 1000, False)
    assert (steps.type, steps.milestones, steps.end,
            steps.by_epoch) == ('MultiStepLR', [210000, 250000], 270000, False)
    # IMS_PER_BATCH 16 = 8 GPUs x 2
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    # FILTER_EMPTY_ANNOTATIONS False
    assert cfg.train_dataloader.dataset.filter_cfg.filter_empty_gt is False

    # INPUT: flip, then (p=0.5) multi-scale or the crop branch of
    # dataset_mapper.py: short side 400/500/600 (no max size), crop
    # absolute_range (384, 600), multi-scale 480..800 with max size 1333
    pipeline = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    assert pipeline == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomFlip', 'RandomChoice',
        'PackDetInputs'
    ]
    assert cfg.train_dataloader.dataset.pipeline[2].prob == 0.5
    plain, crop = cfg.train_dataloader.dataset.pipeline[3].transforms
    assert [t.type for t in plain] == ['RandomChoiceResize']
    assert short_sides(plain[0]) == MS_SHORT_SIDES
    assert {max(s) for s in plain[0].scales} == {1333}
    assert [t.type for t in crop
            ] == ['RandomChoiceResize', 'RandomCrop', 'RandomChoiceResize']
    assert short_sides(crop[0]) == [400, 500, 600]
    assert min(max(s) for s in crop[0].scales) >= 100000
    assert (crop[1].crop_type, tuple(crop[1].crop_size),
            crop[1].allow_negative_crop) == ('absolute_range', (384, 600),
                                             True)
    assert crop[2].scales == plain[0].scales
    # test at (1333, 800); COCO AP with at most 100 detections per image,
    # at every IoU and size (detectron2's COCOEvaluator)
    test_resize = cfg.test_dataloader.dataset.pipeline[1]
    assert tuple(test_resize.scale) == (1333, 800) and test_resize.keep_ratio
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert evaluator.type == 'CocoMetric' and evaluator.metric == 'bbox'
        assert list(evaluator.proposal_nums) == [1, 10, 100]

    # TEST.PRECISE_BN: the project's precise BN, after the pre-training check
    hooks = [h.type for h in cfg.custom_hooks]
    assert hooks == ['PretrainedBackboneCheckHook', 'PostTrainingBNStatsHook']
    assert cfg.custom_hooks[1].num_iters == 200


@pytest.mark.slow
def test_sparse_rcnn_loads_the_detco_backbone(detco_r50):
    """With the options of mim_dist_train_fpn.sh, the backbone is the query
    backbone of a DetCo ResNet-50 checkpoint: no key missing or left over,
    the file's values."""
    from mmdet.registry import MODELS
    checkpoint, state = detco_r50
    cfg = load_config(config_path(SPARSE))
    options, _ = train_script_options(config_path(SPARSE), checkpoint)
    cfg.merge_from_dict(options)
    assert cfg.model.backbone.init_cfg.checkpoint == checkpoint
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    assert_loaded(model.backbone, checkpoint, state)


def _shrink_choice(transforms, size):
    """The resizes of a RandomChoice pipeline at ``size`` (CPU test)."""
    for branch in transforms:
        for t in branch:
            if t.type == 'RandomChoiceResize':
                t.scales = [(size, size)]
            elif t.type == 'RandomCrop':
                t.crop_size = (size // 2, size)


@pytest.mark.slow
def test_sparse_rcnn_trains_and_evaluates(detco_r18, demo_coco, tmp_path):
    """Two iterations (ResNet-18, 128 px, demo data) and an evaluation,
    initialised from a DetCo checkpoint as the scripts do it; precise BN
    runs after the last iteration."""
    checkpoint, _ = detco_r18
    cfg = load_config(config_path(SPARSE))
    options, _ = train_script_options(config_path(SPARSE), checkpoint)
    cfg.merge_from_dict(options)
    work_dir = str(tmp_path / 'work')
    # shrink() handles one bbox head; Sparse R-CNN has one per stage
    shrink(cfg, work_dir)
    # 64 channels instead of 256 in the neck and the 6 stages, 20 proposals
    model = cfg.model
    model.neck.out_channels = 64
    model.rpn_head.update(num_proposals=20, proposal_feature_channel=64)
    model.roi_head.proposal_feature_channel = 64
    model.roi_head.bbox_roi_extractor.out_channels = 64
    for head in model.roi_head.bbox_head:
        head.update(
            num_classes=len(CLASSES), in_channels=64, feedforward_channels=128)
        head.dynamic_conv_cfg.update(
            in_channels=64, out_channels=64, feat_channels=16)
    model.test_cfg.rcnn.max_per_img = 20
    _shrink_choice(cfg.train_dataloader.dataset.pipeline[3].transforms, 128)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = 'train' if name == 'train_dataloader' else 'val'
        cfg[name].dataset.update(
            data_root=demo_coco,
            ann_file=f'annotations/instances_{split}.json',
            data_prefix=dict(img=f'{split}/'),
            metainfo=dict(classes=CLASSES))
    cfg.val_evaluator.ann_file = osp.join(demo_coco, 'annotations',
                                          'instances_val.json')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.custom_hooks[1].num_iters = 2
    runner = Runner.from_cfg(cfg)
    runner.train()

    assert 'coco/bbox_mAP' in last_val_scalars(work_dir)
    (log_file, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    # every AP with at most 100 detections per image
    assert 'maxDets=1000' not in log and 'maxDets=300' not in log
    assert log.count(f'load backbone. in model from: {checkpoint}') == 1
    assert 'do not match exactly' not in log
    assert 'PretrainedBackboneCheckHook: `backbone`: all' in log
    assert 'PostTrainingBNStatsHook: the running statistics of' in log


# --- MMSegmentation: Cityscapes semantic segmentation ---------------------


@pytest.fixture
def mmseg_scope():
    need_mmseg()
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def test_seg_follows_the_moco_protocol(mmseg_scope):
    """MoCo's Appendix A.5 (the DetCo paper: "We follow MoCo to evaluate
    ... semantic segmentation with FCN-16s") and the DetCo conventions."""
    cfg = load_config(SEG)
    model = cfg.model
    assert cfg.default_scope == 'mmseg' and cfg.load_from is None
    assert {'mmdetco', 'mmdetco.seg'} <= set(cfg.custom_imports.imports)

    # RGB with the ImageNet mean/std, inside the model
    preprocessor = model.data_preprocessor
    assert preprocessor.mean == MEAN and preprocessor.std == STD
    assert preprocessor.bgr_to_rgb is True
    assert tuple(preprocessor.size) == (769, 769)
    assert preprocessor.seg_pad_val == 255
    # R50 (torchvision layout: no deep stem), conv5 dilated by 2, stride 1
    # in every block: total stride 16; all stages fine-tuned with SyncBN
    backbone = model.backbone
    assert model.get('pretrained') is None
    assert (backbone.type, backbone.depth, backbone.style) == ('ResNet', 50,
                                                               'pytorch')
    assert tuple(backbone.strides) == (1, 2, 2, 1)
    assert tuple(backbone.dilations) == (1, 1, 1, 2)
    assert backbone.contract_dilation is False
    assert backbone.get('deep_stem', False) is False
    assert backbone.frozen_stages == -1 and backbone.norm_eval is False
    assert backbone.norm_cfg == SYNC_BN
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.prefix == 'backbone.'
    # two 3x3 convolutions of 256 channels with BN and ReLU, dilation 6,
    # then the 1x1 classifier; nothing else
    head = model.decode_head
    assert (head.type, head.in_channels, head.in_index) == ('FCNHead', 2048, 3)
    assert (head.num_convs, head.kernel_size, head.channels,
            head.dilation) == (2, 3, 256, 6)
    assert head.concat_input is False and head.dropout_ratio == 0
    assert head.norm_cfg == SYNC_BN and head.num_classes == 19
    # per-pixel cross entropy, averaged over the labelled pixels
    assert head.loss_decode.type == 'CrossEntropyLoss'
    assert head.loss_decode.use_sigmoid is False
    assert head.loss_decode.avg_non_ignore is True
    assert head.get('ignore_index', 255) == 255
    assert model.auxiliary_head is None
    assert model.test_cfg == dict(mode='whole')  # the original image size

    # random scaling by [0.5, 2.0] of the image, 769 crop, flip; no other
    # augmentation
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t.type for t in pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomResize', 'RandomCrop',
        'RandomFlip', 'PackSegInputs'
    ]
    assert tuple(pipeline[2].scale) == (2048, 1024)
    assert tuple(pipeline[2].ratio_range) == (0.5, 2.0)
    assert tuple(pipeline[3].crop_size) == (769, 769)
    assert pipeline[3].cat_max_ratio == 1.0
    assert pipeline[4].prob == 0.5
    test_resize = cfg.test_dataloader.dataset.pipeline[1]
    assert tuple(test_resize.scale) == (2048, 1024)
    # train (fine) / val
    assert cfg.train_dataloader.dataset.data_prefix.img_path == \
        'leftImg8bit/train'
    assert cfg.val_dataloader.dataset.data_prefix.seg_map_path == 'gtFine/val'
    assert cfg.val_evaluator.iou_metrics == ['mIoU']

    # batch 16 (8 GPUs x 2), weight decay 1e-4, lr 0.01 x0.1 at 70% and
    # 90% of 90k iterations
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == 90000
    (steps, ) = cfg.param_scheduler
    assert (steps.type, steps.milestones, steps.end,
            steps.by_epoch) == ('MultiStepLR', [63000, 81000], 90000, False)
    assert [h.type
            for h in cfg.custom_hooks] == ['PretrainedBackboneCheckHook']


def test_seg_loads_the_detco_backbone(mmseg_scope, detco_r50):
    """The FCN's backbone is the query backbone of a DetCo ResNet-50
    checkpoint, every tensor; its output stride is 16."""
    from mmseg.registry import MODELS
    checkpoint, state = detco_r50
    cfg = load_config(SEG)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    assert_loaded(model.backbone, checkpoint, state)
    model.eval()
    with torch.no_grad():
        feats = model.backbone(torch.zeros(1, 3, 64, 96))
    assert tuple(feats[-1].shape) == (1, 2048, 4, 6)


def write_cityscapes(root, size=(64, 128)):
    """A tiny Cityscapes layout: 2 train and 1 val images of ``size``
    (h, w) with random trainIds (and void, 255)."""
    import mmcv
    rng = np.random.default_rng(0)
    for split, count in (('train', 2), ('val', 1)):
        for i in range(count):
            stem = f'aachen_{i:06d}_000019'
            img = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
            seg = rng.integers(0, 19, size=size, dtype=np.uint8)
            seg[:4] = 255
            mmcv.imwrite(
                img,
                osp.join(root, 'leftImg8bit', split, 'aachen',
                         f'{stem}_leftImg8bit.png'))
            mmcv.imwrite(
                seg,
                osp.join(root, 'gtFine', split, 'aachen',
                         f'{stem}_gtFine_labelTrainIds.png'))


def seg_runner(cfg, checkpoint, data_root, work_dir):
    """The config at ResNet-18 size on the tiny data set: 2 iterations,
    32 px crops, evaluation at the end."""
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.model.backbone.depth = 18
    cfg.model.decode_head.in_channels = RESNET18_CHANNELS[-1]
    cfg.model.data_preprocessor.size = (32, 32)
    cfg.work_dir = work_dir
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    cfg.visualizer.pop('name', None)  # one visualizer per runner
    cfg.randomness = dict(seed=0)
    train = cfg.train_dataloader.dataset.pipeline
    train[2].scale = (128, 64)
    train[3].crop_size = (32, 32)
    cfg.val_dataloader.dataset.pipeline[1].scale = (128, 64)
    for name in ('train_dataloader', 'val_dataloader'):
        cfg[name].update(num_workers=0, persistent_workers=False)
        cfg[name].dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    return Runner.from_cfg(cfg)


@pytest.mark.slow
def test_seg_trains_and_evaluates(mmseg_scope, detco_r18, tmp_path):
    """Two iterations (ResNet-18, 32 px crops) and an mIoU evaluation on a
    tiny Cityscapes layout, from a DetCo checkpoint; the pre-training check
    (registered in MMSegmentation by mmdetco.seg) runs, and stops the run
    when the prefix is wrong."""
    checkpoint, _ = detco_r18
    data_root = str(tmp_path / 'cityscapes')
    write_cityscapes(data_root)
    work_dir = str(tmp_path / 'work')
    runner = seg_runner(load_config(SEG), checkpoint, data_root, work_dir)
    runner.train()
    assert 'mIoU' in last_val_scalars(work_dir)
    (log_file, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    assert f'load backbone. in model from: {checkpoint}' in log
    assert 'PretrainedBackboneCheckHook: `backbone`: all' in log

    cfg = load_config(SEG)
    cfg.model.backbone.init_cfg.prefix = None
    runner = seg_runner(cfg, checkpoint, data_root, str(tmp_path / 'bad'))
    with pytest.raises(PretrainedWeightsError):
        runner.train()
    assert runner.iter == 0
