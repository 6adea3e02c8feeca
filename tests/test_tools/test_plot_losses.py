# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/plot_losses.py`` on a synthetic mmengine log."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ..conftest import ROOT

REPO = Path(ROOT)
TOOL = REPO / 'tools' / 'analysis_tools' / 'plot_losses.py'
LEVELS = ('res2', 'res3', 'res4', 'res5')
TERMS = ('gg', 'll', 'lg')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('plot_losses', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_log(work_dir, timestamp, num_lines=5, val_line=True):
    """An mmengine json log (and scalars.json) of ``num_lines`` records."""
    vis_data = Path(work_dir) / timestamp / 'vis_data'
    vis_data.mkdir(parents=True)
    lines = []
    for step in range(1, num_lines + 1):
        record = dict(lr=0.03, data_time=0.1)
        for level in LEVELS:
            for term in TERMS:
                record[f'loss_{term}_{level}'] = 5.0 - 0.1 * step
        record.update(
            loss=30.0 - step, time=1.0, epoch=1, iter=step, step=step)
        lines.append(json.dumps(record))
    if val_line:  # a validation record: no loss
        lines.append(json.dumps(dict(accuracy=1.0, step=1)))
    log = vis_data / f'{timestamp}.json'
    log.write_text('\n'.join(lines) + '\n')
    (vis_data / 'scalars.json').write_text(lines[0] + '\n')
    return log


def png_size(path):
    assert path.stat().st_size > 0
    with Image.open(path) as png:
        return png.size


def expected_pixels(tool, num_subplots):
    """The PNG's ``(width, height)``: the tool's figure size at its DPI."""
    width, height = tool.figure_size(num_subplots)
    return round(width * tool.DPI), round(height * tool.DPI)


def test_plots_levels_and_total(tool, tmp_path):
    log = write_log(tmp_path / 'work', '20240101_000000')
    output = tmp_path / 'out' / 'losses.png'
    assert tool.main([str(tmp_path / 'work'), '--output',
                      str(output)]) == str(output)
    # 4 levels + the total loss: 3 columns, 2 rows
    assert png_size(output) == expected_pixels(tool, 5)
    width, height = tool.SUBPLOT_INCHES
    assert expected_pixels(tool, 5) == (round(3 * width * tool.DPI),
                                        round(2 * height * tool.DPI))
    # a log given directly
    direct = tmp_path / 'direct.png'
    tool.main([str(log), '--output', str(direct), '--keys', 'loss', 'lr'])
    assert png_size(direct) == expected_pixels(tool, 2)


def test_log_parsing(tool, tmp_path):
    write_log(tmp_path, '20240101_000000', num_lines=2)
    newest = write_log(tmp_path, '20240102_000000')
    os.utime(newest, (2e9, 2e9))
    assert tool.find_log(str(tmp_path)) == str(newest)
    # a timestamp folder also works
    assert tool.find_log(str(newest.parents[1])) == str(newest)
    records = tool.load_log(str(newest))
    assert len(records) == 5  # the validation line is skipped
    subplots = tool.group_keys(records)
    assert list(subplots) == [*LEVELS, 'loss']
    assert [label for _, label in subplots['res3']] == list(TERMS)
    steps, losses = tool.series(records, 'loss')
    assert steps == [1, 2, 3, 4, 5]
    assert losses == [29.0, 28.0, 27.0, 26.0, 25.0]
    subplots = tool.group_keys(records, ['loss_lg_res5', 'lr'])
    assert subplots == {'res5': [('loss_lg_res5', 'lg')], 'lr': [('lr', 'lr')]}


def test_errors(tool, tmp_path):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        tool.find_log(str(missing))
    only_scalars = tmp_path / 'scalars_only' / 'ts' / 'vis_data'
    only_scalars.mkdir(parents=True)
    (only_scalars / 'scalars.json').write_text('{"loss": 1.0}\n')
    with pytest.raises(FileNotFoundError, match='scalars_only'):
        tool.find_log(str(tmp_path / 'scalars_only'))
    no_loss = tmp_path / 'no_loss.json'
    no_loss.write_text('{"accuracy": 1.0, "step": 1}\n\n{"trunc')
    with pytest.raises(ValueError, match=str(no_loss)):
        tool.load_log(str(no_loss))
    log = write_log(tmp_path / 'work', '20240101_000000')
    with pytest.raises(SystemExit, match="'foo'"):
        tool.main([str(log), '--keys', 'foo'])


@pytest.mark.slow
def test_cli_error_names_the_path(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, str(TOOL), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60)
    assert result.returncode == 1
    assert str(tmp_path) in result.stderr
    assert not (tmp_path / 'losses.png').exists()
