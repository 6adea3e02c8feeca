# The VOC schedule of the MoCo/DetCo detectron2 configs
# (pascal_voc_R_50_C4_24k): 24k iterations of 16 images, SGD lr 0.02,
# warm-up over 100 iterations, lr x0.1 at 18k and 22k.
_base_ = './schedule_1x.py'

train_cfg = dict(max_iters=24000, val_interval=6000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=24000,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1)
]
