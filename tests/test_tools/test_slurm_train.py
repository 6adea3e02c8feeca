# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/slurm_train.sh`` through stand-ins for slurm's ``srun`` and
``scontrol`` (``tests/test_tools/fake_slurm``), and the process-group
environment a slurm task gets (:func:`slurm_dist_env`).

What is emulated: srun starts the tasks on this machine with the variables
slurm sets (nodes are the loopback addresses 127.0.0.1, 127.0.0.2, ...)
and one GPU per task (``CUDA_VISIBLE_DEVICES=<local id>``); there is no
GPU, so a ``sitecustomize`` on the tasks' path makes
``torch.cuda.device_count()`` count ``CUDA_VISIBLE_DEVICES``, the number of
GPUs a task would see, and the processes train on CPU with gloo. What only
a GPU run shows: ``torch.cuda.set_device(LOCAL_RANK)`` and NCCL on the
device each task sees, and slurm's own placement of tasks and GPUs."""
import os
import os.path as osp

import pytest

from mmdetco.utils.slurm_env import PORT_BASE, PORTS, slurm_dist_env
from mmdetco_demo import generate_demo_data
from ..conftest import free_port
from .launch_helpers import (FAKE_SLURM, launch_env, rank_dump_config,
                             rank_envs, rank_states, run, train_options)

BATCH = 4
#: a task's GPUs, as many as CUDA_VISIBLE_DEVICES names
SITECUSTOMIZE = '''
import os
try:
    import torch
except ImportError:  # not the training interpreter
    pass
else:
    torch.cuda.device_count = lambda: len(
        os.environ['CUDA_VISIBLE_DEVICES'].split(','))
'''


def task(procid, localid, **env):
    """The environment of slurm task ``procid`` of 2, on 2 nodes."""
    environ = dict(
        SLURM_PROCID=str(procid),
        SLURM_LOCALID=str(localid),
        SLURM_NTASKS='2',
        SLURM_NODELIST='127.0.0.[1-2]',
        SLURM_JOB_ID='123456')
    environ.update(env)
    return environ


@pytest.fixture
def fake_slurm_path(monkeypatch):
    monkeypatch.setenv('PATH', f'{FAKE_SLURM}{os.pathsep}{os.environ["PATH"]}')


@pytest.mark.stack
@pytest.mark.slow
def test_one_gpu_per_task_is_device_0(fake_slurm_path):
    # every GPU of the node visible: the local id; its own only: device 0
    assert slurm_dist_env(task(3, 3), device_count=8)['LOCAL_RANK'] == '3'
    assert slurm_dist_env(task(3, 3), device_count=1)['LOCAL_RANK'] == '0'
    assert slurm_dist_env(task(5, 1), device_count=2)['LOCAL_RANK'] == '1'
    assert slurm_dist_env(task(3, 3), device_count=0)['LOCAL_RANK'] == '3'


@pytest.mark.stack
@pytest.mark.slow
def test_rank_address_and_port(fake_slurm_path):
    env = slurm_dist_env(task(1, 0), device_count=1)
    assert env == dict(
        RANK='1',
        LOCAL_RANK='0',
        WORLD_SIZE='2',
        MASTER_ADDR='127.0.0.1',  # the first node, by scontrol
        MASTER_PORT=str(PORT_BASE + 123456 % PORTS))
    # two jobs sharing a node: two ports
    other = slurm_dist_env(task(1, 0, SLURM_JOB_ID='123457'), 1)
    assert other['MASTER_PORT'] != env['MASTER_PORT']
    # set ones are kept
    env = slurm_dist_env(
        task(1, 0, MASTER_ADDR='node7', MASTER_PORT='2950'), 1)
    assert (env['MASTER_ADDR'], env['MASTER_PORT']) == ('node7', '2950')


@pytest.mark.slow
def test_missing_variables_are_named(monkeypatch):
    with pytest.raises(RuntimeError, match='SLURM_PROCID, SLURM_NTASKS'):
        slurm_dist_env(dict(SLURM_NODELIST='a'), 1)
    monkeypatch.setenv('PATH', '/nonexistent')
    with pytest.raises(RuntimeError, match='set MASTER_ADDR'):
        slurm_dist_env(task(0, 0), 1)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """16 pre-training images: 2 iterations of 2 x 4 per epoch."""
    root = str(tmp_path_factory.mktemp('slurm') / 'data')
    generate_demo_data(root, num_pretrain=16, num_train=2, num_val=2, size=96)
    return root


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize('gpus_per_node', [2, 1])
def test_slurm_train_sh_gives_each_task_its_rank_and_device(
        tmp_path, data_root, gpus_per_node):
    """2 tasks on 1 node (local ids 0, 1) or on 2 nodes (local id 0 each),
    one GPU each: ranks 0 and 1 of 2, both on their device 0, the
    address of the first node, the port of PORT, CPUS_PER_TASK."""
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text(SITECUSTOMIZE)
    work_dir = tmp_path / 'work'
    port = str(free_port())
    env = launch_env(
        GPUS='2',
        GPUS_PER_NODE=str(gpus_per_node),
        CPUS_PER_TASK='3',
        PORT=port,
        PATH=f'{FAKE_SLURM}{os.pathsep}{os.environ["PATH"]}')
    env['PYTHONPATH'] += f'{os.pathsep}{site}'
    output = run([
        'bash', 'tools/slurm_train.sh', 'partition', 'detco',
        rank_dump_config(tmp_path),
        str(work_dir), '--cfg-options', *train_options(data_root, BATCH, 1)
    ], env)
    assert f'global batch of {2 * BATCH} = {BATCH} x 2 processes' in output
    envs = rank_envs(work_dir, 2)
    assert [(e['rank'], e['world_size'], e['LOCAL_RANK'],
             e['CUDA_VISIBLE_DEVICES'], e['SLURM_LOCALID'])
            for e in envs] == [(0, 2, '0', '0', '0'),
                               (1, 2, '0', str(1 % gpus_per_node),
                                str(1 % gpus_per_node))]
    for e in envs:
        assert (e['MASTER_ADDR'], e['MASTER_PORT']) == ('127.0.0.1', port)
        assert e['SLURM_CPUS_PER_TASK'] == '3'
    states = rank_states(work_dir, 2)
    assert states[0]['queue_ptr'].item() == 2 * 2 * BATCH
    assert osp.exists(work_dir / 'epoch_1.pth')
