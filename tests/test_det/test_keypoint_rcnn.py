# Copyright (c) mmdetco contributors. All rights reserved.
"""Keypoint R-CNN of mmdetco.det: two training iterations plus keypoint AP
of the benchmark config on a synthetic COCO keypoint data set (its parts:
test_keypoint_head.py, test_keypoint_roi_head.py,
test_keypoint_transforms.py, test_coco_keypoint_dataset.py and
test_coco_keypoint_metric.py)."""
import os.path as osp

import pytest
from mmengine.runner import Runner

import mmdetco.det  # noqa: F401  (registers the modules)
from ..test_benchmarks.helpers import last_val_scalars
from .conftest import tiny_keypoint_cfg

pytestmark = pytest.mark.usefixtures('mmdet_scope')


@pytest.mark.slow
def test_train_and_evaluate_keypoint_ap(keypoint_coco, tmp_path):
    """Two iterations and an evaluation of the shrunk benchmark config."""
    work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(tiny_keypoint_cfg(keypoint_coco, work_dir))
    runner.train()
    metrics = last_val_scalars(work_dir)
    for key in ('coco/keypoints_AP', 'coco/keypoints_AP50',
                'coco/keypoints_AP75', 'coco/bbox_mAP'):
        assert isinstance(metrics[key], float), metrics
    assert -1 <= metrics['coco/keypoints_AP'] <= 1
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
