# Copyright (c) mmdetco contributors. All rights reserved.
"""CocoKeypointDataset through the pipeline of the Keypoint R-CNN
benchmark config: images without labelled keypoints are dropped, and the
keypoints stay with their (resized, flipped) boxes."""
import json
import math
import os.path as osp

import pytest
from mmdet.registry import DATASETS

import mmdetco.det  # noqa: F401  (registers the modules)
from .conftest import K, tiny_keypoint_cfg

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def test_pipeline_keeps_keypoints_with_their_boxes(keypoint_coco, tmp_path):
    cfg = tiny_keypoint_cfg(keypoint_coco, str(tmp_path))
    dataset_cfg = cfg.train_dataloader.dataset
    for step in dataset_cfg.pipeline:
        if step['type'] == 'RandomFlip':
            step['prob'] = 1.0
    dataset = DATASETS.build(dataset_cfg)
    # the image without labelled keypoints is dropped (detectron2's
    # MIN_KEYPOINTS_PER_IMAGE = 1)
    assert sorted(
        dataset.get_data_info(i)['img_id']
        for i in range(len(dataset))) == [1, 2, 3]
    with open(osp.join(keypoint_coco, 'annotations',
                       'instances_train.json')) as f:
        anns = json.load(f)['annotations']
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        raw = [
            a for a in anns
            if a['image_id'] == info['img_id'] and a['bbox'][2] >= 1
        ]
        assert [inst['keypoints'] for inst in info['instances']] == \
            [a['keypoints'] for a in raw]
        sample = dataset[i]['data_samples']
        gt = sample.gt_instances
        assert gt.keypoints.shape == (len(gt.bboxes), K, 3)
        assert len(sample.ignored_instances.keypoints) == \
            sum(a['iscrowd'] for a in raw)
        # all keypoints lie in their (resized, flipped) box, mirrored
        # joints included
        boxes, kpts = gt.bboxes.tensor, gt.keypoints
        assert (kpts[..., 2] == 2).all()
        for lo, hi, axis in ((0, 2, 0), (1, 3, 1)):
            assert (kpts[..., axis] >= boxes[:, None, lo] - 1e-3).all()
            assert (kpts[..., axis] <= boxes[:, None, hi] + 1e-3).all()
        scale = sample.metainfo['scale_factor'][0]
        assert math.isclose(96 / scale, max(sample.ori_shape), rel_tol=0.02)
