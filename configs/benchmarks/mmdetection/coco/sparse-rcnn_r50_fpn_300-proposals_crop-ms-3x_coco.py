# Sparse R-CNN R50-FPN, 300 learned proposals, DETR-style crop and
# multi-scale training, 3x schedule (270k iterations of 16 images), fine-tuned
# on COCO train2017 from a DetCo backbone; box AP (coco/bbox_mAP) on
# val2017. The DetCo paper's row (45.0 AP with the supervised ImageNet
# backbone, 46.5 with DetCo) was measured by the Sparse R-CNN authors with
# detectron2 and
#   PeizeSun/SparseR-CNN: projects/SparseRCNN/configs/
#   sparsercnn.res50.300pro.3x.detco.yaml (on Base-SparseRCNN.yaml and
#   sparsercnn/config.py; dataset_mapper.py for the crop),
# which this config follows; "authors" below means that file set. Their
# MODEL.WEIGHTS is `detco_AA.pkl`, the DetCo-200ep-AA release: to compare
# with 46.5, convert that file with tools/model_converters/
# convert_official_detco.py and pass it as the pre-training.
#
# From MMDetection's sparse-rcnn_r50_fpn_300-proposals_crop-ms-480-800-3x
# config, unchanged because it equals the authors' setting: 6 stages of
# DIIHead (8 attention heads, FFN 2048, dropout 0, 1 cls / 3 reg fcs,
# dynamic conv 64), focal / L1 / GIoU losses 2 / 5 / 2 and the same matching
# costs, RoIAlign 7x7 (aligned, sampling 2) on P2-P5 of an FPN without
# norm, AdamW lr 2.5e-5 and weight decay 1e-4 on every parameter, gradient
# clipping of the full model at norm 1.0, batch 16 (8 GPUs x 2), test at
# (1333, 800) with 300 detections per image, RGB input with the ImageNet
# mean/std.
#
# Changed to the authors' values:
# - backbone: DetCo's query backbone (prefix `backbone.`), every stage
#   trained (FREEZE_AT 0: frozen_stages=-1), SyncBN with updated statistics
#   (RESNETS.NORM SyncBN: norm_eval=False); pytorch style
#   (STRIDE_IN_1X1 False). MMDetection: torchvision weights, stage 1
#   frozen, BN in eval mode.
# - schedule: iteration-based, 270k iterations, lr x0.1 at 210k and 250k,
#   linear warm-up from 0.01 over 1000 iterations (MMDetection: 36 epochs,
#   steps at epochs 27 and 33, warm-up from 0.001 over 500 iterations).
#   Epochs would give 36 x 117k / 16 = 264k iterations (MMDetection drops
#   the images without boxes) instead of the authors' 270k.
# - training images without boxes are kept (DATALOADER.
#   FILTER_EMPTY_ANNOTATIONS False); MMDetection drops them.
# - the first resize of the crop branch has no limit on the longer side
#   (detectron2's ResizeShortestEdge([400, 500, 600]) has no max_size);
#   MMDetection caps it at 1333.
# - COCO AP at IoU 0.5 / 0.75 and per object size with at most 100
#   detections per image, as detectron2's COCOEvaluator (pycocotools'
#   maxDets 1, 10, 100). MMDetection's CocoMetric (proposal_nums 100, 300,
#   1000) computes those with up to 1000, which counts all 300 detections
#   of Sparse R-CNN; coco/bbox_mAP uses 100 either way.
# - precise BN (TEST.PRECISE_BN.ENABLED, NUM_ITER 200: the BN statistics
#   re-estimated on 200 batches of 16 training images) after the last
#   iteration, before the last checkpoint and evaluation: `precise_bn` of
#   ../_base_/models/detco_resnet50.py, as in the other benchmarks.
#
# Decisions where this config differs from the authors:
# - evaluation every 90k iterations instead of every 7330 (TEST.EVAL_PERIOD),
#   and precise BN only before the last one (detectron2 runs it before each
#   evaluation): training does not use the running statistics, so neither
#   changes the final weights or the final numbers, only the intermediate
#   evaluations.
# - no fixed seed (SEED 40244023 draws other numbers in another framework);
#   like the other benchmark configs, mmengine draws and logs one.
_base_ = [
    'mmdet::sparse_rcnn/'
    'sparse-rcnn_r50_fpn_300-proposals_crop-ms-480-800-3x_coco.py',
    '../_base_/models/detco_resnet50.py',
]

# As ../_base_/default_runtime.py, whose MMDetection base this config already
# has through MMDetection's Sparse R-CNN config (mmengine refuses a key set
# by two bases).
custom_imports = dict(
    imports=['mmdetco', 'mmdetco.det', 'mmpretrain.models'],
    allow_failed_imports=False)
default_scope = 'mmdet'
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=10000,
        max_keep_ckpts=3,
        save_last=True))
log_processor = dict(by_epoch=False)

model = dict(
    data_preprocessor={{_base_.rgb_preprocessor}},
    backbone={{_base_.resnet_overrides}})

# short side 480, 512, ..., 800, longer side at most 1333 (INPUT.
# MIN_SIZE_TRAIN, MAX_SIZE_TRAIN)
multi_scale = dict(
    type='RandomChoiceResize',
    scales=[(short, 1333) for short in range(480, 801, 32)],
    keep_ratio=True)
# detectron2's ResizeShortestEdge([400, 500, 600]) of the crop branch has no
# max_size: a longer side this large never limits the resize of an image
unlimited = 100000
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    # dataset_mapper.py: with probability 0.5 each
    dict(
        type='RandomChoice',
        transforms=[
            [multi_scale],
            [
                dict(
                    type='RandomChoiceResize',
                    scales=[(400, unlimited), (500, unlimited),
                            (600, unlimited)],
                    keep_ratio=True),
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True),
                multi_scale,
            ],
        ]),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline))

# detectron2's COCOEvaluator: pycocotools' maxDets (1, 10, 100)
val_evaluator = dict(proposal_nums=(1, 10, 100))
test_evaluator = val_evaluator

# the schedule of Base-SparseRCNN.yaml / sparsercnn.res50.300pro.3x.detco.yaml
max_iters = 270000
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=90000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[210000, 250000],
        gamma=0.1)
]

# the run stops if the pre-trained weights did not load; precise BN after
# the last iteration (detco_resnet50.py)
custom_hooks = [{{_base_.backbone_check}}, {{_base_.precise_bn}}]
