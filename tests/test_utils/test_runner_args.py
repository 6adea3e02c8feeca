# Copyright (c) mmdetco contributors. All rights reserved.
import argparse
import os

import pytest

from mmdetco.utils.runner_args import add_runner_args, runner_config


def parse(*args):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    add_runner_args(parser)
    return parser.parse_args(args)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'my_config.py'
    path.write_text("model = dict(depth=50)\nwork_dir = 'from_file'\n")
    return str(path)


def test_work_dir_from_the_command_line_then_the_file(config, tmp_path):
    assert runner_config(parse(config, '--work-dir', 'cli')).work_dir == 'cli'
    assert runner_config(parse(config)).work_dir == 'from_file'
    (tmp_path / 'bare.py').write_text('model = dict()\n')
    assert runner_config(parse(str(tmp_path / 'bare.py'))).work_dir == \
        './work_dirs/bare'


def test_options_and_launcher(config, monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    cfg = runner_config(
        parse(config, '--launcher', 'pytorch', '--local-rank', '3',
              '--cfg-options', 'model.depth=18', 'work_dir=opt'))
    assert cfg.model.depth == 18 and cfg.launcher == 'pytorch'
    assert cfg.work_dir == 'opt'  # the options come last
    assert os.environ['LOCAL_RANK'] == '3'
    # a launcher's LOCAL_RANK wins
    monkeypatch.setenv('LOCAL_RANK', '1')
    runner_config(parse(config, '--local-rank', '3'))
    assert os.environ['LOCAL_RANK'] == '1'
