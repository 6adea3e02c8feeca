# MMPretrain's runtime (default_scope='mmpretrain', logger, checkpoint,
# visualizer), plus the mmdetco modules.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmdetco'], allow_failed_imports=False)

# mmengine's Runner that also trains with several CPU processes (gloo), for
# every launcher: tools/train.py, MIM's and MMPretrain's tools/train.py
runner_type = 'CPUDistributedRunner'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # save every 10 epochs, keep the last 3 (every run stays resumable)
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))

# TensorBoard: inherit `_base_/default_runtime_tensorboard.py` instead.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_processor = dict(window_size=10)
