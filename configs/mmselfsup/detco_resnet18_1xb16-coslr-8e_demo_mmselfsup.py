# DetCo on the embedded demo data (`python
# tools/dataset_converters/generate_demo_data.py`) for MMSelfSup 1.x: the
# settings of configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py (see there
# for the reasons) on MMSelfSup's bases.
_base_ = './detco_resnet50_8xb32-coslr-200e_in1k_mmselfsup.py'

model = dict(
    queue_len=256,
    momentum=0.01,
    backbone=dict(depth=18),
    neck=dict(in_channels=(64, 128, 256, 512)))

view_augmentation = _base_.view_pipeline[1:]
global_pipeline = [
    dict(type='RandomResizedCrop', size=64, scale=(0.2, 1.), backend='pillow'),
] + view_augmentation
patch_pipeline = [
    dict(type='RandomResizedCrop', size=72, scale=(0.6, 1.), backend='pillow'),
] + view_augmentation + [
    dict(type='JigsawPatches', grid_size=3, patch_size=16, shuffle=True),
]
load_image, multi_view, pack = _base_.train_pipeline
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        # MMClassification's CustomDataset reads classes from sub-folders:
        # the images are the one class `images`
        type='mmcls.CustomDataset',
        data_root='data/demo/',
        data_prefix='pretrain',
        pipeline=[
            load_image,
            dict(
                multi_view,
                global_pipeline=global_pipeline,
                patch_pipeline=patch_pipeline), pack
        ]))

knn_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CocoInstanceCrops',
        data_root='data/demo/',
        ann_file='annotations/instances_train.json',
        data_prefix='train',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='CropToBox', padding=0.1),
            dict(type='Resize', scale=(64, 64)),
            dict(type='mmcls.PackClsInputs'),
        ]))
custom_hooks = _base_.custom_hooks[:-1] + [
    dict(
        type='KNNMonitorHook',
        dataloader=knn_dataloader,
        query_dataloader=dict(
            knn_dataloader,
            dataset=dict(
                knn_dataloader['dataset'],
                ann_file='annotations/instances_val.json',
                data_prefix='val')),
        interval=8),
]

optim_wrapper = dict(optimizer=dict(lr=0.0075))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=16),
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(max_epochs=8)
default_hooks = dict(
    logger=dict(interval=4), checkpoint=dict(interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
