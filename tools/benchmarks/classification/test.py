# Copyright (c) mmdetco contributors. All rights reserved.
"""Evaluate a linear probe of the DetCo benchmarks with MMPretrain.

A thin wrapper: it imports :mod:`mmdetco` (so that
``torch.load(weights_only=True)``, the default since torch 2.6, reads the
full mmengine checkpoints the probe's training writes), then runs
MMPretrain's own ``tools/test.py`` -- what ``mim test mmpretrain`` runs --
with the same arguments::

    python tools/benchmarks/classification/test.py CONFIG CHECKPOINT
        [--work-dir DIR] [--out RESULTS.pkl] [--cfg-options ...]
        [--launcher {none,pytorch,slurm,mpi}] [--tta]

CHECKPOINT is the trained probe (e.g.
``work_dirs/benchmarks/<config>/<pretrain dir>_<pretrain name>-<hash>/
epoch_100.pth``), not the pre-trained DetCo checkpoint. Training needs no
wrapper: ``tools/train.py`` trains MMPretrain configs.
"""
import os.path as osp
import runpy
import sys

import mmpretrain

import mmdetco  # noqa: F401  (safe loading of mmengine checkpoints)

MMPRETRAIN_SCRIPT = osp.join(
    osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'test.py')


def main():
    if not osp.isfile(MMPRETRAIN_SCRIPT):
        sys.exit(f'MMPretrain\'s test script {MMPRETRAIN_SCRIPT} is missing: '
                 'install mmpretrain (>=1.2, <1.3) from PyPI.')
    runpy.run_path(MMPRETRAIN_SCRIPT, run_name='__main__')


if __name__ == '__main__':
    main()
