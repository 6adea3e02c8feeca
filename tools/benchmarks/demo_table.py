# Copyright (c) mmdetco contributors. All rights reserved.
"""The paper's claim in small: random init vs MoCo v2 vs DetCo on the demo
data, judged by three yardsticks over several seeds, with the dense probe's
curve over the pre-training.

At the same pre-training budget (same data, backbone, views, queue, epochs)
compare the random initialisation, MMPretrain's MoCo v2 and DetCo. Per
method and seed (the pre-training's and every probe's):

- ``dense``: the dense probe (:func:`mmdetco_demo.dense_miou`) of the backbone;
- ``probe``: bbox AP of the frozen-backbone detector probe
  (``mmdetco_demo.PROBE_CONFIG``), the mean of ``--probe-runs`` runs
  (seeds ``SEED``, ``SEED + 1000``, ...) side by side, one thread each: a
  run's own noise is as large as what the probe has to tell apart;
- ``kNN``: kNN top-1 on the demo objects (``KNNMonitorHook``);
- with ``--finetune``, bbox ``AP``, ``AP50``, ``AP75`` of the fully
  fine-tuned demo detector.

``random init`` is the backbone DetCo's pre-training starts from with the
same seed (its kNN is that run's first evaluation); ``raw pixels`` has the
pixel baselines of the dense probe and the kNN. The dense probe is also
measured on the pre-training checkpoints at 1/4 and 1/2 of the run: the
curve (mean +- std over seeds against the fraction of the pre-training, 0
being the random initialisation of each method) is drawn to
``WORK_DIR/demo_curve.png``. The table (mean +- sample std over seeds) is
printed and written, with every figure, to ``WORK_DIR/demo_table.{md,json}``.
Runs resume where they stopped.

Usage::

    python tools/benchmarks/demo_table.py [--seeds 0 1 2] [--probe-runs 2] \
        [--finetune] [--data-root data/demo] [--work-dir work_dirs/demo_table]
"""
import argparse
import os.path as osp
import statistics

from mmengine.config import Config

from mmdetco.utils.package_files import package_file
from mmdetco_demo import (DETCO_CONFIG, MOCOV2_CONFIG, dense_miou,
                          ensure_demo_data, finetune, format_table,
                          pretrain_and_finetune, probe_seeds_mean,
                          random_init_backbone, read_log, save_table)

METHODS = dict(mocov2=MOCOV2_CONFIG, detco=DETCO_CONFIG)
#: The fractions of the pre-training the dense probe's curve is drawn at.
FRACTIONS = (0, 0.25, 0.5, 1)
METRICS = ('dense', 'probe', 'kNN')
AP_METRICS = ('AP', 'AP50', 'AP75')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--probe-runs',
        type=int,
        default=2,
        help='runs of the detector probe of every backbone (the table has '
        'their mean)')
    parser.add_argument(
        '--finetune',
        action='store_true',
        help='also fine-tune the whole detector (about 5 min a run)')
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo_table')
    parser.add_argument(
        '--pretrain-options',
        nargs='+',
        default=[],
        help='more KEY=VALUE overrides of both pre-training configs')
    parser.add_argument(
        '--finetune-options',
        nargs='+',
        default=[],
        help='more KEY=VALUE overrides of the probe and detector configs')
    return parser.parse_args(argv)


def checkpoint_epochs(config: str, options=()) -> list:
    """The epochs at the :data:`FRACTIONS` (but 0) of a config's run, with
    ``KEY=VALUE`` overrides ``options``."""
    overrides = dict(option.split('=', 1) for option in options)
    max_epochs = int(
        overrides.get('train_cfg.max_epochs')
        or Config.fromfile(package_file(config)).train_cfg.max_epochs)
    if max_epochs % 4:
        raise ValueError(f'{config}: train_cfg.max_epochs={max_epochs} is '
                         'not a multiple of 4; the curve needs checkpoints '
                         'at 1/4 and 1/2 of the run.')
    return [int(f * max_epochs) for f in FRACTIONS[1:]]


