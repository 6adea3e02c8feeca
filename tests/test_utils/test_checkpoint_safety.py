# Copyright (c) mmdetco contributors. All rights reserved.
"""A checkpoint whose unpickling would run code is refused by every entry
point that reads checkpoints, and the code never runs."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmdetco_demo import data_root_options, generate_demo_data
from ..conftest import ROOT

CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
CONVERTERS = ('extract_backbone_weights.py', 'convert_to_torchvision.py',
              'convert_to_detectron2.py')


class Exploit:
    """Unpickling it creates the file ``marker`` (by calling ``open``)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


@pytest.fixture(scope='module')
def crafted(tmp_path_factory):
    """(checkpoint, marker): a DetCo-looking checkpoint with the exploit."""
    root = tmp_path_factory.mktemp('crafted')
    marker = str(root / 'code_ran')
    path = str(root / 'epoch_1.pth')
    torch.save(
        dict(
            meta=dict(epoch=1, iter=2),
            state_dict={'backbone.conv1.weight': torch.zeros(64, 3, 7, 7)},
            exploit=Exploit(marker)), path)
    generate_demo_data(
        str(root / 'data'), num_pretrain=8, num_train=2, num_val=2, size=96)
    return path, marker, str(root / 'data')


def run(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, *args],
                            cwd=ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=280)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize('entry',
                         ['resume', 'load_from', 'Pretrained', *CONVERTERS])
def test_crafted_checkpoint_is_refused(entry, crafted, tmp_path):
    path, marker, data_root = crafted
    if entry in CONVERTERS:
        args = [
            f'tools/model_converters/{entry}', path,
            str(tmp_path / 'out.pth')
        ]
    else:
        options = dict(
            resume=['--resume', path],
            load_from=['--cfg-options', f'load_from={path}'],
            Pretrained=[
                '--cfg-options', 'model.backbone.init_cfg.type=Pretrained',
                f'model.backbone.init_cfg.checkpoint={path}'
            ])[entry]
        args = [
            'tools/train.py', CONFIG, '--work-dir',
            str(tmp_path / 'work'), *options, '--cfg-options',
            *data_root_options(CONFIG, data_root),
            'train_dataloader.num_workers=0', 'train_dataloader.batch_size=4',
            'model.queue_len=16'
        ]
    returncode, output = run(args, tmp_path)
    assert returncode != 0
    assert 'weights_only' in output.replace('Weights only', 'weights_only')
    assert 'Unsupported global: GLOBAL io.open' in output  # names it
    assert not osp.exists(marker), 'the checkpoint ran code'
    assert not glob.glob(str(tmp_path / 'work' / '*.pth'))


def test_nothing_turns_weights_only_off():
    offenders = []
    for folder in ('mmdetco', 'tools', 'configs', 'tests'):
        for path in glob.glob(
                osp.join(ROOT, folder, '**', '*.py'), recursive=True):
            with open(path) as f:
                text = f.read().replace(' ', '')
            if 'weights_only=False' in text and path != __file__:
                offenders.append(path)
    assert offenders == []
