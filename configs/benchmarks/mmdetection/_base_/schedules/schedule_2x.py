# detectron2's COCO 2x schedule: 180k iterations, lr x0.1 at 120k and 160k;
# otherwise as ./schedule_1x.py. (MMSelfSup's 2x config set `train_cfg`
# twice and so trained 12 epochs with the 2x milestones: here there is one
# `train_cfg`, and the milestones lie inside it.)
_base_ = './schedule_1x.py'

train_cfg = dict(max_iters=180000, val_interval=60000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=180000,
        by_epoch=False,
        milestones=[120000, 160000],
        gamma=0.1)
]
