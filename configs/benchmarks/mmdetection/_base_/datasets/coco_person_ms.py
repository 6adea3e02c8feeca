# COCO 2017 person boxes from the keypoint annotations, multi-scale training
# as ./coco_detection_ms.py. Used by the box branch of Keypoint R-CNN (see
# coco/keypoint-rcnn_r50_fpn_ms-2x_coco.py). Layout:
# data/coco/{train2017,val2017}/ and
# data/coco/annotations/person_keypoints_{train,val}2017.json.
_base_ = './coco_detection_ms.py'

metainfo = dict(classes=('person', ), palette=[(220, 20, 60)])
train_dataloader = dict(
    dataset=dict(
        ann_file='annotations/person_keypoints_train2017.json',
        metainfo=metainfo))
val_dataloader = dict(
    dataset=dict(
        ann_file='annotations/person_keypoints_val2017.json',
        metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=_base_.data_root +
                     'annotations/person_keypoints_val2017.json')
test_evaluator = val_evaluator
