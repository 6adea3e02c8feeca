# Copyright (c) mmdetco contributors. All rights reserved.
"""Training end to end, on generated images: a few iterations with
``tools/train.py``, a checkpoint, then a resume with MMPretrain's own
``tools/train.py`` (what ``mim train mmpretrain CONFIG`` runs), on
torch >= 2.6."""
import os
import os.path as osp
import subprocess
import sys

import mmpretrain
import pytest
import torch
from mmengine.config import Config

import mmdetco  # noqa: F401  (safe checkpoint loading)
from mmdetco_demo import data_root_options, generate_demo_data
from ..conftest import ROOT

CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
MMPRETRAIN_TRAIN = osp.join(
    osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'train.py')


@pytest.fixture
def data_root(tmp_path):
    """8 pre-training images (and the kNN monitor's objects) of the demo
    data."""
    root = str(tmp_path / 'data')
    generate_demo_data(root, num_pretrain=8, num_train=2, num_val=2, size=128)
    return root


def train(launcher, work_dir, data_root, *args):
    """Run a training launcher on the demo config shrunk for tests."""
    cmd = [
        *launcher, '--work-dir', work_dir, *args, '--cfg-options',
        *data_root_options(CONFIG, data_root), 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'model.queue_len=16'
    ]
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


def load_state(work_dir, name):
    return torch.load(osp.join(work_dir, name), map_location='cpu')


@pytest.mark.slow
def test_train_then_resume(tmp_path, data_root):
    work_dir = str(tmp_path / 'work')
    log = train([sys.executable, 'tools/train.py', CONFIG], work_dir,
                data_root, '--cfg-options', 'train_cfg.max_epochs=1')
    assert 'loss_lg_res5' in log
    # the health scalars and the kNN monitor are logged
    assert 'spread_local_res5' in log and 'acc_lg_res5' in log
    assert 'knn/top1' in log
    state = load_state(work_dir, 'epoch_1.pth')['state_dict']
    assert state['queue_ptr'].item() == 8  # 2 iterations x 4 keys
    assert state['queue_global'].shape == (4, 128, 16)
    assert any(k.startswith('encoder_k.module.0.') for k in state)

    log = train([sys.executable, MMPRETRAIN_TRAIN, CONFIG], work_dir,
                data_root, '--resume', '--cfg-options',
                'train_cfg.max_epochs=2')
    assert 'resumed epoch: 1, iter: 2' in log
    resumed = load_state(work_dir, 'epoch_2.pth')
    assert resumed['meta']['epoch'] == 2
    assert resumed['state_dict']['queue_ptr'].item() == 0  # wrapped


@pytest.mark.slow
def test_diverging_run_stops_naming_the_terms_and_keeps_its_state(
        tmp_path, data_root):
    """An absurd learning rate makes the loss non-finite within a few
    steps: training stops with the terms named and the last good state
    saved, and that checkpoint holds finite weights. The training loop of
    the config does it, so MMPretrain's own script gets it too."""
    work_dir = tmp_path / 'work'
    with pytest.raises(AssertionError) as failed:
        train([sys.executable, MMPRETRAIN_TRAIN, CONFIG], str(work_dir),
              data_root, '--cfg-options', 'train_cfg.max_epochs=20',
              'optim_wrapper.optimizer.lr=1e30', 'param_scheduler=[]')
    output = str(failed.value)
    assert 'FloatingPointError: DetCo: the loss is' in output
    assert 'non-finite terms: loss_' in output
    saved = list(work_dir.glob('diverged_iter_*.pth'))
    assert len(saved) == 1 and f'the last good state is {saved[0]}' in output
    state = torch.load(saved[0], map_location='cpu')['state_dict']
    assert all(
        torch.isfinite(v).all() for v in state.values()
        if v.is_floating_point())


@pytest.mark.stack
@pytest.mark.slow
def test_train_with_gpu_aug(tmp_path, data_root):
    """``--gpu-aug`` trains with the colour, greyscale and blur moved from
    the pipeline to the data preprocessor (the config the run saved)."""
    work_dir = tmp_path / 'work'
    log = train([sys.executable, 'tools/train.py', CONFIG], str(work_dir),
                data_root, '--gpu-aug', '--cfg-options',
                'train_cfg.max_epochs=1')
    assert 'loss_lg_res5' in log
    saved = Config.fromfile(str(next(work_dir.glob('*/vis_data/config.py'))))
    assert saved.data_preprocessor.type == 'DetCoDataPreprocessor'
    assert set(saved.data_preprocessor.augmentation) == {
        'color_jitter', 'grayscale', 'blur'
    }
    views = saved.train_dataloader.dataset.pipeline[1]
    assert [t['type'] for t in views['global_pipeline']
            ] == ['FastRandomResizedCrop', 'RandomFlip']
    assert load_state(str(work_dir), 'epoch_1.pth')['meta']['epoch'] == 1


@pytest.mark.slow
def test_gpu_aug_without_a_variant_names_the_config(tmp_path):
    """``--gpu-aug`` on a config without a ``*_gpuaug.py`` variant stops
    before training, naming the config and those that have a variant."""
    config = 'configs/detco/detco_resnet50_8xb32-coslr-100e_in1k.py'
    result = subprocess.run([
        sys.executable, 'tools/train.py', config, '--gpu-aug', '--work-dir',
        str(tmp_path)
    ],
                            cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=ROOT),
                            capture_output=True,
                            text=True,
                            timeout=280)
    assert result.returncode != 0
    error = result.stderr.strip().split('\n')
    message = next(
        line for line in error if line.startswith('FileNotFoundError: '))
    assert f'{config} has no GPU-augmentation variant' in message
    assert 'detco_resnet50_8xb32-coslr-200e_in1k.py' in message
    assert not list(tmp_path.iterdir())
