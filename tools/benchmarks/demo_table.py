# Copyright (c) mmdetco contributors. All rights reserved.
"""The paper's claim in small: scratch vs MoCo v2 vs DetCo on the demo data.

At the same pre-training budget (same data, backbone, views, queue, epochs)
and the same probe and fine-tuning (Faster R-CNN R18-FPN on the demo COCO
splits), compare random initialisation, MMPretrain's MoCo v2 and DetCo over
several seeds. Prints a Markdown table of the frozen-backbone probe's bbox AP
(``probe``, ``mmdetco.demo.PROBE_CONFIG``; for scratch, the random
initialisation DetCo starts from), the kNN top-1 of the backbone on
the demo objects (``KNNMonitorHook``; for scratch, the random initialisation
of the DetCo run of the same seed) and the bbox AP / AP50 / AP75 of the
fully fine-tuned detector (mean +- sample standard deviation over seeds) and
writes it, with every run, to ``WORK_DIR/demo_table.{md,json}``. Runs resume
where they stopped.

Usage::

    python tools/benchmarks/demo_table.py [--seeds 0 1] \
        [--data-root data/demo] [--work-dir work_dirs/demo_table]
"""
import argparse
import os.path as osp

from mmdetco.demo import (DETCO_CONFIG, MOCOV2_CONFIG, export_initial_backbone,
                          finetune, format_table, generate_demo_data,
                          pretrain_and_finetune, probe, read_log, save_table)

METHODS = dict(scratch=None, mocov2=MOCOV2_CONFIG, detco=DETCO_CONFIG)
METRICS = ('probe', 'kNN', 'AP', 'AP50', 'AP75')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo_table')
    return parser.parse_args(argv)


def run_method(method, seed, args):
    """Pre-train (unless scratch), export, probe and fine-tune; returns the
    probe, kNN top-1 and AP."""
    work_dir = osp.join(args.work_dir, f'{method}_seed{seed}')
    if METHODS[method] is not None:
        result = pretrain_and_finetune(METHODS[method], work_dir,
                                       args.data_root, seed)
        return {metric: result[metric] for metric in METRICS}
    # the random initialisation, evaluated before DetCo's first step
    knn = read_log(
        osp.join(args.work_dir, f'detco_seed{seed}', 'pretrain'),
        'knn/top1')[0]
    # the probe of the random initialisation DetCo starts from
    initial = export_initial_backbone(DETCO_CONFIG,
                                      osp.join(work_dir, 'backbone_init.pth'),
                                      seed)
    probe_ap = probe(
        osp.join(work_dir, 'probe'), args.data_root, initial, seed)['AP']
    ap = finetune(osp.join(work_dir, 'detector'), args.data_root, None, seed)
    return dict(probe=probe_ap, kNN=round(knn, 1), **ap)


def main(argv=None):
    args = parse_args(argv)
    generate_demo_data(args.data_root)
    # DetCo first: scratch reads its random-initialisation kNN
    results = {
        method: [run_method(method, seed, args) for seed in args.seeds]
        for method in ('detco', 'mocov2', 'scratch')
    }
    results = {method: results[method] for method in METHODS}
    table = format_table(results, METRICS, f'init ({len(args.seeds)} seeds)')
    save_table(args.work_dir, 'demo_table', table,
               dict(seeds=args.seeds, results=results))


if __name__ == '__main__':
    main()
