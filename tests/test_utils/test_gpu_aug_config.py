# Copyright (c) mmdetco contributors. All rights reserved.
"""``gpu_aug_config`` finds the ``*_gpuaug.py`` variant of a config, and
says which configs have one and how to write one when it does not exist."""
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmdetco.utils import gpu_aug_config
from ..conftest import ROOT

DETCO = osp.join(ROOT, 'configs', 'detco')
R50_200E = osp.join(DETCO, 'detco_resnet50_8xb32-coslr-200e_in1k.py')
R50_100E = osp.join(DETCO, 'detco_resnet50_8xb32-coslr-100e_in1k.py')


def test_variant_of_a_config_and_of_a_variant():
    variant = osp.join(DETCO, 'detco_resnet50_8xb32-coslr-200e_in1k_gpuaug.py')
    assert gpu_aug_config(R50_200E) == variant
    assert gpu_aug_config(variant) == variant


def test_missing_variant_names_the_config_and_those_that_have_one():
    with pytest.raises(FileNotFoundError) as error:
        gpu_aug_config(R50_100E)
    message = str(error.value)
    assert message.startswith(f'{R50_100E} has no GPU-augmentation variant '
                              f'{R50_100E[:-3]}_gpuaug.py')
    have = re.search(r'that have one: (.*?)\. ', message).group(1).split(', ')
    assert have == [
        'detco_resnet18_1xb16-coslr-8e_demo.py',
        'detco_resnet50_8xb32-coslr-200e_in1k.py'
    ]


def test_missing_config():
    with pytest.raises(FileNotFoundError, match='no such config: nothing.py'):
        gpu_aug_config('nothing.py')


def test_the_lines_the_error_gives_make_a_variant(tmp_path):
    """A config of another folder, without a variant: none is listed, and
    the lines of the message, written where it says, are one."""
    config = tmp_path / 'detco_100e.py'
    config.write_text(f'_base_ = {R50_100E!r}\n')
    with pytest.raises(FileNotFoundError) as error:
        gpu_aug_config(str(config))
    message = str(error.value)
    assert f'Configs of {tmp_path} that have one: none.' in message
    variant = tmp_path / 'detco_100e_gpuaug.py'
    lines = [line[4:] for line in message.split('\n') if line[:4] == ' ' * 4]
    assert f'To make one, write {variant} with the lines' in message
    variant.write_text('\n'.join(lines) + '\n')

    assert gpu_aug_config(str(config)) == str(variant)
    cfg = Config.fromfile(str(variant))
    assert cfg.data_preprocessor.type == 'DetCoDataPreprocessor'
    views = cfg.train_dataloader.dataset.pipeline[1]
    assert [t['type'] for t in views['global_pipeline']
            ] == ['FastRandomResizedCrop', 'RandomFlip']
    assert cfg.train_cfg.max_epochs == 100
