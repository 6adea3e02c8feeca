# Faster R-CNN R50-C4 (res5 head with extra norm, SyncBN), fine-tuned on
# VOC07+12 trainval from a DetCo backbone, multi-scale training, 24k
# iterations (steps 18k, 22k), as the MoCo/DetCo detectron2 VOC benchmark.
# Reports on VOC07 test AP / AP50 / AP75 of the VOC protocol
# (pascal_voc/mAP, AP50, AP75: the paper's numbers; AP50 is the classic
# 11-point VOC07 mAP) and the COCO-style AP / AP50 / AP75 (coco/bbox_mAP,
# bbox_mAP_50, bbox_mAP_75): see ../_base_/datasets/voc0712_ms.py.
_base_ = [
    '../_base_/models/faster-rcnn_r50-c4.py',
    '../_base_/datasets/voc0712_ms.py',
    '../_base_/schedules/schedule_24k_voc.py',
    '../_base_/default_runtime.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
