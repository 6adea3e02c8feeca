# Ablation 6: every level weighs the same (the default weighs shallow levels
# less: 0.1, 0.4, 0.7, 1.0).
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(level_weights=(1.0, 1.0, 1.0, 1.0)))
