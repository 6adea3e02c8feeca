# Copyright (c) mmdetco contributors. All rights reserved.
"""Fine-tune a detector of the DetCo benchmarks with MMDetection.

A thin wrapper: it imports :mod:`mmdetco` (so that
``torch.load(weights_only=True)``, the default since torch 2.6, reads the
full mmengine training checkpoints of DetCo in ``Pretrained`` init and
``--resume``) and :mod:`mmpretrain.models` (``ResLayerExtraNorm``), then runs
MMDetection's own ``tools/train.py`` -- what ``mim train mmdet`` runs --
with the same arguments::

    python tools/benchmarks/mmdetection/train.py CONFIG [--work-dir DIR]
        [--resume [CKPT]] [--amp] [--auto-scale-lr] [--cfg-options ...]
        [--launcher {none,pytorch,slurm,mpi}]

The benchmark configs import both modules themselves (``custom_imports``),
so ``mim train mmdet CONFIG`` works as well; see
``tools/benchmarks/mmdetection/mim_dist_train_{c4,fpn}.sh`` for the
``--cfg-options`` that pass the pre-trained checkpoint.
"""
import os.path as osp
import runpy
import sys

import mmdet
import mmpretrain.models  # noqa: F401  (ResLayerExtraNorm into mmdet)

import mmdetco  # noqa: F401  (safe loading of mmengine checkpoints)

MMDET_SCRIPT = osp.join(
    osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')


def main():
    if not osp.isfile(MMDET_SCRIPT):
        sys.exit(f'MMDetection\'s training script {MMDET_SCRIPT} is missing: '
                 'install mmdet (>=3.3, <3.4) from PyPI.')
    runpy.run_path(MMDET_SCRIPT, run_name='__main__')


if __name__ == '__main__':
    main()
