# Ablation 12: DetCo+AA (RandAugment on the global views) at 100 epochs: the
# DetCo+AA config with the 100-epoch schedule of
# ../detco_resnet50_8xb32-coslr-100e_in1k.py.
_base_ = '../detco-aa_resnet50_8xb32-coslr-200e_in1k.py'

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
]
train_cfg = dict(max_epochs=100)
