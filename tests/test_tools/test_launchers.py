# Copyright (c) mmdetco contributors. All rights reserved.
"""Every launcher trains the same run: ``tools/train.py``, MMPretrain's own
``tools/train.py`` (what ``mim train mmpretrain CONFIG`` runs) and
``Runner.from_cfg`` in this process give identical losses and weights, for
the demo config and its ``*_gpuaug.py`` variant (on CPU tensors). And
``tools/dist_train.sh`` picks a free port on one node, and needs the address
and the port on several."""
import argparse
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmdetco_demo import data_root_options, generate_demo_data, read_log
from ..conftest import ROOT
from .launch_helpers import (launch_env, rank_dump_config, rank_states,
                             train_options)
from .test_train import MMPRETRAIN_TRAIN

CONFIGS = ('configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py',
           'configs/detco/detco_resnet18_1xb16-coslr-8e_demo_gpuaug.py')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """8 pre-training images: 2 iterations of 4 per epoch."""
    root = str(tmp_path_factory.mktemp('launchers') / 'data')
    generate_demo_data(root, num_pretrain=8, num_train=2, num_val=2, size=96)
    return root


def options(config, data_root):
    """The ``--cfg-options`` of a 2-iteration run of ``config``."""
    return [
        *data_root_options(config, data_root), 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'model.queue_len=16',
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1'
    ]


def run_script(script, config, work_dir, data_root):
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([
        sys.executable, script, config, '--work-dir', work_dir,
        '--cfg-options', *options(config, data_root)
    ],
                            cwd=ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=280)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]


def run_in_process(config, work_dir, data_root):
    cfg = Config.fromfile(osp.join(ROOT, config))
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg.merge_from_dict(
        parser.parse_args(['--cfg-options',
                           *options(config, data_root)]).cfg_options)
    cfg.work_dir = work_dir
    Runner.from_cfg(cfg).train()


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS)
def test_launchers_train_the_same_run(config, data_root, tmp_path):
    work_dirs = {
        name: str(tmp_path / name)
        for name in ('tools', 'mmpretrain', 'runner')
    }
    run_script('tools/train.py', config, work_dirs['tools'], data_root)
    run_script(MMPRETRAIN_TRAIN, config, work_dirs['mmpretrain'], data_root)
    run_in_process(config, work_dirs['runner'], data_root)

    reference = None
    for name, work_dir in work_dirs.items():
        state = torch.load(
            osp.join(work_dir, 'epoch_1.pth'),
            map_location='cpu')['state_dict']
        losses = read_log(work_dir, 'loss')
        saved = Config.fromfile(
            next(
                osp.join(root, 'config.py')
                for root, _, files in os.walk(work_dir)
                if 'config.py' in files))
        assert len(losses) == 2, name
        assert saved.runner_type == 'CPUDistributedRunner'
        if config.endswith('_gpuaug.py'):
            assert saved.data_preprocessor.augmentation is not None
        if reference is None:
            reference = state, losses
            continue
        assert losses == pytest.approx(reference[1], rel=1e-6), name
        assert state.keys() == reference[0].keys()
        for key, value in state.items():
            torch.testing.assert_close(value, reference[0][key], msg=key)


@pytest.mark.stack
@pytest.mark.slow
def test_single_node_launches_share_a_machine(tmp_path, data_root):
    """Without PORT, tools/dist_train.sh takes a free port: two 2-process
    runs at once, while port 29500 (torch's default) is taken, both
    train."""
    config = rank_dump_config(tmp_path)
    with socket.socket() as taken:
        try:
            taken.bind(('127.0.0.1', 29500))
            taken.listen()
        except OSError:
            pass  # taken already
        runs = [
            subprocess.Popen([
                'bash', 'tools/dist_train.sh', config, '2', '--work-dir',
                str(tmp_path / f'work{i}'), '--cfg-options',
                *train_options(data_root, batch=2, epochs=1)
            ],
                             cwd=ROOT,
                             env=launch_env(),
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             text=True) for i in (0, 1)
        ]
        outputs = [run.communicate(timeout=280)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output[-5000:]
    for i in (0, 1):
        assert len(rank_states(tmp_path / f'work{i}', 2)) == 2


@pytest.mark.slow
def test_multi_node_needs_the_address_and_the_port(tmp_path):
    """Several nodes without MASTER_ADDR or PORT stop before starting,
    naming both."""
    for env in (dict(MASTER_ADDR='10.0.0.1'), dict(PORT='29500')):
        result = subprocess.run(
            ['bash', 'tools/dist_train.sh', 'config.py', '1'],
            cwd=ROOT,
            env=launch_env(NNODES='2', NODE_RANK='1', **env),
            capture_output=True,
            text=True,
            timeout=60)
        assert result.returncode == 2
        assert 'NNODES=2 needs MASTER_ADDR' in result.stderr
        assert 'PORT' in result.stderr
