# Copyright (c) mmdetco contributors. All rights reserved.
"""DetCo for OpenMMLab.

Importing ``mmdetco`` registers its modules into MMPretrain's registries
(so configs inheriting ``mmpretrain::`` bases find them), or into MMSelfSup
1.x's in an environment that has MMSelfSup instead (:mod:`mmdetco.compat`),
and allows ``torch.load(weights_only=True)`` to read mmengine checkpoints.
"""
from .datasets import *  # noqa: F401,F403
from .engine import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .utils import register_safe_globals
from .version import __version__

register_safe_globals()

__all__ = ['__version__']
