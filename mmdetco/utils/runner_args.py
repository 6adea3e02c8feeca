# Copyright (c) mmdetco contributors. All rights reserved.
"""The options, config reading and runner building that the tools which run
a config through mmengine's ``Runner`` share with ``tools/train.py``."""
import argparse
import os
import os.path as osp
from typing import Callable, Optional

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner


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
