# Copyright (c) mmdetco contributors. All rights reserved.
"""Shared by the tests of ``tools/test.py`` and its launchers: a
classifier of the demo's objects that names one class for every object, so
its top-1 is that class's share, whatever the backbone computes, and what
a test run logs."""
import glob
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import DATASETS, MODELS

from mmdetco_demo import DETCO_CONFIG, generate_demo_data
from ..conftest import ROOT

#: the class every object is classified as
CLASS = 1


def run_script(args):
    """Run ``python TOOL ARGS`` (``TOOL`` relative to the repository root)
    as a user would, streaming its output; fails on a non-zero exit."""
    tool, *rest = args
    subprocess.run([sys.executable, osp.join(ROOT, tool), *rest], check=True)


@pytest.fixture(scope='module', name='classifier')
def classifier_fixture(tmp_path_factory):
    """A ResNet-18 classifier of the objects of the demo's val split (as
    the demo's kNN monitor crops them): its config, its checkpoint, its
    top-1 and the number of objects."""
    root = tmp_path_factory.mktemp('classifier')
    generate_demo_data(
        str(root / 'data'), num_pretrain=1, num_train=1, num_val=3, size=96)
    demo = Config.fromfile(osp.join(ROOT, DETCO_CONFIG))
    (knn, ) = [h for h in demo.custom_hooks if h.type == 'KNNMonitorHook']
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'default_runtime.py'))
    cfg.merge_from_dict(
        dict(
            model=dict(
                type='ImageClassifier',
                data_preprocessor=dict(
                    demo.data_preprocessor, type='ClsDataPreprocessor'),
                backbone=dict(type='ResNet', depth=18),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(
                    type='LinearClsHead', num_classes=8, in_channels=512)),
            test_dataloader=knn.query_dataloader,
            test_evaluator=dict(type='Accuracy', topk=(1, )),
            test_cfg=dict(),
            env_cfg=dict(dist_cfg=dict(backend='gloo'))))
    cfg.test_dataloader.dataset.data_root = str(root / 'data')
    config = str(root / 'classifier.py')
    cfg.dump(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.nn.init.zeros_(model.head.fc.weight)
    with torch.no_grad():
        model.head.fc.bias.copy_(torch.eye(8)[CLASS])
    checkpoint = root / 'classifier.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    labels = [
        dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))
    ]
    share = 100 * labels.count(CLASS) / len(labels)
    assert 0 < share < 100  # a checkpoint not loaded would show
    return config, str(checkpoint), share, len(labels)


def logged(work_dir, ext):
    """The text of the ``.log`` or the metrics of the ``.json`` that a test
    run wrote in ``work_dir``."""
    (path, ) = glob.glob(osp.join(work_dir, '*', f'*.{ext}'))
    with open(path) as f:
        return json.load(f) if ext == 'json' else f.read()


def logged_test_metrics(work_dir):
    """The metrics of the ``Epoch(test)`` line of the main process's
    ``.log``. (Every process of a distributed test dumps them to the same
    ``.json``, mmengine's ``LoggerHook.after_test_epoch``: that file can
    interleave two writes.)"""
    (line, ) = re.findall(r'Epoch\(test\).*', logged(work_dir, 'log'))
    return {k: float(v) for k, v in re.findall(r'(\S+): (-?[\d.]+)', line)}
