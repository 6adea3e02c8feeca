# Copyright (c) mmdetco contributors. All rights reserved.
"""Convert a checkpoint released by the DetCo authors for the benchmarks.

Usage (from the repository root, with mmdetco installed, as
``tools/setup_env.sh`` does, or with ``PYTHONPATH=.``)::

    python tools/model_converters/convert_official_detco.py \\
        detco_200ep.pkl detco_200ep_mmdetco.pth

The authors released their ResNet-50 checkpoints (DetCo-200ep and
DetCo-200ep-AA) as ``.pkl`` files holding ``{'state_dict': backbone}`` in
torchvision / OpenSelfSup names (``conv1.weight``, ``bn1.*``,
``layer1.0.conv1.weight``, ...). This tool reads such a file with
``torch.load(weights_only=True)``, checks that it is a complete torchvision
ResNet backbone (naming the missing, unexpected or misshapen keys) and
writes ``{'state_dict': {'backbone.' + name: tensor}, 'meta': ...}``: what
the scripts of ``tools/benchmarks/mmdetection`` load as ``PRETRAIN`` (with
``prefix='backbone.'``, C4 res5 head included). The detectron2 and
torchvision converters read the released file directly. See
``docs/en/benchmarks.md``.
"""
import argparse
import os.path as osp
from collections import OrderedDict

import torch
from mmengine.utils import mkdir_or_exist

from mmdetco.utils import load_resnet_backbone


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description='Convert a released DetCo checkpoint for the '
        'mmdetco benchmarks')
    parser.add_argument('checkpoint', help='the released .pkl file')
    parser.add_argument('out', help='the output file, e.g. OUT.pth')
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    state_dict, depth = load_resnet_backbone(args.checkpoint)
    converted = OrderedDict(
        (f'backbone.{name}', tensor) for name, tensor in state_dict.items())
    mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(source=osp.abspath(args.checkpoint), depth=depth)),
        args.out)
    print(f'Saved the ResNet-{depth} backbone of {args.checkpoint} '
          f'({len(converted)} tensors, keys backbone.*) to {args.out}')


if __name__ == '__main__':
    main()
