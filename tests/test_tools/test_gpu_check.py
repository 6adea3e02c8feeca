# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/gpu_check.py``: the reduced check on a CPU, and
the CUDA decisions with a GPU faked."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ..conftest import ROOT

REPO = Path(ROOT)
TOOL = REPO / 'tools' / 'analysis_tools' / 'gpu_check.py'


@pytest.fixture
def tool(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOL.parent))
    spec = importlib.util.spec_from_file_location('gpu_check', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reduced_check_runs_every_path_on_cpu():
    """Without a GPU: ops, DetCo (fp32, bf16, channels_last) and Mask R-CNN
    FPN train on the CPU, reported in one JSON line."""
    run = subprocess.run([sys.executable, str(TOOL), '--device', 'cpu'],
                         capture_output=True,
                         text=True,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result['pass'] and result['failures'] == []
    assert result['reduced'] and result['device'] == 'cpu'
    assert result['ops']['device'] == 'cpu'
    for name in ('detco_fp32', 'detco_bf16', 'detco_bf16_channels_last',
                 'mask_rcnn_fpn'):
        assert result[name]['img_s'] > 0, name
    assert 'gpu_check PASS' in run.stderr


def test_a_visible_gpu_is_the_default_device(tool, monkeypatch):
    seen = []
    monkeypatch.setattr(
        tool, 'run_checks', lambda device, ops_only: seen.append(
            (device, ops_only)) or {'pass': True, 'failures': []})
    assert tool.main(['--ops-only']) == 0
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert tool.main([]) == 0
    assert seen == [('cpu', True), ('cuda', False)]


def test_mmcv_without_cuda_ops_fails_on_a_gpu_with_the_fix(
        tool, monkeypatch, capsys):
    """The check setup_env.sh runs: CPU-only mmcv ops on a GPU machine
    stop the set-up, saying how to rebuild."""
    import mmcv.ops
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version',
                        lambda: 'not available')
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda: 'H200')
    assert tool.main(['--device', 'cuda', '--ops-only']) == 1
    result = json.loads(capsys.readouterr().out)
    assert not result['pass'] and result['device'] == 'H200'
    assert 'FORCE_CUDA=1 bash tools/setup_env.sh' in result['failures'][0]
    assert 'mim install mmcv==' in result['failures'][0]


def test_one_failure_fails_the_check_and_the_others_still_run(
        tool, monkeypatch):
    monkeypatch.setattr(tool, 'check_detco', lambda *a: {'img_s': 1.0})

    def diverge(*args):
        raise FloatingPointError('Mask R-CNN loss nan')

    monkeypatch.setattr(tool, 'check_mask_rcnn', diverge)
    result = tool.run_checks('cpu', ops_only=False)
    assert not result['pass']
    assert result['failures'] == [
        'mask_rcnn_fpn: FloatingPointError: Mask R-CNN loss nan'
    ]
    assert result['detco_bf16'] == {'img_s': 1.0} and 'ops' in result
