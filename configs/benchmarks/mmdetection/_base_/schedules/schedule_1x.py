# detectron2's COCO 1x schedule (the DetCo authors' coco_R_50_*_1x.yaml and
# detectron2's defaults): 90k iterations of 16 images (8 GPUs x 2), SGD lr
# 0.02, momentum 0.9, weight decay 1e-4 but none on norm layers
# (SOLVER.WEIGHT_DECAY_NORM 0.0), linear warm-up from x0.001 over 1000
# iterations, lr x0.1 at 60k and 80k.
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=90000, val_interval=30000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=90000,
        by_epoch=False,
        milestones=[60000, 80000],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(norm_decay_mult=0.))

# The learning rate is for a batch of 16 images; `--auto-scale-lr` scales it
# for other batch sizes.
auto_scale_lr = dict(enable=False, base_batch_size=16)
