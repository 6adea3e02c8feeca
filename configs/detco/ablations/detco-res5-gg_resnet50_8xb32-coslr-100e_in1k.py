# Ablation 1, MoCo v2 inside DetCo: res5 only, global<->global only. Its loss
# equals that of MMPretrain's MoCo v2 given the same weights, views and queue
# (tests/test_ablations.py).
_base_ = './detco-res5_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(loss_terms=('gg', )))
