# Ablation 10: the symmetric loss: views 2 also query views 1, the two
# losses are averaged and the keys of both directions enqueued.
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(symmetric=True)
