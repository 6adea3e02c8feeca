# Cityscapes semantic segmentation, FCN-16s-style head on a dilated ResNet-50
# (MMSegmentation's fcn-d6_r50b-d16 naming: head convs with dilation 6,
# torchvision-style ResNet-50, output stride 16), fine-tuned on the 2975
# train (fine) images from a DetCo backbone, 90k iterations of 16 images with
# 769 x 769 crops; mIoU (mIoU) on the 500 val images.
#
# The protocol of the DetCo paper's Cityscapes semantic segmentation row
# (Xie et al., ICCV 2021, Sec. 4.2 "Segmentation on Cityscapes": "We follow
# MoCo to evaluate ... semantic segmentation with FCN-16s"; Table 6, 76.5
# mIoU, supervised ImageNet 74.6, MoCo v2 75.7), which is MoCo's (He et al.,
# CVPR 2020, Appendix A.5 "Implementation: Semantic segmentation"):
# - the convolutional layers of R50, the 3x3 convolutions of conv5 with
#   dilation 2 and stride 1 (total stride 16);
# - two extra 3x3 convolutions of 256 channels with BN and ReLU, dilation 6,
#   then a 1x1 convolution for per-pixel classification;
# - training with random scaling by a ratio in [0.5, 2.0], 769 x 769
#   cropping and horizontal flipping; inference on the original image size;
# - batch 16, weight decay 1e-4, lr 0.01 x0.1 at the 70th and 90th
#   percentile of training, 90k iterations on train (fine), evaluation on
#   val.
# As in every DetCo benchmark: SyncBN (backbone and head), all stages
# fine-tuned with BN statistics updated, RGB input with the ImageNet
# mean/std, the query backbone of the DetCo checkpoint (prefix
# `backbone.`).
#
# Changed from MMSegmentation's fcn-d6_r50b-d16_4xb2-80k_cityscapes-769x769
# to the protocol: the head has 256 channels (MMSegmentation 512) and does
# not concatenate its input; no auxiliary head (MMSegmentation adds one on
# conv4); every conv5 block dilated by 2 (MMSegmentation contracts the first
# block's dilation to 1); no photometric distortion; crops are not redrawn
# when one class covers 75% of them (`cat_max_ratio`); the scale ratio is of
# the original 2048 x 1024 image (MMSegmentation: 2049 x 1025); inference on
# the whole image at its original size (MMSegmentation: 769 x 769 sliding
# windows at 2049 x 1025); SGD with weight decay 1e-4 and multi-step lr
# (MMSegmentation: 5e-4, poly); 90k iterations of 8 GPUs x 2 images
# (MMSegmentation: 80k of 4 x 2).
#
# Decisions where the protocol says nothing:
# - SGD momentum 0.9 (MMSegmentation's and MoCo's detection value);
# - no warm-up and no dropout before the classifier (none is described;
#   MMSegmentation's FCN has dropout 0.1);
# - align_corners=True in the head, the convention of the 769 crops (DeepLab,
#   MMSegmentation's 769 configs);
# - pixels with label 255 (void) are ignored by the loss and the metric, and
#   padding is filled with 255 (MMSegmentation's defaults); the cross entropy
#   is the mean over the labelled pixels (`avg_non_ignore=True`, as PyTorch's
#   cross_entropy with ignore_index and DeepLab), not MMSegmentation's
#   default mean over all pixels, which shrinks the loss of crops with much
#   void or padding.
# MoCo reports the mean of 5 runs.
_base_ = [
    'mmseg::fcn/fcn-d6_r50b-d16_4xb2-80k_cityscapes-769x769.py',
    '../../mmdetection/_base_/models/detco_resnet50.py',
]

# - mmdetco: lets torch.load(weights_only=True) read mmengine training
#   checkpoints such as DetCo's `epoch_200.pth` (see the detection runtime);
# - mmdetco.seg: registers PretrainedBackboneCheckHook into MMSegmentation's
#   HOOKS registry.
custom_imports = dict(
    imports=['mmdetco', 'mmdetco.seg'], allow_failed_imports=False)
default_scope = 'mmseg'

crop_size = (769, 769)
norm_cfg = {{_base_.sync_bn}}
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean={{_base_.rgb_preprocessor.mean}},
    std={{_base_.rgb_preprocessor.std}},
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    # the DetCo backbone replaces MMSegmentation's torchvision weights
    pretrained=None,
    # the fields of `resnet_overrides` (detco_resnet50.py) and the dilation
    backbone=dict(
        type='ResNet',  # ResNetV1b: 7x7 stem, as torchvision's and DetCo's
        depth=50,
        style='pytorch',
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg={{_base_.detco_init}},
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=False),
    decode_head=dict(
        type='FCNHead',
        in_channels=2048,
        in_index=3,
        channels=256,
        num_convs=2,
        kernel_size=3,
        dilation=6,
        concat_input=False,
        dropout_ratio=0,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    auxiliary_head=None,
    test_cfg=dict(_delete_=True, mode='whole'))

# Layout: data/cityscapes/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
# and data/cityscapes/gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
# (MMSegmentation's tools/dataset_converters/cityscapes.py writes them).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 1024),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # the original size of Cityscapes images: no resizing
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
# 8 GPUs x 2 images = 16
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 90000
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        # the 70th and 90th percentile of training
        milestones=[63000, 81000],
        gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=30000)
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=10000,
        max_keep_ckpts=3,
        save_last=True))
# the learning rate is for a batch of 16 images; set enable=True to scale it
auto_scale_lr = dict(enable=False, base_batch_size=16)

# the run stops if the pre-trained weights did not load
custom_hooks = [{{_base_.backbone_check}}]
