# Ablation: the global<->global term alone at every level (multi-level MoCo
# v2); the patch sets are still computed.
_base_ = './detco_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(loss_terms=('gg', )))
