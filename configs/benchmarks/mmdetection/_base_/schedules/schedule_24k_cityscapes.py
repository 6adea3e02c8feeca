# detectron2's Cityscapes Mask R-CNN schedule: 24k iterations of 8 images
# (8 GPUs x 1), SGD lr 0.01, warm-up over 1000 iterations, lr x0.1 at 18k.
_base_ = './schedule_1x.py'

train_cfg = dict(max_iters=24000, val_interval=6000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=24000,
        by_epoch=False,
        milestones=[18000],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(base_batch_size=8)
