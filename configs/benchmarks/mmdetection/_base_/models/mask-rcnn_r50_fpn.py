# Mask R-CNN R50-FPN as detectron2's Base-RCNN-FPN.yaml with the DetCo
# authors' coco_R_50_FPN_1x.yaml: SyncBN in the backbone and the FPN
# (RESNETS.NORM, FPN.NORM), norm-free RoI heads (detectron2's 2fc box head
# and 4-conv mask head: MMDetection's Shared2FCBBoxHead and FCNMaskHead),
# RGB input with ImageNet mean/std.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    './detco_resnet50.py',
]

model = dict(
    data_preprocessor={{_base_.rgb_preprocessor}},
    backbone={{_base_.resnet_overrides}},
    neck=dict(norm_cfg={{_base_.sync_bn}}),
    train_cfg={{_base_.rcnn_train_cfg}})
# the run stops if the pre-trained weights did not load; precise BN after
# the last iteration (detco_resnet50.py)
custom_hooks = [{{_base_.backbone_check}}, {{_base_.precise_bn}}]
