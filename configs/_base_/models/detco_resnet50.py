# DetCo with a ResNet-50: contrasts at res2..res5 (see docs/en/algorithm.md).
model = dict(
    type='DetCo',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,  # mmengine EMA convention: MoCo's m = 0.999
    symmetric=False,
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='DetCoNeck',
        in_channels=(256, 512, 1024, 2048),
        hid_channels=None,  # H_i = C_i
        out_channels=128,
        num_patches=9,
        # keep the local branch from collapsing (docs/en/training_health.md);
        # False / 'default' is the literal design
        scale_local_input=True,
        local_init='global'),
    head=dict(
        type='DetCoHead',
        levels=('res2', 'res3', 'res4', 'res5'),
        level_weights=(0.1, 0.4, 0.7, 1.0),
        loss_terms=('gg', 'll', 'lg'),
        temperature=0.2))
