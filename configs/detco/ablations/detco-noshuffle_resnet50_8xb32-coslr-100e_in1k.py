# Ablation 8: the 9 patches of a set keep their grid order (not shuffled).
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

patch_pipeline = _base_.patch_pipeline[:-1] + [
    dict(type='JigsawPatches', grid_size=3, patch_size=64, shuffle=False),
]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageOrSkip', max_skipped=100),
        dict(
            type='DetCoMultiView',
            global_pipeline=_base_.global_pipeline,
            patch_pipeline=patch_pipeline),
        dict(type='PackInputs'),
    ]))
