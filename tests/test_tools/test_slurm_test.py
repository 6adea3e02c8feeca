# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/slurm_test.sh``: what it gives to srun (a fake that records its
arguments)."""
import json
import os
import subprocess
import sys

import pytest

from ..conftest import ROOT


def srun_args(tmp_path, *args, **env):
    """The arguments ``tools/slurm_test.sh args`` gives to srun."""
    out = tmp_path / 'argv.json'
    fake = tmp_path / 'srun'
    fake.write_text(f'#!{sys.executable}\nimport json, sys\n'
                    f'json.dump(sys.argv[1:], open({str(out)!r}, "w"))\n')
    fake.chmod(0o755)
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS')
    }
    environ.update(env, PATH=f'{tmp_path}{os.pathsep}{os.environ["PATH"]}')
    result = subprocess.run(['bash', 'tools/slurm_test.sh', *args],
                            cwd=ROOT,
                            env=environ,
                            capture_output=True,
                            text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


@pytest.mark.slow
def test_srun_runs_test_py_with_the_slurm_launcher(tmp_path):
    argv = srun_args(tmp_path, 'part', 'job', 'c.py', 'c.pth', '--out',
                     'r.pkl')
    assert argv[:2] == ['-p', 'part']
    assert '--job-name=job' in argv and '--ntasks=8' in argv
    assert '--gres=gpu:8' in argv and '--ntasks-per-node=8' in argv
    script = argv.index('-u') + 1
    assert argv[script:] == [
        'tools/test.py', 'c.py', 'c.pth', '--launcher=slurm', '--out', 'r.pkl'
    ]


@pytest.mark.slow
def test_gpus_from_the_environment(tmp_path):
    argv = srun_args(
        tmp_path,
        'part',
        'job',
        'c.py',
        'c.pth',
        GPUS='4',
        GPUS_PER_NODE='2',
        SRUN_ARGS='--quotatype=auto')
    assert '--ntasks=4' in argv and '--ntasks-per-node=2' in argv
    assert '--gres=gpu:2' in argv and '--quotatype=auto' in argv
