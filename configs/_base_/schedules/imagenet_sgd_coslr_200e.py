# MoCo v2 recipe: SGD lr 0.03 for a batch of 256, cosine decay, 200 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, by_epoch=True, begin=0, end=200)
]

# EpochBasedTrainLoop that also resumes inside an epoch (after pre-emption)
# and stops a step whose loss is not finite (DivergenceGuard; under fp16 it
# skips up to `max_skipped_steps` consecutive ones)
train_cfg = dict(
    type='ResumableEpochBasedTrainLoop',
    max_epochs=200,
    divergence_guard=dict(max_skipped_steps=20))

# `--auto-scale-lr` scales lr linearly from this batch size.
auto_scale_lr = dict(base_batch_size=256)
