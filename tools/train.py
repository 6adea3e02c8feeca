# Copyright (c) mmdetco contributors. All rights reserved.
"""Train a model from a config, as MMPretrain's ``tools/train.py`` does.

Everything a DetCo run does is in its config (docs/en/launch.md), so this
script, MIM's and MMPretrain's ``tools/train.py`` and ``Runner.from_cfg``
train the same way. Besides MMPretrain's options it has ``--amp bf16`` and
``--gpu-aug``, which trains the ``*_gpuaug.py`` variant of the config.
"""
import argparse
from copy import deepcopy
from functools import partial

from mmengine.config import ConfigDict

from mmdetco.utils import gpu_aug_config
from mmdetco.utils.runner_args import (add_runner_args, build_runner,
                                       runner_config)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--amp',
        nargs='?',
        choices=['fp16', 'bf16'],
        const='fp16',
        help='enable automatic-mixed-precision training (fp16 by default, '
        'or bf16)')
    parser.add_argument(
        '--gpu-aug',
        action='store_true',
        help='train the `*_gpuaug.py` variant of the config: colour jitter, '
        'greyscale and blur of the views on the device '
        '(docs/en/performance.md)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='whether not to evaluate the checkpoint during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='whether to auto scale the learning rate according to the '
        'actual batch size and the original batch size.')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='whether to disable the persistent_workers option in dataloaders.'
    )
    add_runner_args(parser)
    return parser.parse_args()


def merge_args(cfg, args):
    """Apply the training options of ``args`` to ``cfg`` (before
    ``--cfg-options``, which come last)."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    # enable automatic-mixed-precision training
    if args.amp is not None:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        cfg.optim_wrapper.dtype = dict(
            fp16='float16', bf16='bfloat16')[args.amp]

    # resume training
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    # enable auto scale learning rate
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    # set dataloader args
    default_dataloader_cfg = ConfigDict(
        pin_memory=True,
        persistent_workers=True,
        collate_fn=dict(type='default_collate'),
    )
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(field, None) is None:
            continue
        dataloader_cfg = deepcopy(default_dataloader_cfg)
        dataloader_cfg.update(cfg[field])
        cfg[field] = dataloader_cfg
        if args.no_pin_memory:
            cfg[field]['pin_memory'] = False
        if args.no_persistent_workers:
            cfg[field]['persistent_workers'] = False


def main():
    args = parse_args()
    if args.gpu_aug:
        args.config = gpu_aug_config(args.config)
    cfg = runner_config(args, partial(merge_args, args=args))
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
