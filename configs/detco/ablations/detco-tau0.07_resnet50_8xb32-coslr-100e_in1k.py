# Ablation 11: temperature 0.07 (MoCo v1's) instead of MoCo v2's 0.2.
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(temperature=0.07))
