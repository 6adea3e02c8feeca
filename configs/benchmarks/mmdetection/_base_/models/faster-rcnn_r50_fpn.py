# Faster R-CNN R50-FPN as ./mask-rcnn_r50_fpn.py without the mask branch
# (detectron2's Base-RCNN-FPN.yaml: SyncBN in the backbone and the FPN,
# norm-free 2fc box head).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
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
