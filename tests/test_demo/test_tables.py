# Copyright (c) mmdetco contributors. All rights reserved.
"""The Markdown + JSON tables of the small-scale comparisons."""
import json

from mmdetco_demo import format_table, save_table


def test_format_table_mean_and_sample_std_to_the_digits():
    table = format_table(
        dict(seeds=[
            dict(AP=1., kNN=2.),
            dict(AP=2., kNN=4.),
            dict(AP=4., kNN=6.)
        ]), ('AP', 'kNN'),
        'init',
        digits=dict(kNN=0))
    # AP: default 1 decimal; kNN: 0 decimals, std of 2, 4, 6 is 2
    assert table.splitlines() == [
        '| init | AP | kNN |', '| --- | --- | --- |',
        '| seeds | 2.3 ± 1.5 | 4 ± 2 |'
    ]


def test_format_table_marks_missing_metrics():
    table = format_table(
        dict(
            a=[dict(gg=0.5, kNN=40.),
               dict(gg=0.7, kNN=42.)],
            b=[dict(kNN=30.)]), ('gg', 'll', 'kNN'), 'config', dict(gg=2))
    assert table.splitlines() == [
        '| config | gg | ll | kNN |', '| --- | --- | --- | --- |',
        '| a | 0.60 ± 0.14 | – | 41.0 ± 1.4 |', '| b | – | – | 30.0 |'
    ]


def test_save_table_prints_and_writes_markdown_and_json(tmp_path, capsys):
    work_dir = tmp_path / 'new' / 'dir'
    data = dict(a=[dict(AP=1.5)])
    save_table(str(work_dir), 'demo_table', '| a |', data)
    assert capsys.readouterr().out == '| a |\n'
    assert (work_dir / 'demo_table.md').read_text() == '| a |\n'
    assert json.loads((work_dir / 'demo_table.json').read_text()) == data
    save_table(str(work_dir), 'demo_table', '| b |', {})  # overwritten
    assert (work_dir / 'demo_table.md').read_text() == '| b |\n'
