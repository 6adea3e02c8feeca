# The short COCO schedule of the DetCo paper: 12k iterations of 16 images.
# [decision] The paper gives no steps: the lr drops x0.1 at the same
# fractions of the schedule as in 1x (60k/90k and 80k/90k), i.e. at 8000 and
# 10667; otherwise as ./schedule_1x.py.
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
        milestones=[8000, 10667],
        gamma=0.1)
]
