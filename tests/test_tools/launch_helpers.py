# Copyright (c) mmdetco contributors. All rights reserved.
"""Shared by the tests that train the demo config through the launchers
(``tools/dist_train.sh``, ``tools/slurm_train.sh``) in real processes: the
command, its environment and what the runs wrote."""
import json
import os
import os.path as osp
import subprocess
import sys

import torch

from mmdetco_demo import data_root_options
from ..conftest import ROOT
# iteration -> logged loss, over every json log of a run
from ..test_engine.test_loops.test_resumable_loop import losses  # noqa: F401

CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
#: the stand-ins for slurm's srun and scontrol
FAKE_SLURM = osp.join(ROOT, 'tests', 'test_tools', 'fake_slurm')
#: the launchers' variables, left out of the tests' environment
LAUNCH_VARIABLES = ('PORT', 'MASTER_ADDR', 'MASTER_PORT', 'NNODES',
                    'NODE_RANK', 'GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK',
                    'SRUN_ARGS')


def rank_dump_config(tmp_path) -> str:
    """The demo config with the gloo backend, ``RankStateDumpHook``
    (``WORK_DIR/rank{R}.pth`` from every process) and ``RankEnvDumpHook``
    (``WORK_DIR/rank{R}_env.json``)."""
    config = tmp_path / 'config.py'
    config.write_text(f"_base_ = '{ROOT}/{CONFIG}'\n"
                      "custom_imports = dict(imports=['mmdetco', "
                      "'tests.test_tools.rank_state_hook'])\n"
                      "custom_hooks = _base_.custom_hooks + "
                      "[dict(type='RankStateDumpHook'), "
                      "dict(type='RankEnvDumpHook')]\n"
                      "env_cfg = dict(dist_cfg=dict(backend='gloo'))\n")
    return str(config)


def train_options(data_root, batch, epochs, workers=0):
    """The ``--cfg-options`` values of a tiny demo run: ``batch`` images a
    process, ``workers`` data-loader workers (not persistent, as the demo
    config's), ``epochs`` epochs, every iteration logged."""
    return [
        *data_root_options(CONFIG, data_root),
        f'train_dataloader.batch_size={batch}',
        f'train_dataloader.num_workers={workers}', 'model.queue_len=32',
        f'train_cfg.max_epochs={epochs}', 'default_hooks.logger.interval=1'
    ]


def launch_env(**env) -> dict:
    """This environment without the launchers' variables, with ``env``
    added, this interpreter as ``PYTHON`` and the checkout on the path."""
    environ = {
        k: v
        for k, v in os.environ.items() if k not in LAUNCH_VARIABLES
    }
    environ.update(PYTHON=sys.executable, PYTHONPATH=ROOT)
    environ.update(env)
    return environ


def run(command, env, timeout=280) -> str:
    """Run ``command`` in the checkout; its output, which it must end
    with status 0."""
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    assert result.returncode == 0, result.stdout[-5000:]
    return result.stdout


def rank_states(work_dir, world_size):
    """What ``RankStateDumpHook`` saved, a dict per process."""
    return [
        torch.load(osp.join(str(work_dir), f'rank{r}.pth'))
        for r in range(world_size)
    ]


def rank_envs(work_dir, world_size):
    """What ``RankEnvDumpHook`` saved, a dict per process."""
    envs = []
    for r in range(world_size):
        with open(osp.join(str(work_dir), f'rank{r}_env.json')) as f:
            envs.append(json.load(f))
    return envs
