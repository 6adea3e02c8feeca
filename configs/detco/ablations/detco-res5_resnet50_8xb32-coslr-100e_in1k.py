# Ablation 5, full DetCo at res5 only: the local terms without multi-level
# supervision.
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(
    backbone=dict(out_indices=(3, )),
    neck=dict(in_channels=(2048, )),
    head=dict(levels=('res5', ), level_weights=(1.0, )))
