# Copyright (c) mmdetco contributors. All rights reserved.
"""``mmdetco_demo`` is an application of ``mmdetco``: the library never
imports it."""
import glob
import os.path as osp

from ..conftest import ROOT


def test_the_library_never_imports_the_demo():
    sources = glob.glob(
        osp.join(ROOT, 'mmdetco', '**', '*.py'), recursive=True)
    assert sources
    offenders = [
        osp.relpath(path, ROOT) for path in sources
        if 'mmdetco_demo' in open(path, encoding='utf-8').read()
    ]
    assert not offenders, f'{offenders} name mmdetco_demo'
