# DetCo with a ResNet-50 for MMSelfSup 1.x, in an environment of its own
# (docs/en/mmselfsup.md): MMSelfSup's MoCo v2 data, schedule and runtime
# (default_scope='mmselfsup'), DetCo's model, views and hooks. Train with
# MMSelfSup's tools/train.py. The same model and state dict as
# configs/detco/detco_resnet50_8xb32-coslr-200e_in1k.py.
_base_ = [
    'mmselfsup::selfsup/_base_/datasets/imagenet_mocov2.py',
    'mmselfsup::selfsup/_base_/schedules/sgd_coslr-200e_in1k.py',
    'mmselfsup::selfsup/_base_/default_runtime.py',
    '../_base_/models/detco_resnet50.py',
    '../_base_/pretrain_hooks.py',
]

custom_imports = dict(imports=['mmdetco'], allow_failed_imports=False)

# fixed view sizes: let cuDNN pick its fastest kernels for each, as the
# MMPretrain configs do
env_cfg = dict(cudnn_benchmark=True)

# DDP keeps the gradients as views of its communication buckets: one copy of
# the gradients less (docs/en/performance.md); buffers (BN statistics,
# queues) are not broadcast, as in mmengine's default wrapper
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel',
    broadcast_buffers=False,
    gradient_as_bucket_view=True)

model = dict(
    # MMSelfSup's ResNet counts the stem as stage 0: res2..res5 are 1..4
    # (MMPretrain's 0..3)
    backbone=dict(out_indices=(1, 2, 3, 4)),
    data_preprocessor=dict(
        type='DetCoDataPreprocessor',
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True))

# The DetCo views from MMSelfSup's MoCo v2 view pipeline: the global views
# are MoCo v2 views; a patch set crops 255 px (area 0.6-1), takes the same
# colour, blur and flip, then JigsawPatches (3 x 3 cells of 85 px, a random
# 64 px patch from each).
global_pipeline = _base_.view_pipeline
patch_pipeline = [
    dict(
        type='RandomResizedCrop', size=255, scale=(0.6, 1.), backend='pillow'),
] + _base_.view_pipeline[1:] + [
    dict(type='JigsawPatches', grid_size=3, patch_size=64, shuffle=True),
]
train_pipeline = [
    dict(type='LoadImageOrSkip', max_skipped=100),
    dict(
        type='DetCoMultiView',
        global_pipeline=global_pipeline,
        patch_pipeline=patch_pipeline),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
train_dataloader = dict(
    # mmengine gives the dicts of an `mmselfsup::` base a `_scope_` key and
    # passes it on to the collate function: restate it without
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(pipeline=train_pipeline))

# EpochBasedTrainLoop that also resumes inside an epoch (PreemptionHook)
# and stops a step whose loss is not finite (DivergenceGuard)
train_cfg = dict(
    type='ResumableEpochBasedTrainLoop',
    divergence_guard=dict(max_skipped_steps=20))
# mmengine's Runner that also trains with several CPU processes (gloo)
runner_type = 'CPUDistributedRunner'
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3))

# kNN top-1 of the res5 features, first 10k val images, leave-one-out
knn_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmcls.ImageNet',
        data_root=_base_.data_root,
        ann_file='meta/val.txt',
        data_prefix=dict(img_path='val/'),
        indices=10000,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='mmcls.ResizeEdge', scale=256, edge='short'),
            dict(type='mmcls.CenterCrop', crop_size=224),
            dict(type='mmcls.PackClsInputs'),
        ]))
custom_hooks = _base_.custom_hooks + [
    dict(
        type='KNNMonitorHook',
        dataloader=knn_dataloader,
        k=20,
        temperature=0.07,
        interval=10),
]
