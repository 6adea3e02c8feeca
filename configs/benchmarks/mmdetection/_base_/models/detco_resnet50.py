# Shared pieces of every DetCo detection benchmark, used as `{{_base_.x}}`
# by the model bases next to this file (one definition, no copies).
#
# The pre-trained checkpoint. The scripts in tools/benchmarks/mmdetection
# set it with `--cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN`
# (and `model.roi_head.shared_head.init_cfg.checkpoint=PRETRAIN` for C4).
# NOTE: the variables below are substituted when the config is read;
# overriding them with --cfg-options has no effect on the model.
detco_init = dict(
    type='Pretrained',
    # the last checkpoint of `tools/train.py
    # configs/detco/detco_resnet50_8xb32-coslr-200e_in1k.py`
    checkpoint='work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth',
    # `backbone.*` is the query encoder of DetCo; the momentum encoder
    # (`encoder_k.module.0.*`) is never loaded.
    prefix='backbone.')

# Stop before the first iteration when the backbone (and the C4 res5 head)
# did not load from `detco_init`'s file: mmengine loads it with
# strict=False and would only log a wrong prefix or a file of another
# depth (mmdetco/engine/hooks/pretrained_check_hook.py). Each model base
# next to this file sets `custom_hooks = [<one of these>]`.
backbone_check = dict(type='PretrainedBackboneCheckHook')
# C4: the backbone holds res2-res4, the RoI shared head res5 (`layer4.*`)
# and an extra `norm`, which is new; between them they load every tensor
# of the query backbone.
backbone_and_res5_check = dict(
    type='PretrainedBackboneCheckHook',
    modules=[
        'backbone',
        dict(name='roi_head.shared_head', ignore_missing=['norm.'])
    ])

# detectron2's TEST.PRECISE_BN (ENABLED: True in every config of the DetCo
# authors, NUM_ITER 200): after the last iteration, before the checkpoint
# and the evaluation, the running statistics of every BN layer become the
# average batch statistics of 200 training batches
# (mmdetco/det/post_training_bn_stats_hook.py). Each model base next to this
# file adds it to `custom_hooks`.
precise_bn = dict(type='PostTrainingBNStatsHook', num_iters=200)

# detectron2's RoI heads match proposals without low-quality matches
# (ROI_HEADS: IOU_THRESHOLDS [0.5], allow_low_quality_matches=False);
# MMDetection's Mask R-CNN FPN base allows them.
rcnn_train_cfg = dict(rcnn=dict(assigner=dict(match_low_quality=False)))

# All layers are fine-tuned with synchronised BN (converted to BN
# automatically by mmengine in single-process runs).
sync_bn = dict(type='SyncBN', requires_grad=True)

# DetCo is pre-trained on RGB images normalised with the ImageNet mean/std:
# the detector's input must be normalised the same way. This must live
# INSIDE `model` (a top-level `data_preprocessor` is silently ignored).
rgb_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32)

# A pytorch-style ResNet-50 (stride in the 3x3 conv, like MMPretrain's and
# torchvision's), all stages trainable, BN statistics updated.
resnet_overrides = dict(
    depth=50,
    style='pytorch',
    frozen_stages=-1,
    norm_cfg=sync_bn,
    norm_eval=False,
    init_cfg=detco_init)
