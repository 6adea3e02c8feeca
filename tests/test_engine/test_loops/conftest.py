# Copyright (c) mmdetco contributors. All rights reserved.
"""The demo config on 8 generated images, trained in this process: batch 4,
so 2 iterations an epoch."""
import uuid

import pytest
from mmengine.config import Config

from mmdetco.utils.runner_args import build_runner
from mmdetco_demo import generate_demo_data
from ...conftest import ROOT

CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('resume') / 'data')
    generate_demo_data(root, num_pretrain=8, num_train=2, num_val=2, size=96)
    return root


def demo_runner(work_dir, data_root, epochs, **cfg):
    """A runner of the demo config, without its kNN monitor and BN
    re-estimation (evaluations, not training); ``cfg`` sets top-level
    fields (e.g. ``resume``, ``load_from``)."""
    config = Config.fromfile(f'{ROOT}/{CONFIG}')
    config.merge_from_dict({
        'work_dir': str(work_dir),
        'experiment_name': uuid.uuid4().hex,  # one message hub a runner
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.data_root': data_root,
        'model.queue_len': 16,
        'train_cfg.max_epochs': epochs,
        'randomness.deterministic': True,
        'default_hooks.logger.interval': 1,
    })
    config.custom_hooks = [
        hook for hook in config.custom_hooks
        if hook['type'] not in ('KNNMonitorHook', 'BackboneBNStatsHook')
    ]
    config.merge_from_dict(cfg)
    return build_runner(config)
