# Cityscapes instance segmentation (8 classes), MMDetection's dataset base:
# COCO-style json made by MMDetection's
# `tools/dataset_converters/cityscapes.py data/cityscapes --nproc 8
# --out-dir data/cityscapes/annotations` (needs `cityscapesscripts`).
# Layout: data/cityscapes/leftImg8bit/{train,val}/, data/cityscapes/gtFine/
# {train,val}/ and data/cityscapes/annotations/
# instancesonly_filtered_gtFine_{train,val}.json. Evaluates COCO-style box
# and mask AP and the official Cityscapes mask AP (CityScapesMetric, needs
# `pip install cityscapesscripts`).
#
# Training as detectron2's Cityscapes Mask R-CNN: shorter side drawn from
# 800, 832, ..., 1024 (longer side at most 2048), tests at (2048, 1024);
# sampled without end (no RepeatDataset) for the iteration-based schedule;
# 1 image per GPU (8 GPUs: batch 8).
_base_ = 'mmdet::_base_/datasets/cityscapes_instance.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(2048, 800), (2048, 832), (2048, 864), (2048, 896),
                (2048, 928), (2048, 960), (2048, 992), (2048, 1024)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        ann_file='annotations/instancesonly_filtered_gtFine_train.json',
        data_prefix=dict(img='leftImg8bit/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args={{_base_.backend_args}}))
