# Copyright (c) mmdetco contributors. All rights reserved.
"""Extract the pre-trained backbone of a DetCo checkpoint.

Usage (from the repository root, with mmdetco installed, as
``tools/setup_env.sh`` does, or with ``PYTHONPATH=.``)::

    python tools/model_converters/extract_backbone_weights.py \\
        work_dirs/detco/epoch_200.pth detco_r50.pth [--with-prefix]

The output is ``{'state_dict': backbone, 'meta': source info}``. The
backbone is the query encoder's (``backbone.*``); the momentum key encoder
(``encoder_k.*``), the neck and the queues are dropped. The checkpoints
accepted: DetCo's and those of MMPretrain's self-supervised methods with a
momentum encoder (MoCo, DenseCL, BYOL, ...; docs/en/benchmarks.md, "How the
pre-trained weights are passed"). Any backbone is extracted, not only
ResNets.

How to load the weights into an MMPretrain or MMDetection ``ResNet``
backbone, which loads ``Pretrained`` weights with ``strict=False``:

- the output of this tool (keys without prefix)::

      backbone=dict(
          type='ResNet', depth=50,
          init_cfg=dict(type='Pretrained', checkpoint='detco_r50.pth'))

- the DetCo checkpoint itself, or the output of ``--with-prefix`` (keys
  ``backbone.*``): select the query backbone with ``prefix``::

      init_cfg=dict(
          type='Pretrained', checkpoint='epoch_200.pth', prefix='backbone.')

  The output of ``--with-prefix`` can also be a whole model's
  ``load_from``, e.g. of a detector whose backbone is ``backbone``.

Mixing them up fails: ``prefix='backbone.'`` on the output without prefix
raises ``AssertionError: backbone. is not in the pretrained model``, and a
file with ``backbone.*`` keys loaded without ``prefix`` matches no key of
the backbone, which then silently stays randomly initialised (mmengine only
logs the missing keys).
"""
import argparse

from mmdetco.utils.weights import BACKBONE_PREFIX, export_backbone


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description='Extract the query backbone of a DetCo (or MMPretrain '
        'self-supervised) checkpoint')
    parser.add_argument('checkpoint', help='the DetCo checkpoint')
    parser.add_argument('out', help='the output file')
    parser.add_argument(
        '--with-prefix',
        action='store_true',
        help=f'keep the "{BACKBONE_PREFIX}" prefix of the keys')
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    state_dict = export_backbone(args.checkpoint, args.out, args.with_prefix)
    num_params = sum(value.numel() for value in state_dict.values())
    print(f'Saved the query backbone of {args.checkpoint} '
          f'({len(state_dict)} tensors, {num_params} values, keys '
          f'{"with" if args.with_prefix else "without"} prefix) to {args.out}')


if __name__ == '__main__':
    main()
