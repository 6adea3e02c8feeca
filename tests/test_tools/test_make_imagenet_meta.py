# Copyright (c) mmdetco contributors. All rights reserved.
"""tools/dataset_converters/make_imagenet_meta.py: the meta files it writes
are read by the datasets of the ImageNet pre-training config."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

from ..conftest import ROOT

SPEC = importlib.util.spec_from_file_location(
    'make_imagenet_meta',
    osp.join(ROOT, 'tools', 'dataset_converters', 'make_imagenet_meta.py'))
meta = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(meta)
CONFIG = osp.join(ROOT, 'configs', 'detco',
                  'detco_resnet50_8xb32-coslr-200e_in1k.py')

# (split, path under the split folder, expected label); classes sorted:
# n01 -> 0, n02 -> 1, n03 -> 2
IMAGES = [
    ('train', 'n03/n03_1.JPEG', 2),
    ('train', 'n01/n01_2.jpg', 0),
    ('train', 'n01/n01_1.jpg', 0),
    ('train', 'n02/extra/n02_1.png', 1),  # images in sub-folders count
    ('val', 'n03/ILSVRC2012_val_00000001.JPEG', 2),
    ('val', 'n01/ILSVRC2012_val_00000002.JPEG', 0),
    ('val', 'n03/ILSVRC2012_val_00000003.JPEG', 2),
]


def _write_image(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.random.RandomState(0).randint(0, 256, (80, 96, 3), np.uint8)
    assert cv2.imwrite(str(path), image)


@pytest.fixture
def imagenet(tmp_path):
    root = tmp_path / 'imagenet'
    for split, rel, _ in IMAGES:
        _write_image(root / split / rel)
    (root / 'train' / 'n01' / 'notes.txt').write_text('not an image')
    return root


def test_meta_files(imagenet):
    meta.main([str(imagenet)])
    # sorted by file name, then path: the val images in their numbered
    # order, not grouped by class
    assert (imagenet / 'meta' / 'train.txt').read_text().splitlines() == [
        'n01/n01_1.jpg 0', 'n01/n01_2.jpg 0', 'n02/extra/n02_1.png 1',
        'n03/n03_1.JPEG 2'
    ]
    assert (imagenet / 'meta' / 'val.txt').read_text().splitlines() == [
        'n03/ILSVRC2012_val_00000001.JPEG 2',
        'n01/ILSVRC2012_val_00000002.JPEG 0',
        'n03/ILSVRC2012_val_00000003.JPEG 2'
    ]


@pytest.mark.parametrize(
    'loader', ['train_dataloader', 'knn_dataloader', 'bn_stats_dataloader'])
def test_read_by_config_datasets(imagenet, loader):
    meta.main([str(imagenet)])
    cfg = Config.fromfile(CONFIG)
    dataset_cfg = cfg[loader].dataset
    dataset_cfg.data_root = str(imagenet)
    dataset_cfg.indices = None  # the kNN split's 10,000 first images
    dataset = DATASETS.build(dataset_cfg)
    split = dataset_cfg.split
    expected = sorted((osp.basename(rel), rel, label)
                      for s, rel, label in IMAGES if s == split)
    assert dataset.ann_file == osp.join(str(imagenet), 'meta', f'{split}.txt')
    assert [(info['img_path'], info['gt_label'])
            for info in dataset.load_data_list()
            ] == [(osp.join(str(imagenet), split, rel), label)
                  for _, rel, label in expected]
    sample = dataset[0]  # the config's pipeline on the first image
    assert sample['data_samples'].gt_label.tolist() == [expected[0][2]]


def test_splits_option(imagenet, tmp_path):
    out = tmp_path / 'meta'
    meta.main([str(imagenet), '--splits', 'train', '--out-dir', str(out)])
    assert sorted(p.name for p in out.iterdir()) == ['train.txt']


def test_missing_val_folder(imagenet):
    val = imagenet / 'val'
    for _, rel, _ in IMAGES[4:]:
        (val / rel).unlink()
    for folder in ('n01', 'n03'):
        (val / folder).rmdir()
    val.rmdir()
    with pytest.raises(SystemExit, match=f'{val} is not a folder'):
        meta.main([str(imagenet)])
    assert not (imagenet / 'meta').exists()


def test_flat_split(imagenet):
    _write_image(imagenet / 'flat' / 'ILSVRC2012_val_00000004.JPEG')
    with pytest.raises(SystemExit, match='has no class folders'):
        meta.main([str(imagenet), '--splits', 'train', 'flat'])


def test_class_missing_from_first_split(imagenet):
    _write_image(imagenet / 'val' / 'n09' / 'ILSVRC2012_val_00000005.JPEG')
    with pytest.raises(SystemExit, match="that the first split lacks.*'n09'"):
        meta.main([str(imagenet)])


def test_no_images(imagenet):
    (imagenet / 'empty' / 'n01').mkdir(parents=True)
    with pytest.raises(SystemExit, match='has no images'):
        meta.main([str(imagenet), '--splits', 'train', 'empty'])
