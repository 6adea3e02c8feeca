# COCO 2017 boxes and masks (MMDetection's dataset base) with multi-scale
# training as in detectron2 (shorter side 640..800, step 32), sampled
# without end for the iteration-based schedules. Evaluates box and mask AP.
# Layout: data/coco/{train2017,val2017}/ and
# data/coco/annotations/instances_{train,val}2017.json.
_base_ = 'mmdet::_base_/datasets/coco_instance.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
