# Copyright (c) mmdetco contributors. All rights reserved.
"""CocoKeypointMetric: keypoint AP of the predictions."""
import json
import os.path as osp

import pytest
import torch

import mmdetco.det  # noqa: F401  (registers the modules)
from .conftest import K

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def test_metric_of_ground_truth_is_perfect(keypoint_coco):
    """The ground truth as detections (continuous coordinates, i.e. + 0.5,
    as the model predicts them) has keypoint AP 1."""
    from mmdet.registry import METRICS
    ann_file = osp.join(keypoint_coco, 'annotations', 'instances_val.json')
    metric = METRICS.build(dict(type='CocoKeypointMetric', ann_file=ann_file))
    metric.dataset_meta = dict(classes=('person', ))
    with open(ann_file) as f:
        coco = json.load(f)
    samples = []
    for img in coco['images']:
        kpts = torch.tensor([
            a['keypoints'] for a in coco['annotations']
            if a['image_id'] == img['id']
        ]).float().view(-1, K, 3)
        samples.append(
            dict(
                img_id=img['id'],
                pred_instances=dict(
                    keypoints=kpts[..., :2] + 0.5,
                    keypoint_scores=torch.ones(len(kpts), K),
                    labels=torch.zeros(len(kpts), dtype=torch.long),
                    scores=torch.ones(len(kpts)))))
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    assert results['coco/keypoints_AP'] == 1.0
    assert results['coco/keypoints_AP50'] == 1.0
