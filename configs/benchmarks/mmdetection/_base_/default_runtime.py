# MMDetection's runtime (default_scope='mmdet', logger, visualizer, ...)
# for the iteration-based DetCo benchmarks.
_base_ = 'mmdet::_base_/default_runtime.py'

# - mmdetco: lets torch.load(weights_only=True) (the default since torch 2.6,
#   used by mmengine's `Pretrained` init and `--resume`) read full mmengine
#   training checkpoints such as DetCo's `epoch_200.pth`;
# - mmpretrain.models: registers `ResLayerExtraNorm` (the C4 res5 head with
#   the extra norm) into MMDetection's MODELS registry;
# - mmdetco.det: registers PretrainedBackboneCheckHook (the `custom_hooks`
#   of the model bases) into MMDetection's HOOKS registry.
custom_imports = dict(
    imports=['mmdetco', 'mmdetco.det', 'mmpretrain.models'],
    allow_failed_imports=False)

default_scope = 'mmdet'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=10000,
        max_keep_ckpts=3,
        save_last=True))
log_processor = dict(by_epoch=False)
