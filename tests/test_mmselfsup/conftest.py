# Copyright (c) mmdetco contributors. All rights reserved.
"""Fixtures of the MMSelfSup environment's tests (``make test-mmselfsup``):
the Python of the main (MMPretrain) environment, the demo data and running a
command with either."""
import os
import os.path as osp
import subprocess
import sys
from typing import List

import pytest
from mmengine.registry import DefaultScope

from mmdetco_demo import generate_demo_data

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = osp.join(ROOT, 'configs')


def run(python: str, args: List[str], cwd: str = ROOT, **env) -> str:
    """Run ``python args`` and return its output; fail with its last lines
    if it fails."""
    result = subprocess.run([python, *args],
                            cwd=cwd,
                            env=dict(os.environ, **env),
                            capture_output=True,
                            text=True,
                            timeout=800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


@pytest.fixture(scope='session')
def main_python() -> str:
    """The Python of the MMPretrain environment (``.venv``)."""
    python = os.environ.get('MMDETCO_MAIN_PYTHON', '')
    if not osp.isfile(python):
        pytest.fail('These tests compare against the MMPretrain '
                    'environment: set MMDETCO_MAIN_PYTHON to its Python '
                    f'(`make test-mmselfsup` does); got {python!r}.')
    return python


@pytest.fixture(scope='session')
def this_python() -> str:
    return sys.executable


@pytest.fixture(scope='session')
def demo_dir(tmp_path_factory) -> str:
    """A folder holding a small demo data set in ``data/demo`` (the configs'
    relative ``data_root``): 16 pre-training images."""
    folder = str(tmp_path_factory.mktemp('demo'))
    generate_demo_data(
        osp.join(folder, 'data', 'demo'),
        num_pretrain=16,
        num_train=4,
        num_val=4,
        size=96)
    return folder


@pytest.fixture(autouse=True)
def mmselfsup_scope():
    """Run each test in MMSelfSup's default scope, as its Runner does."""
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        yield
