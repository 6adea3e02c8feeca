# Semi-supervised COCO as ./retinanet_r50_fpn_12k_coco-1pct.py, on 5% of
# the train2017 images.
_base_ = './retinanet_r50_fpn_12k_coco-1pct.py'

train_dataloader = dict(
    dataset=dict(
        ann_file='annotations/semi_splits/instances_train2017.1@5.json'))
