# Faster R-CNN R18-FPN fine-tuned on the demo COCO splits (data/demo/),
# every stage trained, RGB input with ImageNet mean/std: the detection half of
# `make demo`. The backbone starts from `model.backbone.init_cfg.checkpoint`
# (a file written by tools/model_converters/extract_backbone_weights.py);
# set `model.backbone.init_cfg=None` for random initialisation.
# PretrainedBackboneCheckHook stops the run before its first iteration if
# the backbone did not load from that file (wrong prefix, another depth);
# mmdetco.det registers it into MMDetection's HOOKS.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/default_runtime.py',
]
# the demo's RoIAlign (SeparableRoIExtractor) is the demo application's
custom_imports = dict(
    imports=['mmdetco', 'mmdetco.det', 'mmdetco_demo.separable_roi_align'],
    allow_failed_imports=False)
custom_hooks = [dict(type='PretrainedBackboneCheckHook')]

classes = ('circle', 'square', 'triangle', 'ring', 'cross', 'star', 'ellipse',
           'bar')
metainfo = dict(classes=classes)
image_size = (160, 160)

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        depth=18,
        frozen_stages=-1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint=None)),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128),
    rpn_head=dict(
        in_channels=128,
        feat_channels=128,
        # objects of 12-70 px: anchors of 16..256 px
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        # mmcv's RoIAlign with a backward pass of two matrix products: the
        # same values and gradients (a test checks it), where the backward
        # pass of the CPU kernels took 40 % of a frozen-backbone probe's
        # step (docs/en/demo.md)
        bbox_roi_extractor=dict(
            type='SeparableRoIExtractor',
            roi_layer=dict(type='SeparableRoIAlign'),
            out_channels=128),
        bbox_head=dict(
            in_channels=128, fc_out_channels=256, num_classes=len(classes))),
    # fewer proposals and RoIs than COCO: small images, few objects, a CPU
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=50)))

data_root = 'data/demo/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

max_epochs = 6
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[5],
        gamma=0.1),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
