# Copyright (c) mmdetco contributors. All rights reserved.
"""Probe the embeddings of a DetCo checkpoint: learned, or collapsed?

The first ``--num-images`` images of the config's train set go through its
pipeline twice (two independent samplings of the views); the query encoder
(backbone + neck, in train mode as during pre-training) embeds global view 1
and patch set 1 of both samplings (:meth:`DetCo.embed`). Per level and kind
(global, local) it prints:

- ``different``: the mean cosine between the embeddings of different images;
- ``same``: the mean cosine between the two samplings of one image;
- ``spread``: :func:`mmdetco.models.utils.embedding_spread` times
  ``sqrt(D)`` (about 1 when the embeddings are spread over the sphere, 0
  when collapsed).

A learning branch has ``same`` above ``different``; a collapsed one has both
at 1.00 and a spread near 0. Without ``--checkpoint`` the model is probed at
its initialisation.

Example::

    python tools/analysis_tools/embedding_probe.py \\
        configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py \\
        --checkpoint work_dirs/demo/pretrain/epoch_4.pth --data-root data/demo
"""
import argparse
import json
import math
import sys
from typing import Dict, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import default_collate
from mmengine.runner import load_checkpoint, set_random_seed
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.utils import register_all_modules

from mmdetco.models.utils import embedding_spread


def parse_args(args: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Probe the global and local embeddings of a DetCo '
        'checkpoint for collapse.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--checkpoint', help='checkpoint to probe (default: initialisation)')
    parser.add_argument(
        '--data-root', help='override train_dataloader.dataset.data_root')
    parser.add_argument(
        '--num-images', type=int, default=16, help='images probed (16)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (0)')
    parser.add_argument('--out', help='also write the figures to this json')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings of the config, as xxx=yyy pairs')
    opts = parser.parse_args(args)
    if opts.num_images < 2:
        parser.error(f'--num-images must be >= 2, got {opts.num_images}')
    return opts


@torch.no_grad()
def probe(model, samplings) -> Dict[str, Dict[str, float]]:
    """The figures per ``'{kind} {level}'`` of two samplings of a batch.

    Args:
        model (DetCo): The model, in the mode to probe.
        samplings (Sequence[list]): Two preprocessed ``inputs`` of the same
            images.

    Returns:
        dict: ``{'global res2': {'different', 'same', 'spread'}, ...}``.
    """
    embeddings = [model.embed(inputs) for inputs in samplings]
    figures = {}
    for k, kind in enumerate(('global', 'local')):
        for level, z1, z2 in zip(model.head.levels, embeddings[0][k],
                                 embeddings[1][k]):
            cos = z1 @ z1.T
            n = cos.shape[0]
            figures[f'{kind} {level}'] = dict(
                different=float((cos.sum() - cos.trace()) / (n * n - n)),
                same=float((z1 * z2).sum(dim=1).mean()),
                spread=float(embedding_spread(z1) * math.sqrt(z1.shape[1])))
    return figures


def main(args: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    opts = parse_args(args)
    cfg = Config.fromfile(opts.config)
    if opts.cfg_options:
        cfg.merge_from_dict(opts.cfg_options)
    if opts.data_root is not None:
        cfg.train_dataloader.dataset.data_root = opts.data_root
    register_all_modules(init_default_scope=True)

    set_random_seed(opts.seed)
    model = MODELS.build(cfg.model)
    if opts.checkpoint:
        load_checkpoint(model, opts.checkpoint, map_location='cpu')
    else:
        model.init_weights()
    model.train()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    if len(dataset) < opts.num_images:
        sys.exit(f'embedding_probe: the train set has {len(dataset)} '
                 f'images, fewer than --num-images {opts.num_images}.')
    samplings = [
        model.data_preprocessor(
            default_collate([dataset[i] for i in range(opts.num_images)]),
            False)['inputs'] for _ in range(2)
    ]
    figures = probe(model, samplings)
    print('| branch | different | same | spread x sqrt(D) |')
    print('| --- | --- | --- | --- |')
    for branch, f in figures.items():
        print(f'| {branch} | {f["different"]:.2f} | {f["same"]:.2f} | '
              f'{f["spread"]:.3f} |')
    if opts.out:
        with open(opts.out, 'w') as f:
            json.dump(figures, f, indent=2)
    return figures


if __name__ == '__main__':
    main()
