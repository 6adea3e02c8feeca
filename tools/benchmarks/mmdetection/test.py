# Copyright (c) mmdetco contributors. All rights reserved.
"""Evaluate a detector fine-tuned by the DetCo benchmarks with MMDetection.

A thin wrapper: it imports :mod:`mmdetco` (so that
``torch.load(weights_only=True)``, the default since torch 2.6, reads the
full mmengine checkpoints the fine-tuning writes) and
:mod:`mmpretrain.models` (``ResLayerExtraNorm``), then runs MMDetection's
own ``tools/test.py`` -- what ``mim test mmdet`` runs -- with the same
arguments::

    python tools/benchmarks/mmdetection/test.py CONFIG CHECKPOINT
        [--work-dir DIR] [--out RESULTS.pkl] [--cfg-options ...]
        [--launcher {none,pytorch,slurm,mpi}] [--tta]

CHECKPOINT is the fine-tuned detector (e.g.
``work_dirs/benchmarks/<config>/<pretrain dir>_<pretrain name>-<hash>/
iter_90000.pth``), not the
pre-trained DetCo checkpoint.
"""
import os.path as osp
import runpy
import sys

import mmdet
import mmpretrain.models  # noqa: F401  (ResLayerExtraNorm into mmdet)

import mmdetco  # noqa: F401  (safe loading of mmengine checkpoints)

MMDET_SCRIPT = osp.join(
    osp.dirname(mmdet.__file__), '.mim', 'tools', 'test.py')


def main():
    if not osp.isfile(MMDET_SCRIPT):
        sys.exit(f'MMDetection\'s test script {MMDET_SCRIPT} is missing: '
                 'install mmdet (>=3.3, <3.4) from PyPI.')
    runpy.run_path(MMDET_SCRIPT, run_name='__main__')


if __name__ == '__main__':
    main()
