# Copyright (c) mmdetco contributors. All rights reserved.
"""The OpenMMLab codebase mmdetco registers into.

mmdetco extends MMPretrain (>= 1.0) when it is installed, and otherwise
MMSelfSup 1.x (with MMClassification 1.x, in an environment of its own: the
two cannot be imported in one process). Every mmdetco module takes the
registries and the base classes it extends from here, so the same DetCo,
neck, head, views and hooks register into whichever codebase the
environment has; ``BACKEND`` names it.
"""
try:
    import mmpretrain  # noqa: F401
    BACKEND = 'mmpretrain'
except ImportError:
    try:
        import mmselfsup  # noqa: F401
        BACKEND = 'mmselfsup'
    except ImportError as error:
        raise ImportError(
            'mmdetco needs MMPretrain (>= 1.0) or MMSelfSup 1.x with '
            'MMClassification 1.x, and neither can be imported '
            f'({error}); see docs/en/get_started.md and '
            'docs/en/mmselfsup.md.') from error

if BACKEND == 'mmpretrain':
    from mmpretrain.datasets import BaseDataset
    from mmpretrain.datasets.transforms import RandomResizedCrop
    from mmpretrain.models import ResNet
    from mmpretrain.models.backbones.resnet import get_expansion
    from mmpretrain.models.selfsup import BaseSelfSupervisor
    from mmpretrain.models.utils import (SelfSupDataPreprocessor,
                                         batch_shuffle_ddp,
                                         batch_unshuffle_ddp)
    from mmpretrain.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOOPS,
                                     MODELS, TRANSFORMS)
    from mmpretrain.structures import DataSample
else:
    from mmcls.datasets import BaseDataset
    from mmcls.datasets.transforms import RandomResizedCrop
    from mmcls.models import ResNet
    from mmcls.models.backbones.resnet import get_expansion
    from mmselfsup.models.algorithms import BaseModel as BaseSelfSupervisor
    from mmselfsup.models.utils import SelfSupDataPreprocessor
    from mmselfsup.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOOPS,
                                    MODELS, TRANSFORMS)
    from mmselfsup.structures import SelfSupDataSample as DataSample
    from mmselfsup.utils import batch_shuffle_ddp, batch_unshuffle_ddp

    def _importable(module: str) -> bool:
        """Whether ``module`` exists (its parent packages included)."""
        import importlib.util
        try:
            return importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            return False

    def _drop_missing_registry_locations() -> None:
        """MMSelfSup 1.0.0 names ``mmselfsup.engine.runner``, a module it
        does not have, as where its runners and loops are; mmengine imports
        a registry's locations at its first lookup, so every loop of a
        config fails to build in the ``mmselfsup`` scope
        (open-mmlab/mmselfsup#745). Keep only the locations that exist."""
        import mmselfsup.registry as registries
        for name in registries.__all__:
            registry = getattr(registries, name)
            registry._locations = [
                location for location in registry._locations
                if _importable(location)
            ]

    _drop_missing_registry_locations()

__all__ = [
    'BACKEND', 'BaseDataset', 'BaseSelfSupervisor', 'DATA_SAMPLERS',
    'DATASETS', 'DataSample', 'HOOKS', 'LOOPS', 'MODELS', 'RandomResizedCrop',
    'ResNet', 'SelfSupDataPreprocessor', 'TRANSFORMS', 'batch_shuffle_ddp',
    'batch_unshuffle_ddp', 'get_expansion'
]
