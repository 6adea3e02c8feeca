# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/test.py``: the classifier of ``conftest.py`` (one class for
every object) is tested on the demo's objects: its top-1 is that class's
share."""
import sys

import mmengine
import pytest

from ..conftest import ROOT, load_tool
from .conftest import CLASS, logged, run_script


@pytest.mark.slow
def test_top1_and_predictions(classifier, tmp_path):
    config, checkpoint, share, num_samples = classifier
    work_dir, out = str(tmp_path / 'work'), str(tmp_path / 'preds.pkl')
    run_script([
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
        'detco_resnet18_1xb16-coslr-8e_demo.py', str(checkpoint),
        '--work-dir', str(tmp_path))
    assert 'has no `test_dataloader`' in message
    assert 'tools/analysis_tools/knn_eval.py' in message
