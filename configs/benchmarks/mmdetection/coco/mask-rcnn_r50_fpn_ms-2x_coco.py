# Mask R-CNN R50-FPN (SyncBN in backbone, FPN and heads), fine-tuned on
# COCO train2017 from a DetCo backbone, multi-scale training, 2x schedule;
# box and mask AP on val2017.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/schedule_2x.py',
    '../_base_/default_runtime.py',
]
