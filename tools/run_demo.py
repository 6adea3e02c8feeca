# Copyright (c) mmdetco contributors. All rights reserved.
"""The embedded demo: DetCo pre-training -> backbone export -> detector
fine-tuning -> AP, on generated data and a CPU.

Usage (from the repository root, in the project environment; ``make demo``)::

    python tools/run_demo.py [--data-root data/demo] \
        [--work-dir work_dirs/demo]

1. generate the demo data into ``--data-root`` (deterministic, reused);
2. pre-train DetCo (ResNet-18, shrunken views) with the mm runner;
3. export the query backbone;
4. fine-tune Faster R-CNN R18-FPN on the demo COCO train split from it, and
   evaluate on the val split;
5. print a summary and write it to ``WORK_DIR/summary.json``: the final
   value of every pre-training loss term (``loss_{term}_{level}``) against
   chance (``ln(K + 1)``), the branches that collapsed, the kNN top-1 of the
   random initialisation and of the pre-trained backbone, and bbox AP.

Every step resumes from what an interrupted run left behind.
"""
import argparse
import json
import os.path as osp
import time

from mmdetco.apis import (DETCO_CONFIG, DETECTOR_CONFIG, export_backbone,
                          finetune, pretrain, pretrain_health, read_log)
from mmdetco.datasets import generate_demo_data


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--seed', type=int, default=0, help='data seed')
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
    ap = finetune(
        osp.join(args.work_dir, 'detector'), args.data_root, backbone)

    health = pretrain_health(DETCO_CONFIG, pretrain_dir)
    chance, terms = health['chance_loss'], health['terms']
    collapsed = health['collapsed_branches']
    losses = read_log(pretrain_dir, 'loss')
    summary = dict(
        pretrain_config=DETCO_CONFIG,
        pretrain_checkpoint=checkpoint,
        pretrain_loss_first=round(losses[0], 3),
        pretrain_loss_last=round(losses[-1], 3),
        chance_loss=round(chance, 3),
        **terms,
        worst_term_vs_chance=health['worst_term_vs_chance'],
        collapsed_branches=collapsed,
        knn_top1_random_init=health['knn_top1_random_init'],
        knn_top1_pretrained=health['knn_top1_pretrained'],
        backbone=backbone,
        detector_config=DETECTOR_CONFIG,
        bbox_AP=ap['AP'],
        bbox_AP50=ap['AP50'],
        bbox_AP75=ap['AP75'],
        minutes=round((time.time() - start) / 60, 1))
    path = osp.join(args.work_dir, 'summary.json')
    with open(path, 'w') as f:
        json.dump(summary, f, indent=2)
    print('\nDetCo demo')
    print(f'  pre-training loss   {summary["pretrain_loss_first"]:.3f} '
          f'(first) -> {summary["pretrain_loss_last"]:.3f} (last)')
    print(f'  loss terms (last)   chance ln(K + 1) = {chance:.3f}; worst '
          f'term at {summary["worst_term_vs_chance"]:.2f} x chance')
    for name, value in terms.items():
        print(f'    {name:<16} {value:.3f} ({value / chance:.2f} x chance)')
    print('  collapsed branches  ' + (', '.join(collapsed) or 'none'))
    print(f'  kNN top-1 (val)     {summary["knn_top1_random_init"]:.1f} '
          f'(random init) -> {summary["knn_top1_pretrained"]:.1f} '
          '(pre-trained)')
    print(f'  detector (val)      bbox AP {ap["AP"]:.1f} | '
          f'AP50 {ap["AP50"]:.1f} | AP75 {ap["AP75"]:.1f}')
    print(f'  wall time           {summary["minutes"]} min')
    print(f'  summary             {path}')


if __name__ == '__main__':
    main()
