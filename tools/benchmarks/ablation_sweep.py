# Copyright (c) mmdetco contributors. All rights reserved.
"""Run DetCo pre-training configs at the demo's scale and tabulate them.

Each config (by default every ablation of ``configs/detco/ablations/``) is
shrunk to the demo (``mmdetco_demo.shrink_to_demo``: ResNet-18, the demo's
view sizes, queue, data and 4-epoch budget, the variant's own head, neck
switches and views), pre-trained, exported and fine-tuned exactly as in
``tools/benchmarks/demo_table.py``. The table, written with every run to
``WORK_DIR/ablation_sweep.{md,json}``, has per config (mean +- std over
seeds):

- ``gg``, ``ll``, ``lg``: the last logged value of the term, averaged over
  the levels, as a fraction of chance ``ln(K + 1)`` (``–``: term off);
- ``spread_global``, ``spread_local``: per branch, the smallest last logged
  embedding spread of any level over the healthy ``1 / sqrt(D)``
  (0 = collapsed; ``–``: no such branch, as without local terms);
- ``kNN_init``, ``kNN``: top-1 on the demo objects of the backbone's
  random initialisation (it differs between configs, as the model's size
  changes the random draws) and of the pre-trained backbone;
- ``dense``: the dense probe of the backbone (``mmdetco_demo.dense_miou``);
- ``probe``: bbox AP of the frozen-backbone probe
  (``mmdetco_demo.PROBE_CONFIG``); the row ``random init`` has both probes
  of the random initialisation the demo's DetCo starts from, the row
  ``raw pixels`` the dense probe of the pixels;
- ``AP``, ``AP50``, ``AP75``: bbox AP of the fine-tuned demo detector.

The JSON also holds every term of every level and the spread and positive
cosine of every branch and level.
Runs resume where they stopped. The demo data is generated into
``--data-root`` unless it holds a demo data set already.

Usage::

    python tools/benchmarks/ablation_sweep.py [CONFIG ...] [--seeds 0] \
        [--data-root data/demo] [--work-dir work_dirs/ablation_sweep] \
        [--pretrain-options KEY=VALUE ...] [--finetune-options KEY=VALUE ...]
"""
import argparse
import glob
import os
import os.path as osp
import statistics

from mmdetco.models.utils import LOSS_TERMS
from mmdetco.utils.package_files import package_file
from mmdetco_demo import (dense_miou, ensure_demo_data, format_table,
                          pretrain_and_finetune, pretrain_health,
                          random_init_probes, save_table, shrink_to_demo)

BRANCHES = ('global', 'local')
METRICS = (*LOSS_TERMS, *(f'spread_{b}' for b in BRANCHES), 'kNN_init', 'kNN',
           'dense', 'probe', 'AP', 'AP50', 'AP75')
DIGITS = {metric: 2 for metric in METRICS[:5]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs',
        nargs='*',
        default=sorted(
            glob.glob(
                osp.join(package_file('configs/detco/ablations'), '*.py'))),
        help='DetCo pre-training configs (default: every ablation)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/ablation_sweep')
    parser.add_argument(
        '--pretrain-options',
        nargs='+',
        default=[],
        help='more KEY=VALUE overrides of every shrunk pre-training config')
    parser.add_argument(
        '--finetune-options',
        nargs='+',
        default=[],
        help='more KEY=VALUE overrides of the demo detector config')
    return parser.parse_args(argv)


def config_name(config: str) -> str:
    """The config's file name without ``.py``."""
    return osp.splitext(osp.basename(config))[0]


def summarise(result: dict, health: dict) -> dict:
    """One table row of a run: its result and its health scalars."""
    chance = health['chance_loss']
    row = dict(result)
    for term in LOSS_TERMS:
        values = [
            v for k, v in health['terms'].items()
            if k.startswith(f'loss_{term}_')
        ]
        if values:
            row[term] = round(statistics.mean(values) / chance, 3)
    for branch in BRANCHES:  # no local figures without a local branch
        spreads = [
            v for k, v in health['spread_ratio'].items()
            if k.startswith(f'{branch}_')
        ]
        if spreads:
            row[f'spread_{branch}'] = min(spreads)
    return row


def run_config(config: str, seed: int, args) -> dict:
    """Shrink, pre-train, fine-tune; the row plus the run's details."""
    name = config_name(config)
    shrunk = osp.abspath(osp.join(args.work_dir, name, 'config.py'))
    os.makedirs(osp.dirname(shrunk), exist_ok=True)
    shrink_to_demo(config).dump(shrunk)
    work_dir = osp.abspath(osp.join(args.work_dir, name, f'seed{seed}'))
    result = pretrain_and_finetune(shrunk, work_dir, args.data_root, seed,
                                   args.pretrain_options,
                                   args.finetune_options)
    health = pretrain_health(shrunk, osp.join(work_dir, 'pretrain'))
    return dict(summarise(result, health), health=health)


def run_random_init(seed: int, args) -> dict:
    """Both probes of a random backbone: the row every config must beat."""
    work_dir = osp.abspath(
        osp.join(args.work_dir, 'random_init', f'seed{seed}'))
    return random_init_probes(work_dir, args.data_root, seed,
                              args.finetune_options)


def main(argv=None):
    args = parse_args(argv)
    ensure_demo_data(args.data_root)
    runs = {
        'raw pixels': [dict(dense=dense_miou(args.data_root))],
        'random init': [run_random_init(seed, args) for seed in args.seeds]
    }
    for config in args.configs:
        runs[config_name(config)] = [
            run_config(config, seed, args) for seed in args.seeds
        ]
        # after every config, so that a long sweep shows what it has
        table = format_table(runs, METRICS,
                             f'config ({len(args.seeds)} seeds)', DIGITS)
        save_table(args.work_dir, 'ablation_sweep', table,
                   dict(seeds=args.seeds, configs=args.configs, runs=runs))


if __name__ == '__main__':
    main()
