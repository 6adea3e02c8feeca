# Ablation: contrast at res5 only (MoCo v2 + the local terms).
_base_ = './detco_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(
    backbone=dict(out_indices=(3, )),
    neck=dict(in_channels=(2048, )),
    head=dict(levels=('res5', ), level_weights=(1.0, )))
