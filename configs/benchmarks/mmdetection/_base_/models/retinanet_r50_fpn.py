# RetinaNet R50-FPN as detectron2's Base-RetinaNet.yaml with the DetCo
# authors' coco_R_50_RetinaNet_1x.yaml: SyncBN in the backbone and in the
# FPN's P3-P5 convolutions (RESNETS.NORM, FPN.NORM); P6/P7 from C5 by
# plain convolutions with a ReLU before P7 (detectron2's LastLevelP6P7:
# FPNPlainExtraConvs); a norm-free head; losses divided by a running
# average of the positive anchors (momentum 0.9: EMANormRetinaHead); RGB
# input with ImageNet mean/std. Base lr 0.01 (Base-RetinaNet.yaml): set in
# each RetinaNet config, as the schedules hold the R-CNN lr 0.02.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    './detco_resnet50.py',
]

model = dict(
    data_preprocessor={{_base_.rgb_preprocessor}},
    backbone={{_base_.resnet_overrides}},
    neck=dict(
        type='FPNPlainExtraConvs',
        norm_cfg={{_base_.sync_bn}},
        relu_before_extra_convs=True),
    bbox_head=dict(type='EMANormRetinaHead', loss_normalizer_momentum=0.9))
# the run stops if the pre-trained weights did not load; precise BN after
# the last iteration (detco_resnet50.py)
custom_hooks = [{{_base_.backbone_check}}, {{_base_.precise_bn}}]
