# Copyright (c) mmdetco contributors. All rights reserved.
"""Generate the synthetic demo data set (no download needed).

Writes unlabelled pre-training images (object-centric by default) and
COCO-format train / val detection splits of cluttered shape scenes, see
:func:`mmdetco_demo.scenes.generate_demo_data`. An identical data
set already in the output folder is reused.

Example::

    python tools/dataset_converters/generate_demo_data.py --out data/demo
"""
import argparse
import sys
import time

from mmdetco_demo.scenes import generate_demo_data


def parse_args():
    parser = argparse.ArgumentParser(
        description='Generate the synthetic demo detection data set.')
    parser.add_argument(
        '--out', default='data/demo', help='output folder (data/demo)')
    parser.add_argument(
        '--seed', type=int, default=0, help='data set seed (0)')
    parser.add_argument(
        '--size', type=int, default=160, help='image side in pixels (160)')
    parser.add_argument(
        '--num-pretrain',
        type=int,
        default=512,
        help='number of unlabelled pre-training images (512)')
    parser.add_argument(
        '--num-train',
        type=int,
        default=256,
        help='number of annotated training images (256)')
    parser.add_argument(
        '--num-val',
        type=int,
        default=256,
        help='number of annotated validation images (256)')
    parser.add_argument(
        '--num-backgrounds',
        type=int,
        default=None,
        help='pre-training images share a pool of this many backgrounds '
        '(default: a background of its own per scene, 32 for objects)')
    parser.add_argument(
        '--pretrain-images',
        choices=['objects', 'scenes'],
        default='objects',
        help='object-centric images (as ImageNet) or cluttered scenes (as '
        'COCO) for pre-training (objects)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace a data set made with other parameters instead of '
        'stopping with an error')
    return parser.parse_args()


def main():
    args = parse_args()
    start = time.perf_counter()
    try:
        info = generate_demo_data(
            args.out,
            num_pretrain=args.num_pretrain,
            num_train=args.num_train,
            num_val=args.num_val,
            size=args.size,
            seed=args.seed,
            num_backgrounds=args.num_backgrounds,
            pretrain_images=args.pretrain_images,
            overwrite=args.overwrite)
    except (FileExistsError, ValueError) as e:
        sys.exit(f'error: {e}')
    elapsed = time.perf_counter() - start
    action = 'Reused the existing' if info['reused'] else \
        f'Generated in {elapsed:.1f}s a'
    print(f'{action} demo data set in {info["out_dir"]}:')
    print(f'  pre-training: {info["num_pretrain"]} images in '
          f'{info["pretrain_dir"]}')
    for split in ('train', 'val'):
        print(f'  {split}: {info[f"num_{split}"]} images, '
              f'{info[f"num_{split}_instances"]} instances, '
              f'{info[f"{split}_ann_file"]}')
    print(f'  classes: {", ".join(info["classes"])}')


if __name__ == '__main__':
    main()
