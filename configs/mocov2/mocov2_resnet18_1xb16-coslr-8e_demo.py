# MMPretrain's own MoCo v2 (the model of its
# mocov2_resnet50_8xb32-coslr-200e_in1k.py, with a ResNet-18) trained exactly
# like the DetCo demo: same data, global views, queue length, schedule and
# seed. The baseline of tools/benchmarks/demo_table.py.
_base_ = '../detco/detco_resnet18_1xb16-coslr-8e_demo.py'

model = dict(
    _delete_=True,
    type='MoCo',
    queue_len=_base_.model.queue_len,
    feat_dim=128,
    momentum=_base_.model.momentum,
    backbone=dict(
        type='ResNet',
        depth=18,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(
            type='MultiView', num_views=2, transforms=[_base_.global_pipeline
                                                       ]),
        dict(type='PackInputs'),
    ]))

# the same kNN monitor; DetCoHealthHook needs DetCo's branches
custom_hooks = [
    hook for hook in _base_.custom_hooks if hook['type'] != 'DetCoHealthHook'
]
