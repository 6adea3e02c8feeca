# Copyright (c) mmdetco contributors. All rights reserved.
"""Helpers of the tests of mmdetco.det: MMDetection's default scope and a
synthetic COCO keypoint data set for the Keypoint R-CNN benchmark config."""
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from ..test_benchmarks.helpers import config_path, load_config, shrink

K = 17
CONFIG = 'coco/keypoint-rcnn_r50_fpn_ms-2x_coco.py'


@pytest.fixture
def mmdet_scope():
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def _write_image(path, width, height, seed):
    rng = np.random.RandomState(seed)
    mmcv.imwrite(rng.randint(0, 255, (height, width, 3), np.uint8), path)


def _person(rng, ann_id, img_id, width, height, **extra):
    w, h = rng.randint(20, width // 2), rng.randint(24, height // 2)
    x, y = rng.randint(0, width - w), rng.randint(0, height - h)
    keypoints = []
    for _ in range(K):
        keypoints += [
            int(rng.randint(x, x + w)),
            int(rng.randint(y, y + h)), 2
        ]
    return dict(
        id=ann_id,
        image_id=img_id,
        category_id=1,
        bbox=[x, y, w, h],
        area=w * h,
        iscrowd=0,
        keypoints=keypoints,
        num_keypoints=K,
        **extra)


@pytest.fixture(scope='module')
def keypoint_coco(tmp_path_factory):
    """Synthetic COCO keypoints: 4 training and 2 validation images of
    64-96 px with 1-2 persons each; the first training image also has a
    crowd region and a box that CocoDataset drops (w < 1); the persons of
    the last training image have no labelled keypoints."""
    root = str(tmp_path_factory.mktemp('kp_coco'))
    os.makedirs(osp.join(root, 'annotations'))
    rng = np.random.RandomState(0)
    category = dict(
        id=1,
        name='person',
        keypoints=[f'kp{i}' for i in range(K)],
        skeleton=[])
    ann_id = 0
    for split, num in (('train', 4), ('val', 2)):
        os.makedirs(osp.join(root, split))
        images, anns = [], []
        for i in range(num):
            width, height = rng.randint(64, 97, size=2).tolist()
            name = f'{i:04d}.jpg'
            _write_image(osp.join(root, split, name), width, height, i)
            images.append(
                dict(id=i + 1, file_name=name, width=width, height=height))
            if split == 'train' and i == 0:
                anns.append(
                    dict(
                        _person(rng, ann_id + 1, i + 1, width, height),
                        iscrowd=1))
                anns.append(
                    dict(
                        _person(rng, ann_id + 2, i + 1, width, height),
                        bbox=[1, 1, 0.5, 10]))
                ann_id += 2
            for _ in range(rng.randint(1, 3)):
                ann_id += 1
                anns.append(_person(rng, ann_id, i + 1, width, height))
                if split == 'train' and i == num - 1:
                    anns[-1].update(keypoints=[0] * 3 * K, num_keypoints=0)
        with open(
                osp.join(root, 'annotations', f'instances_{split}.json'),
                'w') as f:
            json.dump(
                dict(images=images, annotations=anns, categories=[category]),
                f)
    return root


def tiny_keypoint_cfg(root, work_dir):
    cfg = load_config(config_path(CONFIG))
    assert 'mmdetco.det' in cfg.custom_imports.imports
    shrink(cfg, work_dir, coco_root=root, classes=('person', ), size=96)
    cfg.model.backbone.init_cfg = None
    cfg.model.roi_head.keypoint_head.conv_out_channels = 64
    return cfg
