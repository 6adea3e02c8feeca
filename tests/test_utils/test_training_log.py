# Copyright (c) mmdetco contributors. All rights reserved.
import json
import os

import pytest

from mmdetco.utils import (find_log, find_logs, load_records, scalar_key,
                           scalars)


def write_run(work_dir, timestamp, records, scalars=True):
    """The files mmengine writes in ``<timestamp>/vis_data``: the json log,
    and ``scalars.json`` (the same scalars) unless ``scalars`` is False."""
    vis_data = work_dir / timestamp / 'vis_data'
    vis_data.mkdir(parents=True)
    lines = '\n'.join(json.dumps(r) for r in records) + '\n'
    (vis_data / f'{timestamp}.json').write_text(lines)
    if scalars:
        (vis_data / 'scalars.json').write_text(lines)
    (vis_data / 'config.py').write_text('model = dict()\n')
    return vis_data / f'{timestamp}.json'


def test_scalar_names_are_read_back_by_scalar():
    record = {
        scalar_key('loss', 'gg', 'res2'): 5.1,
        scalar_key('acc', 'lg', 'res5'): 12.5,
        scalar_key('spread', 'local', 'res5'): 0.01,
        'loss': 9.0,
        'knn/top1': 30.,
    }
    assert list(record)[:3] == [
        'loss_gg_res2', 'acc_lg_res5', 'spread_local_res5'
    ]
    assert scalars(record, 'loss') == {('gg', 'res2'): 5.1}
    assert scalars(record, 'spread') == {('local', 'res5'): 0.01}
    assert scalars(record, 'poscos') == {}


def test_every_log_of_a_resumed_run_oldest_first(tmp_path):
    """The ``<timestamp>.json`` logs of every start of a run, oldest first;
    ``scalars.json`` (the same scalars again) and ``config.json`` are not
    logs."""
    first = write_run(tmp_path, '20260101_000000', [dict(loss=3., step=1)])
    second = write_run(tmp_path, '20260102_000000', [dict(loss=2., step=2)])
    (second.parent / 'config.json').write_text('{"loss": 0}\n')
    assert find_logs(str(tmp_path)) == [str(first), str(second)]
    records = load_records(find_logs(str(tmp_path)), ['loss'])
    assert [r['step'] for r in records] == [1, 2]
    # a timestamp folder, or the log itself
    assert find_logs(str(second.parents[1])) == [str(second)]
    assert find_logs(str(first)) == [str(first)]
    # the newest is the last modified, whatever its name
    os.utime(first, (2e9, 2e9))
    assert find_log(str(tmp_path)) == str(first)


def test_records_hold_one_of_the_keys_and_bad_lines_are_skipped(tmp_path):
    log = tmp_path / 'log.json'
    log.write_text('\n'.join([
        json.dumps(dict(loss=3., step=1)), '',
        json.dumps({'knn/top1': 30.}),
        json.dumps(dict(accuracy=1.)),
        json.dumps([1, 2]), '{"loss": 2.'
    ]))
    assert load_records([str(log)],
                        ['loss', 'knn/top1'
                         ]) == [dict(loss=3., step=1), {
                             'knn/top1': 30.
                         }]
    assert load_records([str(log)], ['lr']) == []


def test_missing_logs_name_the_folder(tmp_path):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        find_logs(str(missing))
    only_scalars = tmp_path / 'scalars_only'
    vis_data = write_run(only_scalars, 'ts', [dict(loss=1.)]).parent
    (vis_data / 'ts.json').unlink()
    with pytest.raises(FileNotFoundError, match=str(only_scalars)):
        find_log(str(only_scalars))
    # a folder name that is a glob pattern is taken literally
    brackets = tmp_path / 'run[1]'
    write_run(brackets, 'ts', [dict(loss=1.)])
    assert find_logs(str(brackets)) == [str(brackets / 'ts/vis_data/ts.json')]
