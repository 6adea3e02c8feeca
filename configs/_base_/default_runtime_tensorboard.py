# The default runtime with TensorBoard logging as well (`pip install
# tensorboard`; then `tensorboard --logdir work_dirs/<config>`).
_base_ = './default_runtime.py'

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
