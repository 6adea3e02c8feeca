# Ablation 7: local MLP hidden width 9 * C_i instead of C_i (304 M more
# parameters at res5, 405 M over the four levels).
_base_ = '../detco_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(neck=dict(local_hid_channels=(2304, 4608, 9216, 18432)))
