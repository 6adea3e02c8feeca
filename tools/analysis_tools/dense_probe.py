# Copyright (c) mmdetco contributors. All rights reserved.
"""The dense probe of frozen backbones on the demo data: a linear per-cell
classifier of the demo's objects on res2-res5 features
(:mod:`mmdetco_demo.dense_probe`, docs/en/demo.md).

Prints one JSON line per checkpoint (and for the raw pixels with
``--pixels``): ``miou`` and ``cell_acc`` on the val split::

    python tools/analysis_tools/dense_probe.py \\
        work_dirs/demo/backbone_pretrained.pth --pixels
"""
import argparse
import json

from mmdetco_demo import CLASSES
from mmdetco_demo.dense_probe import dense_probe, pixel_probe
from mmdetco_demo.scenes import data_layout


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'checkpoints', nargs='*', help='backbones or pre-training checkpoints')
    parser.add_argument(
        '--data-root', default='data/demo', help='the demo data (data/demo)')
    parser.add_argument(
        '--grid', type=int, default=20, help='cells per image side (20)')
    parser.add_argument(
        '--pixels', action='store_true', help='also probe the raw pixels')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    data = dict(data_layout(args.data_root), classes=CLASSES)
    runs = [(path, lambda path=path: dense_probe(path, data, args.grid))
            for path in args.checkpoints]
    if args.pixels:
        runs.append(('pixels', lambda: pixel_probe(data, args.grid)))
    for name, run in runs:
        print(json.dumps(dict(backbone=name, grid=args.grid, **run())))


if __name__ == '__main__':
    main()
