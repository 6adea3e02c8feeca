# Copyright (c) mmdetco contributors. All rights reserved.
"""The DDP tier: every pre-training config trains under
``tools/dist_train.sh CONFIG 2`` (2 CPU processes, gloo), with its own
model, neck, head, loss, views, hooks and data loader settings.

What is overridden, and why (``--cfg-options``):

- the data roots (``mmdetco_demo.data_root_options``): a tiny generated
  ImageNet layout (``tools/dataset_converters/generate_tiny_imagenet.py``)
  for the ImageNet configs, tiny demo data for the demo ones;
- ``env_cfg.dist_cfg.backend=gloo``: no NCCL on a CPU;
- ``train_dataloader.batch_size``: :data:`BATCH` per process (the least
  ``DetCoHealthHook``'s spread takes), and ``train_cfg.max_epochs=1`` over
  :data:`ITERS` iterations of data;
- ``num_workers`` of every data loader capped at :data:`MAX_WORKERS` (the
  ImageNet configs ask 8 per process; 2 cores here), kept > 0 where the
  config has workers, with its ``persistent_workers``;
- ``default_hooks.logger.interval=1``: every iteration is logged;
- ``default_hooks.checkpoint.save_last=False``: no end-of-run checkpoint
  (1.2 GB for ResNet-50; checkpoints written and resumed under DDP are
  rehearsed by tests/test_tools/test_resume_rehearsals.py).

``make test-cluster`` runs two launches at a time (``pytest -n 2``): a
launch leaves the cores idle while its processes start and meet.
"""
import contextlib
import glob
import os
import os.path as osp
import re
import subprocess
import sys

import psutil
import pytest
from mmengine.config import Config

from mmdetco_demo import data_root_options, generate_demo_data
from ..conftest import ROOT, load_tool

#: images per process per iteration, iterations, loader workers at most
BATCH, ITERS, MAX_WORKERS = 2, 3, 1
#: seconds one launch may take
TIMEOUT = 300
#: GB of free memory a config's 2 processes need, where more than a 2-core
#: 24 GB machine has: the 9 x C local MLPs are 452 M parameters (1.8 GB),
#: held 4 times a process (weights, key encoder, gradients, momentum); OOM
#: killed at 7.7 GB a process on 24 GB. It trains in one process in
#: tests/test_ablations.py.
MEMORY_GB = {
    'configs/detco/ablations/detco-localhid9c_resnet50_8xb32-coslr-100e_in1k'
    '.py': 26
}
CONFIGS = sorted(
    osp.relpath(path, ROOT) for pattern in (
        'configs/detco/*.py', 'configs/detco/ablations/*.py',
        'configs/mocov2/*_demo.py') for path in glob.glob(
            osp.join(ROOT, pattern)))


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory):
    """``{dataset type: data root}``: ``ITERS`` iterations of 2 processes x
    ``BATCH`` images each."""
    root = tmp_path_factory.mktemp('ddp_tier')
    num_images = ITERS * 2 * BATCH
    load_tool('tools/dataset_converters/generate_tiny_imagenet.py'
              ).generate_tiny_imagenet(
                  str(root / 'imagenet'),
                  num_classes=2,
                  train_per_class=num_images // 2,
                  val_per_class=2,
                  size=64)
    generate_demo_data(
        str(root / 'demo'),
        num_pretrain=num_images,
        num_train=2,
        num_val=2,
        size=96)
    return dict(
        ImageNet=str(root / 'imagenet'), CustomDataset=str(root / 'demo'))


def worker_options(cfg: Config):
    """``num_workers`` capped at ``MAX_WORKERS`` for every data loader of
    ``cfg``: the training one and those of its hooks."""
    loaders = [('train_dataloader', cfg.train_dataloader)]
    for i, hook in enumerate(cfg.get('custom_hooks', [])):
        for key in ('dataloader', 'query_dataloader'):
            if hook.get(key) is not None:
                loaders.append((f'custom_hooks.{i}.{key}', hook[key]))
    return [
        f'{name}.num_workers={MAX_WORKERS}' for name, loader in loaders
        if loader.get('num_workers', 0) > MAX_WORKERS
    ]


def launch(config: str, data_root: str, work_dir: str):
    """``tools/dist_train.sh CONFIG 2``; the return code and the output.
    A launch past ``TIMEOUT`` is killed with all its processes (the
    training processes run in sessions of their own)."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    command = [
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'), config, '2', '--work-dir',
        work_dir, '--cfg-options', *data_root_options(config, data_root),
        'env_cfg.dist_cfg.backend=gloo',
        f'train_dataloader.batch_size={BATCH}',
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.save_last=False',
        *worker_options(cfg)
    ]
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop('PORT', None)  # a free port of its own (tools/misc/dist_launch.sh)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        launcher = psutil.Process(process.pid)
        for child in [*launcher.children(recursive=True), launcher]:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        output, _ = process.communicate()
        output += f'\n[killed after {TIMEOUT} s]'
    return process.returncode, output


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.parametrize('config', CONFIGS, ids=CONFIGS)
def test_config_trains_under_ddp(config, data_roots, tmp_path):
    need, free = MEMORY_GB.get(config, 0), psutil.virtual_memory().available
    if free < need * 2**30:
        pytest.skip(f'{config} needs {need} GB of free memory for 2 '
                    f'processes; this machine has {free / 2**30:.0f} GB')
    cfg = Config.fromfile(osp.join(ROOT, config))
    dataset = cfg.train_dataloader.dataset  # SampleSeededDataset: inside
    data_root = data_roots[dataset.get('dataset_type', dataset.type)]
    work_dir = str(tmp_path / 'work')
    returncode, output = launch(config, data_root, work_dir)
    assert returncode == 0, f'{config} failed under DDP:\n{output[-6000:]}'
    (log, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log) as f:
        text = f.read()
    assert 'Distributed training: True' in text, config
    assert f'global batch of {2 * BATCH} = {BATCH} x 2 processes' in text, \
        config
    # every iteration of the epoch was trained, with a finite loss
    steps = re.findall(r'Epoch\(train\) +\[1\]\[ *(\d+)/\d+\].* loss: (\S+)',
                       text)
    assert [int(s) for s, _ in steps] == list(range(1, ITERS + 1)), \
        f'{config}: {steps}'
    assert all(loss != 'nan' for _, loss in steps), f'{config}: {steps}'
