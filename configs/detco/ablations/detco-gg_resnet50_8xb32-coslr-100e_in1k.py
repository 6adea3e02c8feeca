# Ablation 2, multi-level only: the global<->global term at res2..res5 (a
# multi-level MoCo v2). The patch sets are still made and embedded.
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(loss_terms=('gg', )))
