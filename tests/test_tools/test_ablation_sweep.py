# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/benchmarks/ablation_sweep.py``: two ablations shrunk to tiny demo
data, pre-trained and fine-tuned, tabulated."""
import json
from pathlib import Path

import pytest

from mmdetco_demo import generate_demo_data
from ..conftest import ROOT, load_tool

REPO = Path(ROOT)
TOOL = 'tools/benchmarks/ablation_sweep.py'
ABLATIONS = REPO / 'configs' / 'detco' / 'ablations'
TINY_PRETRAIN = [
    'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
    'model.queue_len=16', 'train_cfg.max_epochs=1', 'custom_hooks.3.interval=1'
]
# every box scored: a one-epoch detector of 4 images may detect nothing, and
# a run without detections raises (mmdetco_demo.finetune)
TINY_FINETUNE = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'val_dataloader.num_workers=0', 'train_cfg.max_epochs=1',
    'train_cfg.val_interval=1', 'model.test_cfg.rcnn.score_thr=0.0'
]


def test_default_is_every_ablation():
    args = load_tool(TOOL).parse_args([])
    assert sorted(Path(c).name for c in args.configs) == sorted(
        p.name for p in ABLATIONS.glob('*.py'))


@pytest.mark.slow
def test_sweep_on_tiny_data(tmp_path):
    data_root = str(tmp_path / 'data')
    generate_demo_data(
        data_root, num_pretrain=8, num_train=4, num_val=2, size=128)
    configs = [
        str(ABLATIONS / f'{name}_resnet50_8xb32-coslr-100e_in1k.py')
        for name in ('detco-res5-gg', 'detco-gg-ll')
    ]
    work_dir = tmp_path / 'sweep'
    load_tool(TOOL).main([
        *configs, '--data-root', data_root, '--work-dir',
        str(work_dir), '--pretrain-options', *TINY_PRETRAIN,
        '--finetune-options', *TINY_FINETUNE
    ])
    rows = (work_dir / 'ablation_sweep.md').read_text().splitlines()[2:]
    cells = [[c.strip() for c in row.split('|')[1:-1]] for row in rows]
    # config | gg | ll | lg | spread_global | spread_local | kNN_init | kNN
    # | dense | probe | AP | AP50 | AP75; first the dense probe of the raw
    # pixels, then both probes of a random backbone
    assert [c[0] for c in cells] == [
        'raw pixels', 'random init',
        'detco-res5-gg_resnet50_8xb32-coslr-100e_in1k',
        'detco-gg-ll_resnet50_8xb32-coslr-100e_in1k'
    ]
    pixels, random_init, cells = cells[0], cells[1], cells[2:]
    assert pixels[8] != '–'
    assert all(c == '–' for c in pixels[1:8] + pixels[9:])
    assert random_init[8] != '–' and random_init[9] != '–'
    assert all(c == '–' for c in random_init[1:8] + random_init[10:])
    # res5-gg has no local branch: no local terms, no local spread
    assert cells[0][2:4] == ['–', '–'] and cells[0][5] == '–'
    assert cells[1][3] == '–'
    assert all(c != '–' for c in cells[1][1:3] + cells[1][4:])
    runs = json.loads((work_dir / 'ablation_sweep.json').read_text())['runs']
    res5, multi = (runs[c[0]][0] for c in cells)
    assert set(res5['health']['terms']) == {'loss_gg_res5'}
    assert set(multi['health']['spread_ratio']) == {
        f'{kind}_res{i}'
        for kind in ('global', 'local')
        for i in range(2, 6)
    }
    assert 0 < res5['gg'] < 1.5 and 'spread_local' not in res5
    assert set(res5['health']['spread_ratio']) == {'global_res5'}
    assert 0 <= res5['kNN'] <= 100 and 0 <= res5['AP'] <= 100
    assert 0 < res5['dense'] < 100
    # the shrunk config of each run is kept with it
    assert (work_dir / cells[0][0] / 'config.py').exists()
