# Copyright (c) mmdetco contributors. All rights reserved.
"""The embedded demo: DetCo pre-training on generated data, on a CPU.

Usage (from the repository root, in the project environment)::

    python tools/run_demo.py [--data-root data/demo] [--work-dir work_dirs/demo]

Steps, each skipped when its output already exists (a re-run resumes):

1. generate the demo data set into ``--data-root`` (deterministic);
2. pre-train DetCo (ResNet-18, shrunken views) with the mm runner;
3. print a summary and write it to ``WORK_DIR/summary.json``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
PRETRAIN_CONFIG = 'configs/detco/detco_resnet18_1xb32-coslr-4e_demo.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--seed', type=int, default=0, help='data seed')
    return parser.parse_args(argv)


def run(cmd):
    """Run a command in the repository root, streaming its output."""
    print('+', ' '.join(cmd), flush=True)
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def read_losses(work_dir):
    """The ``loss`` values of the newest json log of a run, in order."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', '*.json')))
    logs = [p for p in logs if osp.basename(p) != 'scalars.json']
    if not logs:
        raise FileNotFoundError(f'no json log found under {work_dir}')
    losses = []
    for path in logs:  # a resumed run continues in a new log
        with open(path) as f:
            losses += [
                json.loads(line)['loss'] for line in f if '"loss"' in line
            ]
    return losses


def pretrain(args):
    """Pre-train DetCo on the demo images; returns its work dir."""
    work_dir = osp.join(args.work_dir, 'pretrain')
    run([
        sys.executable, 'tools/train.py', PRETRAIN_CONFIG, '--work-dir',
        work_dir, '--resume', '--cfg-options',
        f'train_dataloader.dataset.data_root={args.data_root}'
    ])
    return work_dir


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    sys.path.insert(0, ROOT)
    from mmdetco.datasets import generate_demo_data
    data = generate_demo_data(args.data_root, seed=args.seed)
    print(f'demo data: {args.data_root} ({data["num_pretrain"]} pre-training '
          f'images, reused: {data["reused"]})')

    work_dir = pretrain(args)
    losses = read_losses(work_dir)
    with open(osp.join(ROOT, work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    summary = dict(
        pretrain_config=PRETRAIN_CONFIG,
        pretrain_checkpoint=checkpoint,
        pretrain_loss_first=losses[0],
        pretrain_loss_last=losses[-1],
        minutes=round((time.time() - start) / 60, 1))
    path = osp.join(args.work_dir, 'summary.json')
    with open(path, 'w') as f:
        json.dump(summary, f, indent=2)
    print('\nDetCo demo summary')
    for key, value in summary.items():
        print(f'  {key:<22} {value}')
    print(f'written to {path}')


if __name__ == '__main__':
    main()
