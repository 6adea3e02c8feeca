# Copyright (c) mmdetco contributors. All rights reserved.
"""The options, config reading and runner building that the tools which run
a config through mmengine's ``Runner`` share with ``tools/train.py``, and
the command line of ``tools/train.py`` itself (:func:`train_parser`,
:func:`train_config`), so that a training run in a Python process is
configured as the script configures it."""
import argparse
import os
import os.path as osp
from copy import deepcopy
from functools import partial
from typing import Callable, Optional

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .gpu_aug_config import gpu_aug_config


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher`` and
    ``--local-rank`` to ``parser``."""
    parser.add_argument(
        '--work-dir',
        help='the dir to save logs (default: the config\'s `work_dir`, else '
        'work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config as KEY=VALUE pairs, merged '
        'into it; a list value as key="[a,b]" or key=a,b, nested ones as '
        'key="[(a,b),(c,d)]", with the quotes and no white space')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or
    # --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def runner_config(args: argparse.Namespace,
                  adjust: Optional[Callable[[Config], None]] = None) -> Config:
    """``args.config`` read, with the launcher, the work dir (``--work-dir``,
    else the config's, else ``work_dirs/<config name>``), a tool's own
    changes (``adjust(cfg)``) and, last, the ``--cfg-options`` of ``args``
    (see :func:`add_runner_args`); sets ``LOCAL_RANK`` from ``--local-rank``
    unless a launcher did."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if adjust is not None:
        adjust(cfg)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The runner of ``cfg``: its ``runner_type`` from mmengine's
    ``RUNNERS`` (e.g. ``CPUDistributedRunner``), else :class:`Runner`."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def train_parser() -> argparse.ArgumentParser:
    """The command line of ``tools/train.py``: MMPretrain's options,
    ``--amp bf16``, ``--gpu-aug`` and those of :func:`add_runner_args`."""
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
    return parser


def merge_train_args(cfg: Config, args: argparse.Namespace) -> None:
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


def train_config(args: argparse.Namespace) -> Config:
    """The config that ``tools/train.py`` trains for the arguments ``args``
    of :func:`train_parser`: ``args.config`` (its ``*_gpuaug.py`` variant
    with ``--gpu-aug``) with the training options and, last, the
    ``--cfg-options`` applied."""
    config = gpu_aug_config(args.config) if args.gpu_aug else args.config
    return runner_config(
        argparse.Namespace(**dict(vars(args), config=config)),
        partial(merge_train_args, args=args))
