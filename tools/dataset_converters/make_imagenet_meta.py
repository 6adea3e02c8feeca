# Copyright (c) mmdetco contributors. All rights reserved.
"""Write ImageNet's ``meta/{split}.txt`` files from its class folders.

Usage::

    python tools/dataset_converters/make_imagenet_meta.py data/imagenet

reads ``data/imagenet/train/<class>/...`` and ``data/imagenet/val/<class>/
...`` and writes ``data/imagenet/meta/train.txt`` and ``meta/val.txt``, the
annotation files MMPretrain's ``ImageNet`` dataset reads for
``split='train'`` and ``split='val'``: one line per image, its path relative
to the split folder, a space and its label, e.g.
``n01440764/n01440764_10026.JPEG 0``.

- The labels are the indices of the class folders of the first split
  (``train``) in sorted order, ImageNet's usual class order (``n01440764``
  is 0); every other split must have no class folder that the first one
  lacks.
- An image is a file with one of the extensions of ``ImageNet`` anywhere
  under a class folder, as ``ImageNet`` itself finds them without a meta
  file.
- The lines are sorted by file name, then by path. For ImageNet's val split
  (``ILSVRC2012_val_00000001.JPEG``, ...) this is the order of the official
  release, in which the classes are mixed, so that a subset of the first
  images (the kNN monitor's ``indices=10000``) spans many classes; in the
  order of the class folders its first 10,000 images would be 200 classes.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmpretrain.datasets import ImageNet


def class_folders(split_dir: str) -> List[str]:
    """The sorted class folders of a split folder."""
    if not osp.isdir(split_dir):
        raise FileNotFoundError(
            f'{split_dir} is not a folder. Put the images of this split in '
            f'{split_dir}/<class>/, or leave the split out with --splits.')
    folders = sorted(
        name for name in os.listdir(split_dir)
        if osp.isdir(osp.join(split_dir, name)))
    if not folders:
        raise ValueError(
            f'{split_dir} has no class folders: the images must be in '
            f'{split_dir}/<class>/ (for ImageNet val, sort them into their '
            f'classes first, or use an existing meta/val.txt).')
    return folders


def split_lines(split_dir: str, class_to_label: Dict[str, int]) -> List[str]:
    """The meta lines of one split, sorted by file name, then path."""
    extra = sorted(set(class_folders(split_dir)) - set(class_to_label))
    if extra:
        raise ValueError(
            f'{split_dir} has {len(extra)} class folder(s) that the first '
            f'split lacks, e.g. {extra[0]!r}: their labels would be '
            f'undefined.')
    samples = []
    for name in sorted(class_to_label):
        class_dir = osp.join(split_dir, name)
        for parent, _, files in os.walk(class_dir):
            for file in files:
                if not file.lower().endswith(ImageNet.IMG_EXTENSIONS):
                    continue
                path = osp.relpath(osp.join(parent, file), split_dir)
                if '\n' in path or path != path.strip():
                    raise ValueError(
                        f'{osp.join(split_dir, path)!r}: a file name with a '
                        f'line break or leading/trailing spaces cannot be '
                        f'written to a meta file; rename it.')
                label = class_to_label[name]
                samples.append((file, path.replace(os.sep, '/'), label))
    if not samples:
        raise ValueError(f'{split_dir} has no images (extensions: '
                         f'{", ".join(ImageNet.IMG_EXTENSIONS)}).')
    return [f'{path} {label}' for _, path, label in sorted(samples)]


def make_meta(data_root: str,
              splits: Sequence[str] = ('train', 'val'),
              out_dir: Optional[str] = None) -> List[str]:
    """Write ``{out_dir}/{split}.txt`` for every split.

    Args:
        data_root (str): The folder that holds the split folders.
        splits (Sequence[str]): The splits; the class folders of the first
            one define the labels. Defaults to ('train', 'val').
        out_dir (str, optional): Where to write. Defaults to
            ``{data_root}/meta``.

    Returns:
        list[str]: The files written.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{data_root} is not a folder: give the folder that holds the '
            f'split folders ({", ".join(splits)}).')
    classes = class_folders(osp.join(data_root, splits[0]))
    class_to_label = {name: label for label, name in enumerate(classes)}
    lines = {
        split: split_lines(osp.join(data_root, split), class_to_label)
        for split in splits
    }
    out_dir = out_dir or osp.join(data_root, 'meta')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for split, entries in lines.items():
        path = osp.join(out_dir, f'{split}.txt')
        with open(path, 'w') as f:
            f.write('\n'.join(entries) + '\n')
        written.append(path)
        num_classes = len({line.rsplit(' ', 1)[1] for line in entries})
        print(f'{split}: {len(entries)} images of {num_classes} classes '
              f'-> {path}')
    return written


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description='Write the meta/{split}.txt files of an ImageNet-style '
        'folder tree (SPLIT/<class>/<image>)')
    parser.add_argument(
        'data_root', help='the folder of the splits, e.g. data/imagenet')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val'],
        help='split folders; the first one defines the labels '
        '(default: train val)')
    parser.add_argument(
        '--out-dir', help='where to write (default: DATA_ROOT/meta)')
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    try:
        make_meta(args.data_root, args.splits, args.out_dir)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'make_imagenet_meta.py: {err}')


if __name__ == '__main__':
    main()
