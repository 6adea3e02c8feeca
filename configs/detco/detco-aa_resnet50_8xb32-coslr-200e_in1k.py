# DetCo+AA: RandAugment added to the global views (the paper's best rows).
_base_ = './detco_resnet50_8xb32-coslr-200e_in1k.py'

global_pipeline = _base_.global_pipeline + [_base_.randaugment]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageOrSkip', max_skipped=100),
        dict(
            type='DetCoMultiView',
            global_pipeline=global_pipeline,
            patch_pipeline=_base_.patch_pipeline),
        dict(type='PackInputs'),
    ]))
