# Semi-supervised COCO: RetinaNet R50-FPN (SyncBN in backbone and FPN)
# fine-tuned from a DetCo backbone on 1% of the COCO train2017 images (with
# all their boxes), single-scale training (1333, 800), 12k schedule; box AP
# on the full val2017.
#
# The split is made, with the 2, 5 and 10% ones, by
#   python tools/dataset_converters/make_coco_semi_splits.py \
#       data/coco/annotations/instances_train2017.json \
#       data/coco/annotations/semi_splits --percents 1 2 5 10 --seed 1
# which writes semi_splits/instances_train2017.1@{1,2,5,10}.json
# (`{seed}@{percent}`); use another seed for another draw.
_base_ = [
    '../_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/coco_detection.py',
    '../_base_/schedules/schedule_12k.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(
    dataset=dict(
        ann_file='annotations/semi_splits/instances_train2017.1@1.json'))

# RetinaNet's base lr (Base-RetinaNet.yaml: BASE_LR 0.01), not the R-CNN 0.02
# of the schedules
optim_wrapper = dict(optimizer=dict(lr=0.01))
