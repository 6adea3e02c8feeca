# Copyright (c) mmdetco contributors. All rights reserved.
"""DetCo for OpenMMLab.

Importing ``mmdetco`` registers its modules into MMPretrain's registries
(so configs inheriting ``mmpretrain::`` bases find them), or into MMSelfSup
1.x's in an environment that has MMSelfSup instead (:mod:`mmdetco.compat`),
and allows ``torch.load(weights_only=True)`` to read mmengine checkpoints.
"""
from . import datasets, engine, evaluation, models  # noqa: F401 (registers)
from .utils import register_safe_globals
from .version import __version__

register_safe_globals()

__all__ = ['__version__']
