# RetinaNet R50-FPN with SyncBN in the backbone and the FPN, RGB input with
# ImageNet mean/std. [decision] The RetinaNet head keeps MMDetection's (and
# detectron2's) norm-free convolutions; set `model.bbox_head.norm_cfg` to
# add norm layers there too.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    './detco_resnet50.py',
]

norm_cfg = {{_base_.sync_bn}}
model = dict(
    data_preprocessor={{_base_.rgb_preprocessor}},
    backbone={{_base_.resnet_overrides}},
    neck=dict(norm_cfg=norm_cfg))
# the run stops if the pre-trained weights did not load (detco_resnet50.py)
custom_hooks = [{{_base_.backbone_check}}]
