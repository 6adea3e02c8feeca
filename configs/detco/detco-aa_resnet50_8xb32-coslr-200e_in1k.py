# DetCo+AA: RandAugment added to the global views (the paper's best rows).
_base_ = './detco_resnet50_8xb32-coslr-200e_in1k.py'

global_pipeline = _base_.global_pipeline + [
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(
            type='DetCoMultiView',
            global_pipeline=global_pipeline,
            patch_pipeline=_base_.patch_pipeline),
        dict(type='PackInputs'),
    ]))
