# Faster R-CNN R50-FPN with SyncBN in the backbone, the FPN and the box head
# (4conv1fc), as in ./mask-rcnn_r50_fpn.py without the mask branch.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    './detco_resnet50.py',
]

norm_cfg = {{_base_.sync_bn}}
model = dict(
    data_preprocessor={{_base_.rgb_preprocessor}},
    backbone={{_base_.resnet_overrides}},
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg)))
# the run stops if the pre-trained weights did not load (detco_resnet50.py)
custom_hooks = [{{_base_.backbone_check}}]
