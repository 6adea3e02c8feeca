# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/knn_eval.py``: the kNN top-1 of a checkpoint on
the data sets of its config's ``KNNMonitorHook``, the figure the hook
itself computes for the same weights."""
import sys
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mmdetco.engine import KNNMonitorHook
from mmdetco.evaluation import knn_classifier
from mmdetco_demo import DETCO_CONFIG, data_root_options, generate_demo_data
from ..conftest import ROOT, load_tool
from .conftest import run_script

TOOL = 'tools/analysis_tools/knn_eval.py'


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """The demo config pointed at a few generated scenes (its options), and
    a checkpoint of a randomly initialised model of it."""
    root = tmp_path_factory.mktemp('knn_eval')
    generate_demo_data(
        str(root / 'data'), num_pretrain=1, num_train=8, num_val=4, size=96)
    options = data_root_options(DETCO_CONFIG, str(root / 'data'))
    cfg = Config.fromfile(f'{ROOT}/{DETCO_CONFIG}')
    torch.manual_seed(0)
    # as the Runner builds it: with the config's data preprocessor
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    model.init_weights()
    checkpoint = root / 'detco.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return options, str(checkpoint), model


def hook_top1(model, options, k):
    """What KNNMonitorHook logs for ``model`` on the config with
    ``options``, with ``k`` neighbours."""
    cfg = Config.fromfile(f'{ROOT}/{DETCO_CONFIG}')
    cfg.merge_from_dict(
        load_tool(TOOL).parse_args(
            ['c.py', 'c.pth', '--cfg-options', *options]).cfg_options)
    (hook_cfg, ) = [h for h in cfg.custom_hooks if h.type == 'KNNMonitorHook']
    hook_cfg.pop('type')
    runner = MagicMock(
        model=model, seed=0, iter=0, build_dataloader=Runner.build_dataloader)
    KNNMonitorHook(**dict(hook_cfg, k=k)).before_train(runner)
    (scalars, ), _ = runner.visualizer.add_scalars.call_args
    return scalars['knn/top1']


@pytest.mark.slow
def test_the_tool_gives_the_hook_figure(demo, tmp_path):
    options, checkpoint, model = demo
    out = tmp_path / 'feats.pth'
    run_script([
        TOOL, DETCO_CONFIG, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out), '--k', '5', '--cfg-options', *options
    ])
    saved = torch.load(out)
    # k from the command line, the temperature from the config's hook
    assert saved['k'] == 5 and saved['temperature'] == 0.07
    bank, queries = saved['bank'], saved['queries']
    assert bank['features'].shape == (len(bank['labels']), 512)
    assert queries['features'].shape == (len(queries['labels']), 512)
    assert saved['top1'] == knn_classifier(bank['features'], bank['labels'],
                                           queries['features'],
                                           queries['labels'], saved['k'],
                                           saved['temperature'])
    assert 0 < saved['top1'] < 100  # a figure that says something
    assert saved['top1'] == hook_top1(model, options, k=5)


def test_parse_args():
    tool = load_tool(TOOL)
    args = tool.parse_args(['c.py', 'c.pth'])
    assert (args.k, args.temperature, args.out,
            args.launcher) == (None, None, None, 'none')
    args = tool.parse_args([
        'c.py', 'c.pth', '--k', '5', '--temperature', '0.1', '--out', 'f.pth'
    ])
    assert (args.k, args.temperature, args.out) == (5, 0.1, 'f.pth')
    with pytest.raises(SystemExit):
        tool.parse_args(['c.py', 'c.pth', '--k', 'many'])


def run_main(monkeypatch, *args):
    """``main()`` of the tool with ``args``."""
    monkeypatch.setattr(sys, 'argv', [TOOL, *args])
    load_tool(TOOL).main()


def test_missing_checkpoint(monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match='no such checkpoint'):
        run_main(monkeypatch, f'{ROOT}/{DETCO_CONFIG}',
                 str(tmp_path / 'none.pth'))


def test_config_without_the_hook(monkeypatch, tmp_path):
    config = tmp_path / 'no_knn.py'
    config.write_text(f"_base_ = '{ROOT}/{DETCO_CONFIG}'\ncustom_hooks = []\n")
    (tmp_path / 'c.pth').touch()
    with pytest.raises(SystemExit, match='has no KNNMonitorHook'):
        run_main(monkeypatch, str(config), str(tmp_path / 'c.pth'))


def test_bad_k(monkeypatch, tmp_path):
    (tmp_path / 'c.pth').touch()
    with pytest.raises(ValueError, match='`k`'):
        run_main(monkeypatch, f'{ROOT}/{DETCO_CONFIG}',
                 str(tmp_path / 'c.pth'), '--k', '0')


@pytest.mark.slow
def test_backbone_only_checkpoint_is_refused(demo, monkeypatch, tmp_path):
    options, _, model = demo
    backbone = tmp_path / 'backbone.pth'
    torch.save(dict(state_dict=model.backbone.state_dict()), backbone)
    with pytest.raises(RuntimeError, match='missing keys'):
        run_main(monkeypatch,
                 f'{ROOT}/{DETCO_CONFIG}', str(backbone), '--work-dir',
                 str(tmp_path / 'work'), '--cfg-options', *options)
