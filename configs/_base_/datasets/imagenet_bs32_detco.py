# ImageNet with the DetCo views: 2 global views (MoCo v2 augmentation) and 2
# jigsaw patch sets (PIRL) per image.
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# colour, greyscale and blur, shared by both kinds of view (the `*_gpuaug.py`
# configs run them on the device instead: `gpu_aug_*` below)
color_augmentation = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1,
                # the same operations as the default 'pillow', 4x faster
                # (docs/en/performance.md)
                backend='cv2')
        ],
        prob=0.8),
    dict(
        type='FastRandomGrayscale',  # RandomGrayscale, 20x faster
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
flip = dict(type='RandomFlip', prob=0.5)
view_augmentation = color_augmentation + [flip]
global_pipeline = [
    dict(
        type='FastRandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
] + view_augmentation
patch_pipeline = [
    dict(
        type='FastRandomResizedCrop',
        scale=255,
        crop_ratio_range=(0.6, 1.),
        backend='pillow'),
] + view_augmentation + [
    # 3 x 3 cells of 85 px, a random 64 px patch from each, shuffled
    dict(type='JigsawPatches', grid_size=3, patch_size=64, shuffle=True),
]

# what DetCo+AA adds to the global views (the paper's best rows)
randaugment = dict(
    type='RandAugment',
    policies='timm_increasing',
    num_policies=2,
    total_level=10,
    magnitude_level=9,
    magnitude_std=0.5,
    hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic'))

train_pipeline = [
    dict(type='LoadImageOrSkip', max_skipped=100),
    dict(
        type='DetCoMultiView',
        global_pipeline=global_pipeline,
        patch_pipeline=patch_pipeline),
    dict(type='PackInputs'),
]

# The same views with their colour jitter, greyscale and blur on the device,
# batched, after collation (DetCoDataPreprocessor, kornia): the CPU only
# decodes, crops, flips and cuts the patches. The same operations,
# probabilities and ranges (docs/en/performance.md); the `*_gpuaug.py` configs
# select them.
gpu_aug_train_pipeline = [
    train_pipeline[0],
    dict(
        type='DetCoMultiView',
        global_pipeline=[global_pipeline[0], flip],
        patch_pipeline=[patch_pipeline[0], flip, patch_pipeline[-1]]),
    train_pipeline[-1],
]
gpu_aug_data_preprocessor = dict(
    type='DetCoDataPreprocessor',
    augmentation=dict(
        color_jitter=dict(
            brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
        # FastRandomGrayscale's BGR channel_weights in RGB order, summing to 1
        grayscale=dict(
            prob=0.2,
            rgb_weights=[w / 0.9999 for w in (0.2989, 0.587, 0.114)]),
        blur=dict(sigma_range=(0.1, 2.0), prob=0.5)))

# Each sample draws its augmentations from a seed of its own (the run's seed,
# the epoch and its index): the same whichever process or loader worker loads
# it, so a resumed run draws those of the run it continues
# (docs/en/long_runs.md).
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='EpochSeededSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='SampleSeededDataset',
        dataset_type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))

# The labelled split of the online kNN monitor (`KNNMonitorHook`,
# leave-one-out): the first `indices` images of the val split. Optional:
# without val/ (docs/en/dataset_prepare.md) the monitor is off, with a warning.
knn_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        indices=10000,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='ResizeEdge', scale=256, edge='short'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]))

# The whole images of `BackboneBNStatsHook` (docs/en/training_health.md): train
# images seen as the kNN monitor and the linear benchmark see them (resize
# 256, centre crop 224), in a fixed random order.
bn_stats_dataloader = dict(
    knn_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    dataset=dict(knn_dataloader['dataset'], split='train', indices=None))
