# Copyright (c) mmdetco contributors. All rights reserved.
"""The embedded demo: DetCo pre-training -> backbone export -> a
frozen-backbone probe against random initialisation, on generated data and
a CPU.

Usage (from the repository root, in the project environment; ``make demo``)::

    python tools/run_demo.py [--data-root data/demo] \
        [--work-dir work_dirs/demo] [--finetune]

1. generate the demo data into ``--data-root`` (deterministic, reused);
2. pre-train DetCo (ResNet-18, shrunken views) with the mm runner;
3. export the query backbone;
4. probe it twice, and the random initialisation the pre-training started
   from the same way: the dense probe (a linear per-cell classifier of the
   val objects on its frozen res2-res5 features; also on the raw pixels),
   and the demo detector (Faster R-CNN R18-FPN) on the frozen backbone, only
   FPN and heads trained on the demo COCO train split and evaluated on the
   val split;
5. with ``--finetune``, also fine-tune the whole detector from the backbone;
6. print a summary and write it to ``WORK_DIR/summary.json``: every
   pre-training loss term (``loss_{term}_{level}``) at the end against chance
   (``ln(K + 1)``) and the terms that did not keep falling, the branches that
   collapsed, the kNN top-1 of raw pixels, of the random initialisation and
   of the pre-trained backbone, and both probes of both backbones.

Every step resumes from what an interrupted run left behind.
"""
import argparse
import json
import os.path as osp
import time

from mmdetco_demo import (DENSE_NAME, DETCO_CONFIG, DETECTOR_CONFIG,
                          PROBE_CONFIG, PROBE_NAME, dense_miou,
                          export_backbone, finetune, generate_demo_data,
                          pretrain, pretrain_health, probes_side_by_side,
                          random_init_backbone)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--seed', type=int, default=0, help='data seed')
    parser.add_argument(
        '--finetune',
        action='store_true',
        help='also fine-tune the whole detector from the backbone')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    data = generate_demo_data(args.data_root, seed=args.seed)
    print(f'demo data in {args.data_root}: {data["num_pretrain"]} '
          f'pre-training, {data["num_train"]} train, {data["num_val"]} val '
          f'images (reused: {data["reused"]})')

    pretrain_dir = osp.join(args.work_dir, 'pretrain')
    checkpoint = pretrain(DETCO_CONFIG, pretrain_dir, args.data_root)
    backbone = export_backbone(checkpoint,
                               osp.join(args.work_dir, 'backbone.pth'))
    # the random initialisation the pre-training started from
    initial = random_init_backbone(args.work_dir)
    backbones = dict(pretrained=backbone, random_init=initial)
    dense_probes = dict(pixels=dense_miou(args.data_root))
    for name, weights in backbones.items():
        dense_probes[name] = dense_miou(args.data_root, weights)
    probes = probes_side_by_side(
        {
            name: (weights, 0)
            for name, weights in backbones.items()
        }, args.work_dir, args.data_root)
    health = pretrain_health(DETCO_CONFIG, pretrain_dir)
    chance, terms = health['chance_loss'], health['terms']
    collapsed = health['collapsed_branches']
    summary = dict(
        pretrain_config=DETCO_CONFIG,
        pretrain_checkpoint=checkpoint,
        chance_loss=round(chance, 3),
        **terms,
        worst_term_vs_chance=health['worst_term_vs_chance'],
        terms_not_falling=health['terms_not_falling'],
        collapsed_branches=collapsed,
        knn_top1_pixels=health['knn_top1_pixels'],
        knn_top1_random_init=health['knn_top1_random_init'],
        knn_top1_pretrained=health['knn_top1_pretrained'],
        backbone=backbone,
        dense_name=DENSE_NAME,
        dense_pixels=dense_probes['pixels'],
        dense_random_init=dense_probes['random_init'],
        dense_pretrained=dense_probes['pretrained'],
        probe_name=PROBE_NAME,
        probe_config=PROBE_CONFIG,
        probe_random_init=probes['random_init'],
        probe_pretrained=probes['pretrained'])
    if args.finetune:
        ap = finetune(
            osp.join(args.work_dir, 'detector'), args.data_root, backbone)
        summary.update(
            detector_config=DETECTOR_CONFIG,
            bbox_AP=ap['AP'],
            bbox_AP50=ap['AP50'],
            bbox_AP75=ap['AP75'])
    summary['minutes'] = round((time.time() - start) / 60, 1)
    path = osp.join(args.work_dir, 'summary.json')
    with open(path, 'w') as f:
        json.dump(summary, f, indent=2)
    print('\nDetCo demo')
    print(f'  loss terms (last)   chance ln(K + 1) = {chance:.3f}; worst '
          f'term at {summary["worst_term_vs_chance"]:.2f} x chance')
    for name, value in terms.items():
        print(f'    {name:<16} {value:.3f} ({value / chance:.2f} x chance)')
    print('  terms not falling   ' +
          (', '.join(summary['terms_not_falling']) or 'none'))
    print('  collapsed branches  ' + (', '.join(collapsed) or 'none'))
    print(f'  kNN top-1 (val)     {summary["knn_top1_pixels"]:.1f} (raw '
          f'pixels) | {summary["knn_top1_random_init"]:.1f} (random init) | '
          f'{summary["knn_top1_pretrained"]:.1f} (pre-trained)')
    print(f'  dense probe         {DENSE_NAME}: '
          f'{dense_probes["pixels"]:.1f} (raw pixels) | '
          f'{dense_probes["random_init"]:.1f} (random init) | '
          f'{dense_probes["pretrained"]:.1f} (pre-trained)')
    print(f'  probe               {PROBE_NAME}: '
          f'{probes["random_init"]:.1f} (random init) | '
          f'{probes["pretrained"]:.1f} (pre-trained)')
    if args.finetune:
        print(f'  fine-tuned (val)    bbox AP {ap["AP"]:.1f} | '
              f'AP50 {ap["AP50"]:.1f} | AP75 {ap["AP75"]:.1f}')
    print(f'  wall time           {summary["minutes"]} min')
    print(f'  summary             {path}')


if __name__ == '__main__':
    main()
