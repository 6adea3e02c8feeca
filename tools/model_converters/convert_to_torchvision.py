# Copyright (c) mmdetco contributors. All rights reserved.
"""Convert the backbone of a DetCo checkpoint to a torchvision ResNet.

Usage (from the repository root, with mmdetco installed, as
``tools/setup_env.sh`` does, or with ``PYTHONPATH=.``)::

    python tools/model_converters/convert_to_torchvision.py \\
        work_dirs/detco/epoch_200.pth detco_r50_torchvision.pth

The output is a plain state dict of ``torchvision.models.resnet{depth}``,
the depth (18, 34, 50, 101 or 152) being inferred from the keys::

    model = torchvision.models.resnet50(weights=None)
    model.load_state_dict(torch.load('detco_r50_torchvision.pth'))

MMPretrain's ``ResNet`` (default ``style='pytorch'``) and torchvision's
ResNet have the same keys (``conv1``, ``bn1``, ``layer{1-4}.{i}.conv{k}``,
``bn{k}``, ``downsample.0`` (conv) and ``.1`` (BN)), so the tensors are
copied under the same names; layouts other than torchvision's (e.g.
``ResNetV1d``, ResNeXt) are refused. DetCo has no classifier: ``fc.weight``
and ``fc.bias`` (1000 classes) are zeros, so that a strict
``load_state_dict`` works; they are NOT pre-trained. The conversion is
checked by loading the result into the torchvision model with
``strict=True``.
"""
import argparse
import os.path as osp
from collections import OrderedDict

import torch
import torchvision
from mmengine.utils import mkdir_or_exist

from mmdetco.utils import load_resnet_backbone


def convert_to_torchvision(state_dict: dict, depth: int) -> OrderedDict:
    """Convert a ResNet backbone state dict to torchvision's ResNet.

    Args:
        state_dict (dict): The backbone, checked with
            :func:`mmdetco.utils.infer_resnet_depth`.
        depth (int): Its depth.

    Returns:
        OrderedDict: The state dict of ``torchvision.models.resnet{depth}``,
        in its key order, with a zero ``fc``.
    """
    model = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    converted = OrderedDict()
    for key, value in model.state_dict().items():
        if key.startswith('fc.'):
            converted[key] = torch.zeros_like(value)
        elif key.endswith('num_batches_tracked') and key not in state_dict:
            converted[key] = value
        else:
            converted[key] = state_dict[key]
    model.load_state_dict(converted, strict=True)
    return converted


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description='Convert the backbone of a DetCo checkpoint to a '
        'torchvision ResNet state dict')
    parser.add_argument('checkpoint', help='the DetCo checkpoint')
    parser.add_argument('out', help='the output file, e.g. OUT.pth')
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    state_dict, depth = load_resnet_backbone(args.checkpoint)
    converted = convert_to_torchvision(state_dict, depth)
    mkdir_or_exist(osp.dirname(args.out))
    torch.save(converted, args.out)
    print(f'Saved torchvision resnet{depth} weights ({len(converted)} '
          f'tensors) converted from {args.checkpoint} to {args.out}; '
          'fc is zero, NOT pre-trained')


if __name__ == '__main__':
    main()
