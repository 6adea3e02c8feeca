# Copyright (c) mmdetco contributors. All rights reserved.
"""A resumed run is the run that would have happened: 2 + 2 epochs, and a
run pre-empted by SIGTERM then resumed, end in exactly the state of 4
straight epochs (CPU, deterministic, data-loader workers 0)."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

import mmdetco  # noqa: F401  (safe checkpoint loading)
from mmdetco.demo import data_root_options, generate_demo_data
from mmdetco.utils.training_log import find_logs, load_records
from ...conftest import ROOT

CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
EPOCHS = 4  # of 2 iterations: 8 images, batch 4


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('resume') / 'data')
    generate_demo_data(root, num_pretrain=8, num_train=2, num_val=2, size=96)
    return root


def bn_stats_every_epoch():
    """BackboneBNStatsHook re-estimates after every epoch: a run of 2
    epochs re-estimates after its last, the straight run then too."""
    hooks = Config.fromfile(osp.join(ROOT, CONFIG)).custom_hooks
    index = next(i for i, h in enumerate(hooks)
                 if h['type'] == 'BackboneBNStatsHook')
    return f'custom_hooks.{index}.interval=1'


def command(work_dir, data_root, epochs, *args):
    return [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), *args, '--cfg-options',
        *data_root_options(CONFIG, data_root), 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'model.queue_len=16',
        f'train_cfg.max_epochs={epochs}', 'randomness.deterministic=True',
        'default_hooks.logger.interval=1',
        bn_stats_every_epoch()
    ]


def train(work_dir, data_root, epochs, *args):
    result = subprocess.run(
        command(work_dir, data_root, epochs, *args),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]
    return result.stdout + result.stderr


def losses(work_dir):
    """iteration -> logged loss, over every json log of the run (none
    before the first is written)."""
    try:
        logs = find_logs(work_dir)
    except FileNotFoundError:
        return {}
    return {r['iter']: r['loss'] for r in load_records(logs, ['loss'])}


def assert_same_state(path_a, path_b):
    a, b = torch.load(path_a), torch.load(path_b)
    assert a['meta']['epoch'] == b['meta']['epoch'] == EPOCHS
    assert a['meta']['iter'] == b['meta']['iter'] == 2 * EPOCHS
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for name in a['state_dict']:  # both encoders, BN statistics, queues
        torch.testing.assert_close(
            a['state_dict'][name], b['state_dict'][name], msg=name)
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    assert state_a.keys() == state_b.keys() and state_a
    for key in state_a:
        torch.testing.assert_close(state_a[key]['momentum_buffer'],
                                   state_b[key]['momentum_buffer'])
    assert a['param_schedulers'] == b['param_schedulers']


@pytest.fixture(scope='module')
def straight(data_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('straight')
    train(work_dir, data_root, EPOCHS)
    return work_dir


def test_resume_at_an_epoch_is_exact(straight, data_root, tmp_path):
    train(tmp_path, data_root, EPOCHS // 2)
    log = train(tmp_path, data_root, EPOCHS, '--resume')
    assert f'resumed epoch: {EPOCHS // 2}' in log
    assert_same_state(straight / f'epoch_{EPOCHS}.pth',
                      tmp_path / f'epoch_{EPOCHS}.pth')
    logged, resumed = losses(str(straight)), losses(str(tmp_path))
    after = [i for i in logged if i > EPOCHS]  # logged after the resume
    assert after and [resumed[i] for i in after] == pytest.approx(
        [logged[i] for i in after], rel=1e-5)


def test_preempted_run_resumes_exactly(straight, data_root, tmp_path):
    process = subprocess.Popen(
        command(tmp_path, data_root, EPOCHS),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    # wait until iteration 2 of 8 is logged, then pre-empt
    deadline = time.time() + 300
    while time.time() < deadline and not any(2 in losses(d)
                                             for d in [str(tmp_path)]):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 0, output[-5000:]
    assert 'Pre-empted (SIGTERM) at iteration' in output
    with open(tmp_path / 'last_checkpoint') as f:
        checkpoint = f.read().strip()
    stopped = int(osp.basename(checkpoint)[len('iter_'):-len('.pth')])
    assert 2 <= stopped < 2 * EPOCHS
    assert not osp.exists(tmp_path / f'epoch_{EPOCHS}.pth')

    log = train(tmp_path, data_root, EPOCHS, '--resume')
    if stopped % 2:  # inside an epoch: its trained batch is not repeated
        assert 'skipping its first 1 batches' in log
    assert_same_state(straight / f'epoch_{EPOCHS}.pth',
                      tmp_path / f'epoch_{EPOCHS}.pth')
