# Copyright (c) mmdetco contributors. All rights reserved.
"""MMSegmentation support (``pip install mmdetco[seg]``).

Importing ``mmdetco.seg`` (which needs mmseg, unlike ``mmdetco``) registers
:class:`mmdetco.engine.PretrainedBackboneCheckHook` into MMSegmentation's
HOOKS registry, so that the segmentation benchmark configs
(``configs/benchmarks/mmsegmentation/``, ``default_scope='mmseg'``) stop a
run whose backbone did not load; they import it with
``custom_imports = dict(imports=['mmdetco', 'mmdetco.seg'])``.
"""
from mmseg.registry import HOOKS

from ..engine import PretrainedBackboneCheckHook

HOOKS.register_module(module=PretrainedBackboneCheckHook)

__all__ = ['PretrainedBackboneCheckHook']
