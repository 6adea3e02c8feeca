# Copyright (c) mmdetco contributors. All rights reserved.
"""Generate a tiny synthetic data set in ImageNet's folder layout.

For rehearsals of the pre-training configs (their ``ImageNet`` data sets
with ``split='train'`` and ``split='val'``) on machines without ImageNet::

    OUT/train/n00000000/n00000000_0.JPEG ...   one folder per class
    OUT/val/n00000000/n00000000_0.JPEG ...
    OUT/meta/train.txt, OUT/meta/val.txt       "n00000000/n00000000_0.JPEG 0"

Every image is a smooth random colour field plus noise, its mean colour
drawn per class, from ``np.random.default_rng([seed, split, class,
index])``: the same arguments give the same files.

Example::

    python tools/dataset_converters/generate_tiny_imagenet.py data/tiny \\
        --num-classes 2 --train-per-class 4 --val-per-class 2 --size 64

and ``--cfg-options train_dataloader.dataset.data_root=data/tiny`` (and
the same for the data sets of the config's hooks).
"""
import argparse
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
from PIL import Image

SPLITS = ('train', 'val')


def generate_tiny_imagenet(out_dir: str,
                           num_classes: int = 2,
                           train_per_class: int = 4,
                           val_per_class: int = 2,
                           size: int = 64,
                           seed: int = 0) -> Dict[str, int]:
    """Write a tiny ImageNet-layout data set to ``out_dir``.

    ``generate_tiny_imagenet(out_dir, num_classes=2, train_per_class=4,
    val_per_class=2, size=64, seed=0) -> {'train': 8, 'val': 4}``

    Args:
        out_dir (str): The data root to write (created if missing; files of
            the same names are replaced).
        num_classes (int): Class folders ``n00000000``, ``n00000001``, ...
            Defaults to 2.
        train_per_class (int): Images per class of the train split.
            Defaults to 4.
        val_per_class (int): Images per class of the val split; 0 writes no
            val split. Defaults to 2.
        size (int): Width and height of every image in pixels. Defaults
            to 64.
        seed (int): The seed of the data set. Defaults to 0.

    Returns:
        dict: The number of images written per split.
    """
    if num_classes < 1 or train_per_class < 1 or val_per_class < 0:
        raise ValueError(
            'generate_tiny_imagenet: need num_classes >= 1, '
            f'train_per_class >= 1 and val_per_class >= 0, got '
            f'{num_classes}, {train_per_class}, {val_per_class}.')
    if size < 8:
        raise ValueError(
            f'generate_tiny_imagenet: size must be >= 8, got {size}.')
    counts = {}
    os.makedirs(osp.join(out_dir, 'meta'), exist_ok=True)
    for split_id, (split, per_class) in enumerate(
            zip(SPLITS, (train_per_class, val_per_class))):
        if not per_class:
            continue
        lines = []
        for label in range(num_classes):
            wnid = f'n{label:08d}'
            os.makedirs(osp.join(out_dir, split, wnid), exist_ok=True)
            colour = np.random.default_rng([seed, label]).uniform(40, 215, 3)
            for index in range(per_class):
                rng = np.random.default_rng([seed, split_id, label, index])
                name = f'{wnid}/{wnid}_{index}.JPEG'
                Image.fromarray(_image(rng, colour, size)).save(
                    osp.join(out_dir, split, name), quality=90)
                lines.append(f'{name} {label}\n')
        with open(osp.join(out_dir, 'meta', f'{split}.txt'), 'w') as f:
            f.writelines(lines)
        counts[split] = len(lines)
    return counts


def _image(rng: np.random.Generator, colour: np.ndarray,
           size: int) -> np.ndarray:
    """A ``(size, size, 3)`` uint8 image: a coarse random field around
    ``colour``, upsampled, plus pixel noise."""
    coarse = colour + rng.normal(0, 40, (4, 4, 3))
    field = np.kron(coarse, np.ones((size // 4 + 1, size // 4 + 1, 1)))
    field = field[:size, :size] + rng.normal(0, 10, (size, size, 3))
    return np.clip(field, 0, 255).astype(np.uint8)


def parse_args(args: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a tiny synthetic data set in ImageNet\'s '
        'folder layout (train/, val/, meta/).')
    parser.add_argument('out_dir', help='data root to write')
    parser.add_argument(
        '--num-classes', type=int, default=2, help='class folders (2)')
    parser.add_argument(
        '--train-per-class',
        type=int,
        default=4,
        help='train images per class (4)')
    parser.add_argument(
        '--val-per-class',
        type=int,
        default=2,
        help='val images per class, 0 for none (2)')
    parser.add_argument(
        '--size', type=int, default=64, help='image side in pixels (64)')
    parser.add_argument('--seed', type=int, default=0, help='seed (0)')
    return parser.parse_args(args)


def main(args: Optional[Sequence[str]] = None) -> Dict[str, int]:
    opts = parse_args(args)
    counts = generate_tiny_imagenet(
        opts.out_dir,
        num_classes=opts.num_classes,
        train_per_class=opts.train_per_class,
        val_per_class=opts.val_per_class,
        size=opts.size,
        seed=opts.seed)
    print(f'{opts.out_dir}: ' +
          ', '.join(f'{n} {split} images' for split, n in counts.items()))
    return counts


if __name__ == '__main__':
    main()
