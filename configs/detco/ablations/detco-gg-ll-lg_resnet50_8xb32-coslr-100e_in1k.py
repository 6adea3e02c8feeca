# Ablation 4, multi-level + local<->local + local<->global: full DetCo, named
# for the ablation table (the same model as its base).
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(head=dict(loss_terms=('gg', 'll', 'lg')))