def probe_seeds(seed: int, runs: int) -> list:
    """The seeds of the ``runs`` detector probes of the backbone of
    ``seed``: ``seed`` first, as in ``make demo``."""
    return [seed + 1000 * run for run in range(runs)]


def run_method(method, seed, args):
    """Pre-train, probe (and fine-tune); the row and the dense curve."""
    config = METHODS[method]
    work_dir = osp.join(args.work_dir, f'{method}_seed{seed}')
    epochs = checkpoint_epochs(config, args.pretrain_options)
    result = pretrain_and_finetune(
        config,
        work_dir,
        args.data_root,
        seed,
        pretrain_options=[
            f'default_hooks.checkpoint.interval={epochs[0]}',
            'default_hooks.checkpoint.max_keep_ckpts=-1',
            *args.pretrain_options
        ],
        finetune_options=args.finetune_options,
        full_finetune=args.finetune,
        probe_seeds=probe_seeds(seed, args.probe_runs))
    initial = random_init_backbone(work_dir, seed, config)
    curve = [dense_miou(args.data_root, initial)] + [
        dense_miou(args.data_root,
                   osp.join(work_dir, 'pretrain', f'epoch_{epoch}.pth'))
        for epoch in epochs[:-1]
    ] + [result['dense']]
    return dict(result, curve=curve)


def run_random_init(seed, detco, args):
    """The backbone DetCo starts from with ``seed``, exported and densely
    probed by :func:`run_method` (its result ``detco``): its detector probe,
    and with ``--finetune`` the detector trained from random weights."""
    work_dir = osp.join(args.work_dir, f'random_init_seed{seed}')
    initial = random_init_backbone(
        osp.join(args.work_dir, f'detco_seed{seed}'), seed)
    row = dict(
        dense=detco['curve'][0],
        kNN=detco['kNN_init'],
        **probe_seeds_mean(
            osp.join(work_dir, 'probe'), args.data_root, initial,
            probe_seeds(seed, args.probe_runs), args.finetune_options))
    if args.finetune:
        row.update(
            finetune(
                osp.join(work_dir, 'detector'), args.data_root, None, seed,
                args.finetune_options))
    return row


def draw_curve(curves: dict, pixels: float, path: str) -> None:
    """The dense probe against the fraction of the pre-training: mean and
    +- std over seeds per method, the raw pixels as a line."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method, runs in curves.items():
        points = list(zip(*runs))
        mean = [statistics.mean(p) for p in points]
        std = [statistics.stdev(p) if len(p) > 1 else 0. for p in points]
        ax.errorbar(
            FRACTIONS,
            mean,
            yerr=std,
            marker='o',
            capsize=3,
            label=f'{method} ({len(runs)} seeds)')
    ax.axhline(pixels, color='grey', linestyle='--', label='raw pixels')
    ax.set_xlabel('fraction of the pre-training')
    ax.set_ylabel('dense probe mIoU (%)')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    ensure_demo_data(args.data_root)
    # DetCo first: the random init row is the backbone it starts from
    results = {
        method: [run_method(method, seed, args) for seed in args.seeds]
        for method in ('detco', 'mocov2')
    }
    results['random init'] = [
        run_random_init(seed, detco, args)
        for seed, detco in zip(args.seeds, results['detco'])
    ]
    knn_pixels = read_log(
        osp.join(args.work_dir, f'detco_seed{args.seeds[0]}', 'pretrain'),
        'knn/top1_pixels')[0]
    results['raw pixels'] = [
        dict(dense=dense_miou(args.data_root), kNN=round(knn_pixels, 1))
    ]
    rows = {
        name: results[name]
        for name in ('raw pixels', 'random init', 'mocov2', 'detco')
    }
    metrics = METRICS + (AP_METRICS if args.finetune else ())
    table = format_table(rows, metrics, f'init ({len(args.seeds)} seeds)')
    curves = {m: [run['curve'] for run in results[m]] for m in METHODS}
    draw_curve(curves, results['raw pixels'][0]['dense'],
               osp.join(args.work_dir, 'demo_curve.png'))
    save_table(args.work_dir, 'demo_table', table,
               dict(seeds=args.seeds, fractions=FRACTIONS, results=rows))


if __name__ == '__main__':
    main()
