# Copyright (c) mmdetco contributors. All rights reserved.
"""Make the labelled splits of the semi-supervised COCO benchmark.

Usage::

    python tools/dataset_converters/make_coco_semi_splits.py \\
        data/coco/annotations/instances_train2017.json \\
        data/coco/annotations/semi_splits --percents 1 2 5 10 --seed 1

For each percent ``P`` it writes ``OUT_DIR/{stem}.{seed}@{P}.json`` (the
names of MMDetection's ``tools/misc/split_coco.py``, with the seed in place
of the fold), e.g. ``instances_train2017.1@10.json``: a COCO annotation file
with ``round(P / 100 * N)`` (at least 1) of the ``N`` images of ``ANN_FILE``
and all the annotations of these images, nothing else changed: image and
annotation ids and entries, ``categories`` (all of them, also those left
without annotations, so that class indices do not move), ``info`` and
``licenses`` are copied as they are, in their original order. With
``--unlabeled`` the complement of each split is written too, as
``{stem}.{seed}@{P}-unlabeled.json``.

The split is drawn at the image level, not per annotation: every image is
kept with all or none of its boxes. It depends only on the seed and the
set of image ids: the ids are sorted, shuffled with Python's
``random.Random(seed)`` (stable across Python and numpy versions) and the
first ``round(P / 100 * N)`` of them form the split of ``P``, so the splits
of one seed are nested (1% in 2% in 5% in 10%) and the same arguments give
byte-identical files.
"""
import argparse
import json
import os
import os.path as osp
import random
from typing import Dict, List, Sequence


def split_name(stem: str, seed: int, percent: float) -> str:
    """The file name of a split, e.g. ``instances_train2017.1@10.json``."""
    return f'{stem}.{seed}@{percent:g}.json'


def sample_image_ids(image_ids: Sequence[int], percents: Sequence[float],
                     seed: int) -> Dict[float, set]:
    """Draw the nested image-level splits.

    Args:
        image_ids (Sequence[int]): The ids of all images.
        percents (Sequence[float]): Percentages in (0, 100].
        seed (int): The seed.

    Returns:
        dict: The set of image ids of each percent.
    """
    order = sorted(set(image_ids))
    if len(order) != len(image_ids):
        raise ValueError('The annotation file has duplicate image ids.')
    if not order:
        raise ValueError('The annotation file has no images.')
    random.Random(seed).shuffle(order)
    splits = {}
    for percent in percents:
        if not 0 < percent <= 100:
            raise ValueError(f'Percents must lie in (0, 100], got {percent}')
        num = max(1, int(round(percent / 100 * len(order))))
        splits[percent] = set(order[:num])
    return splits


def subset(coco: dict, image_ids: set) -> dict:
    """The COCO dict restricted to ``image_ids`` (other keys copied)."""
    out = {key: value for key, value in coco.items()}
    out['images'] = [img for img in coco['images'] if img['id'] in image_ids]
    out['annotations'] = [
        ann for ann in coco.get('annotations', [])
        if ann['image_id'] in image_ids
    ]
    return out


def make_splits(ann_file: str,
                out_dir: str,
                percents: Sequence[float] = (1, 2, 5, 10),
                seed: int = 1,
                unlabeled: bool = False) -> List[str]:
    """Write the splits of ``ann_file`` to ``out_dir``.

    Returns:
        list[str]: The files written.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    splits = sample_image_ids([img['id'] for img in coco['images']], percents,
                              seed)
    stem = osp.splitext(osp.basename(ann_file))[0]
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for percent, ids in splits.items():
        parts = [(split_name(stem, seed, percent), ids)]
        if unlabeled:
            rest = {img['id'] for img in coco['images']} - ids
            parts.append((split_name(stem, seed, percent)[:-len('.json')] +
                          '-unlabeled.json', rest))
        for name, part in parts:
            path = osp.join(out_dir, name)
            with open(path, 'w') as f:
                json.dump(subset(coco, part), f)
            written.append(path)
        print(f'{percent:g}%: {len(ids)} of {len(coco["images"])} images '
              f'-> {parts[0][0]}')
    return written


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description='Seeded image-level splits of a COCO annotation file '
        'for the semi-supervised benchmark')
    parser.add_argument('ann_file', help='the COCO annotation file')
    parser.add_argument('out_dir', help='where to write the splits')
    parser.add_argument(
        '--percents',
        type=float,
        nargs='+',
        default=[1, 2, 5, 10],
        help='percentages of the images to keep (default: 1 2 5 10)')
    parser.add_argument(
        '--seed', type=int, default=1, help='the seed (default: 1)')
    parser.add_argument(
        '--unlabeled',
        action='store_true',
        help='also write the complement of each split')
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    make_splits(args.ann_file, args.out_dir, args.percents, args.seed,
                args.unlabeled)


if __name__ == '__main__':
    main()
