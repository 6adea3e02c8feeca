# Copyright (c) mmdetco contributors. All rights reserved.
"""``mmdetco.compat`` in the MMPretrain environment (its MMSelfSup 1.x side:
tests/test_mmselfsup/test_mmselfsup_environment.py, ``make
test-mmselfsup``)."""
import importlib.util
import sys
from unittest import mock

import mmpretrain.models
import mmpretrain.registry
import pytest

from mmdetco import compat


def test_mmpretrain_is_the_backend():
    assert compat.BACKEND == 'mmpretrain'
    assert compat.ResNet is mmpretrain.models.ResNet
    for name in ('DATASETS', 'HOOKS', 'LOOPS', 'MODELS', 'TRANSFORMS'):
        assert getattr(compat, name) is getattr(mmpretrain.registry, name)
    for name in compat.__all__:
        value = getattr(compat, name)
        assert name == 'BACKEND' or getattr(
            value, '__module__', '').startswith(
                ('mmpretrain.', 'mmengine.')), name
    # the modules of mmdetco register there
    for registry, name in ((compat.MODELS, 'DetCo'), (compat.TRANSFORMS,
                                                      'DetCoMultiView'),
                           (compat.HOOKS, 'DetCoHealthHook')):
        assert registry.module_dict[name].__module__.startswith('mmdetco.')


def test_without_either_codebase_the_error_says_what_to_install():
    spec = importlib.util.spec_from_file_location('compat_without_backend',
                                                  compat.__file__)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(sys.modules, mmpretrain=None, mmselfsup=None):
        with pytest.raises(
                ImportError,
                match=r'needs MMPretrain \(>= 1.0\) or MMSelfSup 1.x') as err:
            spec.loader.exec_module(module)
    assert isinstance(err.value.__cause__, ImportError)
    assert 'get_started.md' in str(err.value)
