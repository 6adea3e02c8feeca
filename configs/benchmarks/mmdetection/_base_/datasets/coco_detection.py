# COCO 2017 boxes (MMDetection's dataset base), sampled without end for the
# iteration-based schedules; single-scale training (1333, 800).
# Layout: data/coco/{train2017,val2017}/ and
# data/coco/annotations/instances_{train,val}2017.json.
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
