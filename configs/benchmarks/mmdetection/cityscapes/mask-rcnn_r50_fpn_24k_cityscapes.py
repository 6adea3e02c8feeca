# Mask R-CNN R50-FPN (SyncBN in backbone, FPN and heads) fine-tuned on
# Cityscapes train (fine annotations) from a DetCo backbone, multi-scale
# training, 24k iterations of 8 images (lr 0.01, step 18k), as detectron2's
# Cityscapes Mask R-CNN; box/mask AP and the Cityscapes AP on val. Unlike
# MMDetection's own Cityscapes config it does NOT start from a COCO
# detector (`load_from` stays None): only the backbone is pre-trained.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/cityscapes_instance.py',
    '../_base_/schedules/schedule_24k_cityscapes.py',
    '../_base_/default_runtime.py',
]

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
