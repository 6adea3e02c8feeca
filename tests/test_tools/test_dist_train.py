# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/dist_train.sh CONFIG 2`` on CPU (gloo): the Runner's
multi-process path with shuffle BN across the processes."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmdetco_demo import data_root_options, generate_demo_data
from ..conftest import ROOT
from .test_train import MMPRETRAIN_TRAIN

CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
BATCH, QUEUE, EPOCHS = 4, 64, 2


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """16 pre-training images: 2 iterations of 2 x 4 per epoch."""
    root = str(tmp_path_factory.mktemp('dist') / 'data')
    generate_demo_data(root, num_pretrain=16, num_train=2, num_val=2, size=96)
    return root


def dist_train(tmp_path, data_root, *options, port, script=None):
    """Run tools/dist_train.sh with 2 processes on a config that adds the
    per-process state dump; with ``script``, ``torch.distributed.run`` of
    that training script instead."""
    config = tmp_path / 'config.py'
    config.write_text(f"_base_ = '{ROOT}/{CONFIG}'\n"
                      "custom_imports = dict(imports=['mmdetco', "
                      "'tests.test_tools.rank_state_hook'])\n"
                      "custom_hooks = _base_.custom_hooks + "
                      "[dict(type='RankStateDumpHook')]\n")
    env = dict(
        os.environ, PYTHON=sys.executable, PORT=str(port), PYTHONPATH=ROOT)
    launcher = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'),
                str(config), '2'] if script is None else [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={port}', script, str(config), '--launcher', 'pytorch'
    ]
    return subprocess.run([
        *launcher, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *data_root_options(CONFIG, data_root),
        f'train_dataloader.batch_size={BATCH}',
        'train_dataloader.num_workers=0', f'model.queue_len={QUEUE}',
        f'train_cfg.max_epochs={EPOCHS}', 'default_hooks.logger.interval=1',
        *options
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=280)


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize('script,port', [(None, 29531),
                                         (MMPRETRAIN_TRAIN, 29534)])
def test_two_cpu_processes_train_in_step(data_root, tmp_path, script, port):
    """Through tools/dist_train.sh, and through torch.distributed.run with
    MMPretrain's own tools/train.py (the config's runner does the CPU
    set-up)."""
    result = dist_train(
        tmp_path,
        data_root,
        'env_cfg.dist_cfg.backend=gloo',
        port=port,
        script=script)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [
        torch.load(tmp_path / 'work' / f'rank{r}.pth')
        for r in (0, 1)
    ]
    # 2 epochs x 2 iterations x global batch 2 x 4 keys
    assert ranks[0]['queue_ptr'].item() == 2 * 2 * 2 * BATCH
    assert ranks[0].keys() == ranks[1].keys()
    names = set(ranks[0])
    assert {
        'queue_global', 'queue_local', 'backbone.conv1.weight',
        'encoder_k.module.0.conv1.weight'
    } <= names
    for name in names:
        torch.testing.assert_close(ranks[0][name], ranks[1][name], msg=name)
    log = '\n'.join(p.read_text() for p in (tmp_path / 'work').glob('*/*.log'))
    assert 'Distributed training: True' in log
    assert "'backend': 'gloo'" in log
    # the keys of both processes' data reach the queues
    assert f'global batch of {2 * BATCH} = {BATCH} x 2 processes' in log
    checkpoint = torch.load(tmp_path / 'work' / f'epoch_{EPOCHS}.pth')
    torch.testing.assert_close(checkpoint['state_dict']['queue_global'],
                               ranks[0]['queue_global'])


@pytest.mark.slow
def test_nccl_on_cpu_and_bad_queue_length_are_named(data_root, tmp_path):
    result = dist_train(tmp_path, data_root, port=29532)
    assert result.returncode != 0
    assert 'env_cfg.dist_cfg.backend=gloo' in result.stderr
    result = dist_train(
        tmp_path,
        data_root,
        'env_cfg.dist_cfg.backend=gloo',
        'model.queue_len=12',
        port=29533)
    assert result.returncode != 0
    assert ('`model.queue_len` (12) must be a multiple of the global batch '
            'size (8 = train_dataloader.batch_size 4 x 2 processes)'
            ) in result.stderr + result.stdout
