# Copyright (c) mmdetco contributors. All rights reserved.
"""Convert the backbone of a DetCo checkpoint to a detectron2 ResNet.

Usage (from the repository root, with mmdetco installed, as
``tools/setup_env.sh`` does, or with ``PYTHONPATH=.``)::

    python tools/model_converters/convert_to_detectron2.py \\
        work_dirs/detco/epoch_200.pth detco_r50.pkl

The names follow MoCo's ``convert-pretrain-to-detectron2.py``, used by the
detectron2 configs of MoCo and DetCo. The output is a pickle of
``{'model': {name: numpy array}, '__author__': 'mmdetco',
'matching_heuristics': True}`` holding exactly (``num_batches_tracked``
is dropped; ``{norm}`` stands for ``weight``, ``bias``, ``running_mean``
and ``running_var``):

- ``stem.conv1.weight`` and ``stem.conv1.norm.{norm}``;
- for each stage ``s`` in 2 to 5 and block ``i`` of it (ResNet-50:
  3, 4, 6 and 3 blocks; 101: 3, 4, 23, 3; 152: 3, 8, 36, 3):
  ``res{s}.{i}.conv{k}.weight`` and ``res{s}.{i}.conv{k}.norm.{norm}``
  for ``k`` in 1 to 3 (1 to 2 in the basic blocks of ResNet-18/34);
- ``res{s}.0.shortcut.weight`` and ``res{s}.0.shortcut.norm.{norm}`` for
  every stage, except ``res2`` of ResNet-18/34, which has no shortcut.

They come from MMPretrain's (and torchvision's) names: ``conv1`` / ``bn1``
-> ``stem.conv1`` / ``stem.conv1.norm``, ``layer{n}`` -> ``res{n + 1}``,
``bn{k}`` -> ``conv{k}.norm``, ``downsample.0`` / ``.1`` -> ``shortcut`` /
``shortcut.norm``. In detectron2, set ``MODEL.WEIGHTS`` to the output,
``MODEL.RESNETS.DEPTH`` to the depth, ``MODEL.RESNETS.STRIDE_IN_1X1`` to
False (the stride is in the 3x3 convolution), and, for ResNet-18/34,
``MODEL.RESNETS.RES2_OUT_CHANNELS`` to 64. As in the MoCo configs, the
input must be normalised as in pre-training, e.g. ``INPUT.FORMAT='RGB'``
with the ImageNet ``PIXEL_MEAN`` [123.675, 116.28, 103.53] and
``PIXEL_STD`` [58.395, 57.12, 57.375] if DetCo was trained on RGB images
normalised so.
"""
import argparse
import os.path as osp
import pickle

from mmengine.utils import mkdir_or_exist

from mmdetco.utils import load_resnet_backbone


def detectron2_name(key: str) -> str:
    """The detectron2 name of a ResNet backbone key, e.g.
    ``layer1.0.bn1.weight`` -> ``res2.0.conv1.norm.weight``."""
    if not key.startswith('layer'):
        key = 'stem.' + key
    for stage in range(1, 5):
        key = key.replace(f'layer{stage}.', f'res{stage + 1}.')
    for k in range(1, 4):
        key = key.replace(f'bn{k}.', f'conv{k}.norm.')
    key = key.replace('downsample.0.', 'shortcut.')
    return key.replace('downsample.1.', 'shortcut.norm.')


def convert_to_detectron2(state_dict: dict) -> dict:
    """Convert a ResNet backbone state dict to detectron2's names.

    Args:
        state_dict (dict): The backbone, checked with
            :func:`mmdetco.utils.infer_resnet_depth`.

    Returns:
        dict: The detectron2 checkpoint (see the module docstring).
    """
    model = {
        detectron2_name(key): value.detach().cpu().numpy()
        for key, value in state_dict.items()
        if not key.endswith('num_batches_tracked')
    }
    return {
        'model': model,
        '__author__': 'mmdetco',
        'matching_heuristics': True
    }


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description='Convert the backbone of a DetCo checkpoint to a '
        'detectron2 ResNet')
    parser.add_argument('checkpoint', help='the DetCo checkpoint')
    parser.add_argument('out', help='the output file, e.g. OUT.pkl')
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    state_dict, depth = load_resnet_backbone(args.checkpoint)
    converted = convert_to_detectron2(state_dict)
    mkdir_or_exist(osp.dirname(args.out))
    with open(args.out, 'wb') as f:
        pickle.dump(converted, f)
    print(f'Saved detectron2 R-{depth} weights ({len(converted["model"])} '
          f'arrays) converted from {args.checkpoint} to {args.out}')


if __name__ == '__main__':
    main()
