# Linear evaluation on ImageNet-1k, MMPretrain's MoCo v2 linear protocol
# (mmpretrain::mocov2/benchmarks/resnet50_8xb32-linear-steplr-100e_in1k.py,
# the MoCo/OpenSelfSup recipe): the DetCo ResNet-50 is frozen (all 4
# stages, BN statistics included) and only a linear classifier on the
# pooled res5 features is trained, SGD lr 30, momentum 0.9, no weight
# decay, lr x0.1 at epochs 60 and 80, 100 epochs, batch 256 (8 GPUs x 32).
# Target: 68.6 top-1 (DetCo 200 epochs; MoCo v2: 67.5).
#
#   GPUS=8 bash tools/benchmarks/classification/mim_dist_train_linear.sh \
#       THIS_CONFIG PRETRAIN
#
# (the script sets model.backbone.init_cfg.checkpoint=PRETRAIN; with
# tools/dist_train.sh, add `--cfg-options
# model.backbone.init_cfg.checkpoint=PRETRAIN`. docs/en/benchmarks.md
# gives the full commands.)
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_steplr_100e.py',
    # MMPretrain's runtime + `custom_imports = ['mmdetco']`, which lets
    # torch.load(weights_only=True) read the DetCo training checkpoint
    '../../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        frozen_stages=4,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/'
            'epoch_200.pth',
            # the query backbone; the momentum encoder is not loaded
            prefix='backbone.')))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
# stop before the first iteration if the backbone did not load from
# init_cfg's file (mmengine loads it with strict=False and only logs a wrong
# prefix or a file of another depth)
custom_hooks = [dict(type='PretrainedBackboneCheckHook')]
