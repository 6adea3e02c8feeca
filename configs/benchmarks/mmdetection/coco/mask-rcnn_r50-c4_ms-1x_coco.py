# Mask R-CNN R50-C4 (res5 head with extra norm, SyncBN), fine-tuned on
# COCO train2017 from a DetCo backbone, multi-scale training, 1x schedule;
# box and mask AP on val2017.
_base_ = [
    '../_base_/models/mask-rcnn_r50-c4.py',
    '../_base_/datasets/coco_instance_ms-max1200.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
