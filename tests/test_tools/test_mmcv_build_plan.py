# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/misc/mmcv_build_plan.py``: CUDA or CPU ops for mmcv, and the
wheel cache key that says which."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ..conftest import ROOT

REPO = Path(ROOT)
TOOL = REPO / 'tools' / 'misc' / 'mmcv_build_plan.py'


@pytest.fixture
def tool():
    spec = importlib.util.spec_from_file_location('mmcv_build_plan', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def machine(tool, monkeypatch, tmp_path):
    """A machine whose torch, toolkit and GPUs the test sets."""
    home = tmp_path / 'cuda'
    (home / 'bin').mkdir(parents=True)
    (home / 'include').mkdir()
    (home / 'include' / 'cusparse.h').touch()

    def setup(torch_version='2.14.1+cu130', torch_cuda='13.0', nvcc='13.0',
              gpus=()):
        monkeypatch.setattr(torch, '__version__', torch_version)
        monkeypatch.setattr(torch.version, 'cuda', torch_cuda)
        monkeypatch.setattr(tool, 'find_cuda_home',
                            lambda: str(home) if nvcc else None)
        monkeypatch.setattr(tool, 'nvcc_version', lambda _: nvcc)
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: bool(gpus))
        monkeypatch.setattr(torch.cuda, 'device_count', lambda: len(gpus))
        monkeypatch.setattr(torch.cuda, 'get_device_capability',
                            lambda i: gpus[i])
        return str(home)

    return setup


PY = 'py%d%d' % sys.version_info[:2]


def test_visible_gpus_give_a_cuda_build_for_their_archs(tool, machine):
    home = machine(gpus=[(9, 0), (8, 0), (9, 0)])
    plan = tool.plan('2.1.0', {})
    assert plan['MMCV_OPS'] == 'cuda'
    assert plan['MMCV_ARCHS'] == '8.0;9.0'
    assert plan['MMCV_CUDA_HOME'] == home
    assert plan['MMCV_KEY'] == \
        f'mmcv-2.1.0_torch-2.14.1_cu130_{PY}_cuda13.0-sm80+sm90'
    assert plan['MMCV_CXX_STD'] == 'c++20'


def test_arch_list_builds_for_gpus_not_visible(tool, machine):
    machine(gpus=())
    plan = tool.plan('2.1.0', {'TORCH_CUDA_ARCH_LIST': '7.0;9.0+PTX'})
    assert plan['MMCV_OPS'] == 'cuda'
    assert plan['MMCV_KEY'].endswith('_cuda13.0-sm70+sm90ptx')


@pytest.mark.parametrize(
    'setup, env, reason',
    [(dict(gpus=()), {}, 'no GPU visible'),
     (dict(torch_cuda=None, gpus=[(9, 0)]), {}, 'CPU build'),
     (dict(nvcc=None, gpus=[(9, 0)]), {}, 'no CUDA compiler'),
     (dict(nvcc='12.4', gpus=[(9, 0)]), {}, 'nvcc 12.4 .* does not match'),
     (dict(gpus=[(9, 0)]), {'FORCE_CUDA': '0'}, 'FORCE_CUDA=0')])
def test_cpu_ops_and_why(tool, machine, setup, env, reason):
    """Without any piece of a CUDA build the ops are CPU ops, the key says
    so (no CPU wheel is reused on a GPU node as if it had CUDA ops)."""
    machine(**setup)
    plan = tool.plan('2.1.0', env)
    assert plan['MMCV_OPS'] == 'cpu'
    assert plan['MMCV_KEY'].endswith(f'_{PY}_cpu')
    assert plan['MMCV_ARCHS'] == plan['MMCV_CUDA_HOME'] == ''
    assert re.search(reason, plan['MMCV_REASON'])


def test_force_cuda_without_a_compiler_fails(tool, machine):
    machine(nvcc=None, gpus=[(9, 0)])
    with pytest.raises(SystemExit, match='FORCE_CUDA=1.*no CUDA compiler'):
        tool.plan('2.1.0', {'FORCE_CUDA': '1'})


@pytest.mark.parametrize(
    'version, cuda, mmcv, url',
    [('2.1.2+cu121', '12.1', '2.1.0', 'dist/cu121/torch2.1.0/index.html'),
     ('2.0.1+cu118', '11.8', '2.0.1', 'dist/cu118/torch2.0.0/index.html'),
     ('2.1.2+cpu', None, '2.1.0', 'dist/cpu/torch2.1.0/index.html'),
     ('2.14.1+cu130', '13.0', '2.1.0', ''),
     ('2.1.2+cu121', '12.1', '2.0.1', '')])
def test_prebuilt_wheels_only_where_openmmlab_built_them(
        tool, machine, version, cuda, mmcv, url):
    machine(torch_version=version, torch_cuda=cuda)
    found = tool.plan(mmcv, {})['MMCV_PREBUILT_URL']
    assert found.endswith(url) and bool(found) == bool(url)
    assert tool.plan(mmcv, {})['MMCV_CXX_STD'] == (
        'c++20' if version.startswith('2.14') else 'c++17')


def test_headers_the_toolkit_lacks_come_from_nvidia_wheels(
        tool, machine, monkeypatch, tmp_path):
    home = Path(machine(gpus=[(9, 0)]))
    assert tool.plan('2.1.0', {})['MMCV_CPATH'] == ''
    (home / 'include' / 'cusparse.h').unlink()
    site = tmp_path / 'site'
    headers = site / 'nvidia' / 'cu13' / 'include'
    headers.mkdir(parents=True)
    (headers / 'cusparse.h').touch()
    monkeypatch.setattr(torch, '__path__', [str(site / 'torch')])
    assert tool.plan('2.1.0', {})['MMCV_CPATH'] == str(headers)


@pytest.mark.slow
def test_prints_shell_assignments():
    out = subprocess.run([sys.executable, str(TOOL), '2.1.0'],
                         capture_output=True,
                         text=True,
                         check=True).stdout
    assignments = dict(line.split('=', 1) for line in out.splitlines())
    assert set(assignments) == {
        'MMCV_OPS', 'MMCV_KEY', 'MMCV_CUDA_HOME', 'MMCV_ARCHS', 'MMCV_CPATH',
        'MMCV_CXX_STD', 'MMCV_PREBUILT_URL', 'MMCV_REASON'
    }
    env = subprocess.run(['bash', '-c', out + '\necho "$MMCV_KEY"'],
                         capture_output=True,
                         text=True,
                         check=True).stdout.strip()
    assert env.startswith('mmcv-2.1.0_torch-')
