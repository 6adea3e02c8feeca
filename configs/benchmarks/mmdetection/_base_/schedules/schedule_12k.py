# The short COCO schedule of the DetCo paper: 12k iterations of 16 images,
# lr x0.1 at 9000 and 11000 (the authors' coco_R_50_{C4,FPN,RetinaNet}_12k
# yaml files: STEPS (9000, 11000)); otherwise as ./schedule_1x.py.
_base_ = './schedule_1x.py'

train_cfg = dict(max_iters=12000, val_interval=6000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12000,
        by_epoch=False,
        milestones=[9000, 11000],
        gamma=0.1)
]
