# Copyright (c) mmdetco contributors. All rights reserved.
"""The kNN top-1 of a pre-training checkpoint, offline: the figure that
``KNNMonitorHook`` logs as ``knn/top1`` during training, for any checkpoint.

The model of the pre-training CONFIG is loaded from CHECKPOINT (every
weight: a backbone-only file is refused); the data sets, ``k`` and
``temperature`` are those of the config's ``KNNMonitorHook`` (in
``custom_hooks``), ``--k`` and ``--temperature`` override the last two. The
features are extracted and classified as the hook does
(:func:`mmdetco.evaluation.extract_features`,
:meth:`KNNMonitorHook.knn_top1`), on every process of a ``--launcher``
run::

    python tools/analysis_tools/knn_eval.py \\
        configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py \\
        work_dirs/demo/pretrain/epoch_24.pth [--k 20] [--out feats.pth]
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Optional

import torch
from mmengine.dist import is_main_process

from mmdetco.engine import KNNMonitorHook
from mmdetco.evaluation import extract_features
from mmdetco.utils import get_ori_model
from mmdetco.utils.runner_args import (add_runner_args, build_runner,
                                       runner_config)


def parse_args(args=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='kNN top-1 of a pre-training checkpoint on the data '
        'sets of its config\'s KNNMonitorHook')
    parser.add_argument('config', help='pre-training config file path')
    parser.add_argument('checkpoint', help='checkpoint file (path or URL)')
    parser.add_argument(
        '--k', type=int, help='number of neighbours (default: the hook\'s)')
    parser.add_argument(
        '--temperature',
        type=float,
        help='vote temperature (default: the hook\'s)')
    parser.add_argument(
        '--out',
        help='also save the features and labels of both splits, with k, '
        'temperature and top-1, to this .pth file')
    add_runner_args(parser)
    return parser.parse_args(args)


def knn_monitor(cfg, args: argparse.Namespace) -> KNNMonitorHook:
    """The first ``KNNMonitorHook`` of ``cfg.custom_hooks``, with the
    ``--k`` and ``--temperature`` of ``args``."""
    for hook in cfg.get('custom_hooks', []):
        if hook.get('type') in ('KNNMonitorHook', KNNMonitorHook):
            kwargs = {
                key: value
                for key, value in hook.items()
                if key not in ('type', 'priority')
            }
            for key in ('k', 'temperature'):
                if getattr(args, key) is not None:
                    kwargs[key] = getattr(args, key)
            return KNNMonitorHook(**kwargs)
    sys.exit(f'{args.config} has no KNNMonitorHook in its `custom_hooks`: '
             'this tool reads its data sets from there')


def _cpu(rows: Optional[Dict[str, torch.Tensor]]):
    """``rows`` on the CPU (None stays None)."""
    return None if rows is None else {
        key: value.cpu()
        for key, value in rows.items()
    }


def main():
    args = parse_args()
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        sys.exit(f'no such checkpoint: {args.checkpoint}')
    cfg = runner_config(args)
    hook = knn_monitor(cfg, args)
    runner = build_runner(cfg)
    runner.load_checkpoint(args.checkpoint, strict=True)
    model = get_ori_model(runner.model)
    bank = extract_features(
        model, runner.build_dataloader(hook.dataloader_cfg, seed=runner.seed))
    queries = None
    if hook.query_dataloader_cfg is not None:
        queries = extract_features(
            model,
            runner.build_dataloader(
                hook.query_dataloader_cfg, seed=runner.seed))
    top1 = hook.knn_top1(bank, queries)
    runner.logger.info(
        f'kNN (k={hook.k}, {len((queries or bank)["labels"])} samples) of '
        f'{args.checkpoint}: knn/top1 {top1:.2f}')
    if args.out is not None and is_main_process():
        torch.save(
            dict(
                bank=_cpu(bank),
                queries=_cpu(queries),
                k=hook.k,
                temperature=hook.temperature,
                top1=top1), args.out)


if __name__ == '__main__':
    main()
