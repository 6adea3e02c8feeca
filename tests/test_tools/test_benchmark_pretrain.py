# Copyright (c) mmdetco contributors. All rights reserved.
import json
import subprocess
import sys

import pytest

from ..conftest import ROOT


@pytest.mark.slow
def test_benchmark_prints_the_ratios_as_json():
    """The benchmark runs both models and all pipelines (shrunk sizes) and
    its last line is the JSON the docs describe."""
    cmd = [
        sys.executable, 'tools/analysis_tools/benchmark_pretrain.py',
        '--batch-size', '2', '--iters', '1', '--warmup', '0', '--global-size',
        '32', '--crop-size', '48', '--patch-size', '16', '--image-size', '120',
        '90', '--samples', '3', '--decode', '--gpu-aug', '--amp', 'bf16'
    ]
    result = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['pixel_ratio'] == 1 + 9 * 16**2 / 32**2
    for key in ('step_ratio', 'pipeline_ratio', 'pipeline_ratio_gpu_aug',
                'pipeline_ratio_same_ops'):
        assert report[key] > 0, key
    assert set(report['step_s']) == {'detco', 'mocov2'}
    assert set(report['pipeline_ms_per_sample']) == {
        'mocov2', 'mocov2_same_ops', 'detco', 'detco_gpu_aug'
    }
    # ResNet-18 local MLPs: 4 levels of 9 C (9 patches) -> C -> 128
    assert report['local_mlp_params'] == sum(9 * c * c + c + c * 128 + 128
                                             for c in (64, 128, 256, 512))
    assert report['device'].startswith('cpu')
    assert report['peak_memory_mb']['process'] > 0


@pytest.mark.slow
def test_fp16_on_the_cpu_is_refused():
    result = subprocess.run([
        sys.executable, 'tools/analysis_tools/benchmark_pretrain.py', '--amp',
        'fp16', '--device', 'cpu'
    ],
                            cwd=ROOT,
                            capture_output=True,
                            text=True,
                            timeout=280)
    assert result.returncode != 0 and 'needs a GPU' in result.stderr
