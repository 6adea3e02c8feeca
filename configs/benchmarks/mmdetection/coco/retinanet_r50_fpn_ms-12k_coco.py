# RetinaNet R50-FPN (SyncBN in backbone and FPN), fine-tuned on COCO
# train2017 from a DetCo backbone, multi-scale training, 12k schedule; box
# AP on val2017.
_base_ = [
    '../_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/coco_detection_ms.py',
    '../_base_/schedules/schedule_12k.py',
    '../_base_/default_runtime.py',
]

# RetinaNet's base lr (Base-RetinaNet.yaml: BASE_LR 0.01), not the R-CNN 0.02
# of the schedules
optim_wrapper = dict(optimizer=dict(lr=0.01))
