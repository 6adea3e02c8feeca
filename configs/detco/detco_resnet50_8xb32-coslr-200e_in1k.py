_base_ = [
    '../_base_/models/detco_resnet50.py',
    '../_base_/pretrain_hooks.py',
    '../_base_/datasets/imagenet_bs32_detco.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]

# every 10 epochs (with the checkpoints): the backbone's BN statistics
# re-estimated on 6,400 whole train images per GPU, then the kNN top-1 of the
# res5 features on a val subset
custom_hooks = _base_.custom_hooks + [
    dict(
        type='BackboneBNStatsHook',
        dataloader=_base_.bn_stats_dataloader,
        num_batches=100,
        interval=10),
    dict(
        type='KNNMonitorHook',
        dataloader=_base_.knn_dataloader,
        k=20,
        temperature=0.07,
        interval=10),
]

# fixed view sizes: let cuDNN pick its fastest kernels for each
# (docs/en/performance.md); `randomness.deterministic=True` turns it off
env_cfg = dict(cudnn_benchmark=True)

# DDP keeps the gradients as views of its communication buckets: one copy of
# the gradients less (docs/en/performance.md); buffers (BN statistics,
# queues) are not broadcast, as in mmengine's default wrapper
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel',
    broadcast_buffers=False,
    gradient_as_bucket_view=True)
