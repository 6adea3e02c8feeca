# Ablation 9: a 2 x 2 patch grid (4 patches of 64 px from 127 px cells)
# instead of 3 x 3; the local MLPs take 4 patch vectors.
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(neck=dict(num_patches=4))
patch_pipeline = _base_.patch_pipeline[:-1] + [
    dict(type='JigsawPatches', grid_size=2, patch_size=64, shuffle=True),
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
