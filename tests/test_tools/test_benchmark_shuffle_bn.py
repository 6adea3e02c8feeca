# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/benchmark_shuffle_bn.py``: each process receives
about 1 / world size of the bytes MMPretrain's shuffle BN makes it receive,
counted on small tensors."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from ..conftest import ROOT

TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_shuffle_bn.py')
SHAPES = dict(
    batch_size=32,
    image_size=8,
    num_patches=2,
    patch_size=4,
    levels=2,
    feat_dim=8,
    steps=4)


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize('world_size', [2, 3])
def test_bytes_received_about_one_over_world_size(world_size):
    args = [f'--{k.replace("_", "-")}={v}' for k, v in SHAPES.items()]
    run = subprocess.run(
        [sys.executable, TOOL, f'--world-size={world_size}', *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.splitlines()[-1])
    n, others = SHAPES['batch_size'], world_size - 1
    # fp32 views and keys; int64 permutations, broadcast from rank 0
    views = 4 * 3 * (
        SHAPES['image_size']**2 +
        SHAPES['num_patches'] * SHAPES['patch_size']**2)
    keys = 4 * 2 * SHAPES['levels'] * SHAPES['feat_dim']
    for rank, received in enumerate(result['ranks']):
        assert received['identical']
        # MMPretrain's all-gathers: every sample of the other processes
        assert received['mmpretrain'] == others * n * (views + keys) + (
            rank > 0) * 2 * 8 * n * world_size
        assert abs(received['ratio'] - 1 / world_size) < 0.1
