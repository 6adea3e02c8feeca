# Ablation 3, multi-level + local<->local: global<->global and
# local<->local at res2..res5, no cross term.
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(loss_terms=('gg', 'll')))
