# Copyright (c) mmdetco contributors. All rights reserved.
"""``import mmdetco``: its modules registered, its subpackages reachable as
attributes under their own names."""
import importlib

import mmdetco
from mmdetco.compat import HOOKS, LOOPS, MODELS, TRANSFORMS


def test_import_registers_the_modules():
    assert MODELS.get('DetCo') is not None
    assert MODELS.get('DetCoNeck') is not None
    assert TRANSFORMS.get('JigsawPatches') is not None
    assert HOOKS.get('DetCoHealthHook') is not None
    assert LOOPS.get('ResumableEpochBasedTrainLoop') is not None


def test_subpackages_are_themselves():
    """No subpackage hides another (``mmdetco.utils`` is not
    ``mmdetco.models.utils``)."""
    for name in ('datasets', 'engine', 'evaluation', 'models', 'utils'):
        module = importlib.import_module(f'mmdetco.{name}')
        assert getattr(mmdetco, name) is module, name
