# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/benchmarks/demo_table.py``: random init, MoCo v2 and DetCo on
tiny demo data, three yardsticks and the dense probe's curve."""
import json

import pytest

from mmdetco_demo import generate_demo_data
from ..conftest import ROOT, load_tool
from .test_ablation_sweep import TINY_FINETUNE

TOOL = 'tools/benchmarks/demo_table.py'
TINY_PRETRAIN = [
    'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
    'model.queue_len=16'
]


def test_curve_needs_quarters_of_the_run(tmp_path):
    tool = load_tool(TOOL)
    assert tool.checkpoint_epochs(tool.DETCO_CONFIG) == [2, 4, 8]
    config = tmp_path / 'odd.py'
    config.write_text(f"_base_ = '{ROOT}/{tool.DETCO_CONFIG}'\n"
                      'train_cfg = dict(max_epochs=6)\n')
    with pytest.raises(ValueError, match='max_epochs=6 is not a multiple'):
        tool.checkpoint_epochs(str(config))


@pytest.mark.slow
def test_table_and_curve_on_tiny_data(tmp_path):
    data_root = str(tmp_path / 'data')
    generate_demo_data(
        data_root, num_pretrain=8, num_train=4, num_val=2, size=128)
    work_dir = tmp_path / 'table'
    load_tool(TOOL).main([
        '--seeds', '0', '--data-root', data_root, '--work-dir',
        str(work_dir), '--pretrain-options', *TINY_PRETRAIN,
        'train_cfg.max_epochs=4', '--finetune-options', *TINY_FINETUNE
    ])
    rows = (work_dir / 'demo_table.md').read_text().splitlines()
    assert rows[0] == '| init (1 seeds) | dense | probe | kNN |'
    cells = [[c.strip() for c in row.split('|')[1:-1]] for row in rows[2:]]
    assert [c[0] for c in cells
            ] == ['raw pixels', 'random init', 'mocov2', 'detco']
    assert cells[0][2] == '–' and '–' not in cells[0][1:2] + cells[0][3:]
    assert all('–' not in row for row in cells[1:])
    results = json.loads((work_dir / 'demo_table.json').read_text())
    assert results['fractions'] == [0, 0.25, 0.5, 1]
    for method in ('mocov2', 'detco'):
        run = results['results'][method][0]
        # the curve: random init, 1/4, 1/2 and the end of the pre-training
        assert len(run['curve']) == 4 and run['curve'][-1] == run['dense']
        assert all(0 < v < 100 for v in run['curve'])
    # the detector probe: the mean of two runs a backbone
    for method in ('random init', 'mocov2', 'detco'):
        run = results['results'][method][0]
        assert len(run['probe_runs']) == 2
        assert run['probe'] == pytest.approx(sum(run['probe_runs']) / 2)
    # DetCo's curve starts at the random init the table's row has
    detco, random_init = (
        results['results'][m][0] for m in ('detco', 'random init'))
    assert detco['curve'][0] == random_init['dense']
    assert (work_dir / 'demo_curve.png').stat().st_size > 0
