# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/test.py``: a classifier of the demo's objects that names one
class for every object is tested on them: its top-1 is that class's share,
whatever the backbone computes."""
import glob
import json
import os.path as osp
import sys

import mmengine
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import DATASETS, MODELS

from mmdetco.demo import DETCO_CONFIG, ROOT, generate_demo_data
from mmdetco.demo.steps import run_tool
from ..conftest import load_tool

#: the class every object is classified as
CLASS = 1


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


def test_top1_and_predictions(classifier, tmp_path):
    config, checkpoint, share, num_samples = classifier
    work_dir, out = str(tmp_path / 'work'), str(tmp_path / 'preds.pkl')
    run_tool([
        'tools/test.py', config, checkpoint, '--work-dir', work_dir, '--out',
        out
    ])
    assert logged(work_dir, 'json')['accuracy/top1'] == pytest.approx(share)
    preds = mmengine.load(out)
    assert len(preds) == num_samples
    assert all(int(p['pred_label']) == CLASS for p in preds)


def test_parse_args():
    tool = load_tool('tools/test.py')
    args = tool.parse_args(['c.py', 'c.pth'])
    assert (args.config, args.checkpoint, args.out, args.launcher,
            args.work_dir) == ('c.py', 'c.pth', None, 'none', None)
    args = tool.parse_args([
        'c.py', 'c.pth', '--out', 'r.pkl', '--launcher', 'pytorch',
        '--cfg-options', 'test_dataloader.batch_size=2'
    ])
    assert args.out == 'r.pkl' and args.launcher == 'pytorch'
    assert args.cfg_options == {'test_dataloader.batch_size': 2}
    with pytest.raises(SystemExit):
        tool.parse_args(['c.py', 'c.pth', '--out', 'r.json'])


def main_exits(monkeypatch, *args):
    """The message ``tools/test.py args`` exits with."""
    monkeypatch.setattr(sys, 'argv', ['tools/test.py', *args])
    with pytest.raises(SystemExit) as exited:
        load_tool('tools/test.py').main()
    return str(exited.value)


def test_missing_checkpoint(monkeypatch, tmp_path):
    message = main_exits(monkeypatch, 'c.py', str(tmp_path / 'none.pth'))
    assert f'no such checkpoint: {tmp_path}/none.pth' in message


def test_pre_training_config_points_to_knn_eval(monkeypatch, tmp_path):
    checkpoint = tmp_path / 'epoch_1.pth'
    checkpoint.touch()
    message = main_exits(
        monkeypatch, f'{ROOT}/configs/detco/'
        'detco_resnet18_1xb16-coslr-24e_demo.py', str(checkpoint),
        '--work-dir', str(tmp_path))
    assert 'has no `test_dataloader`' in message
    assert 'tools/analysis_tools/knn_eval.py' in message
