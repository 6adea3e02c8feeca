# Ablation 2, multi-level only: the global<->global term at res2..res5 (a
# multi-level MoCo v2). The views still make the patch sets, but with no
# local term DetCo builds and runs no local branch (no local MLPs).
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(loss_terms=('gg', )))
