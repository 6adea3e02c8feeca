_base_ = './detco_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(
    backbone=dict(depth=18), neck=dict(in_channels=(64, 128, 256, 512)))
