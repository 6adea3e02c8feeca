# Copyright (c) mmdetco contributors. All rights reserved.
"""KeypointRCNNHead: heatmap targets, the loss and keypoint decoding."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

from mmdetco.det import heatmaps_to_keypoints, keypoints_to_heatmap

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def test_keypoints_to_heatmap():
    rois = torch.tensor([[10., 20., 66., 76.], [0., 0., 112., 28.]])
    keypoints = torch.tensor([
        # inside; on the right border; left of the box; not visible
        [[30.7, 45.2, 2], [66., 30., 1], [5., 30., 2], [30., 30., 0]],
        # scale 0.5 in x, 2 in y; on the bottom border; below the box
        [[50., 10., 2], [3., 28., 2], [3., 29., 2], [0., 0., 0]],
    ])
    index, valid = keypoints_to_heatmap(keypoints, rois, 56)
    # floor((x - x1) * 56 / w), floor((y - y1) * 56 / h), index y * 56 + x
    assert valid.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert index.tolist() == [[25 * 56 + 20, 10 * 56 + 55, 0, 0],
                              [20 * 56 + 25, 55 * 56 + 1, 0, 0]]


def _head(num_keypoints=2):
    return MODELS.build(
        dict(
            type='KeypointRCNNHead',
            num_keypoints=num_keypoints,
            in_channels=4,
            conv_out_channels=8,
            num_convs=2))


def test_head_shapes_and_loss():
    head = _head()
    assert head(torch.randn(3, 4, 14, 14)).shape == (3, 2, 56, 56)

    torch.manual_seed(0)
    preds = torch.randn(3, 2, 56, 56)
    # image 0: one positive RoI of gt 1; image 1: two RoIs of gt 0
    results = [
        SimpleNamespace(
            pos_priors=torch.tensor([[0., 0., 56., 56.]]),
            pos_assigned_gt_inds=torch.tensor([1])),
        SimpleNamespace(
            pos_priors=torch.tensor([[0., 0., 28., 28.], [0., 0., 5., 5.]]),
            pos_assigned_gt_inds=torch.tensor([0, 0]))
    ]
    gts = [
        InstanceData(
            keypoints=torch.tensor([[[9., 9., 2], [9., 9., 2]],
                                    [[3.5, 7.2, 2], [9., 9., 0]]])),
        InstanceData(keypoints=torch.tensor([[[1.2, 2.7, 1], [20., 1., 2]]]))
    ]
    loss = head.loss_and_target(preds, results, gts)['loss_keypoint']
    # valid: (roi 0, kp 0) at (x 3, y 7); (roi 1, kp 0) at (2, 5) and
    # (roi 1, kp 1) at (40, 2); in roi 2 only kp 0 at (13, 30)
    expected = [(0, 0, 7 * 56 + 3), (1, 0, 5 * 56 + 2), (1, 1, 2 * 56 + 40),
                (2, 0, 30 * 56 + 13)]
    hand = -sum(
        F.log_softmax(preds[r, k].flatten(), 0)[i]
        for r, k, i in expected) / len(expected)
    torch.testing.assert_close(loss['loss_keypoint'], hand)

    # no valid keypoint: a zero loss that still has a gradient
    preds.requires_grad_(True)
    for gt in gts:
        gt.keypoints[..., 2] = 0
    loss = head.loss_and_target(preds, results, gts)['loss_keypoint']
    assert loss['loss_keypoint'].item() == 0
    loss['loss_keypoint'].backward()


def test_heatmaps_to_keypoints():
    maps = torch.zeros(2, 2, 56, 56)
    maps[0, 0, 10, 20] = maps[0, 1, 40, 5] = 50.
    maps[1, 0, 0, 55] = 50.
    rois = torch.tensor([[100., 200., 156., 256.], [0., 0., 112., 28.]])
    keypoints = heatmaps_to_keypoints(maps, rois)
    # centre of the arg-max pixel of the heatmap resized to the box
    torch.testing.assert_close(keypoints[0, :, :2],
                               torch.tensor([[120.5, 210.5], [105.5, 240.5]]))
    assert 0 < keypoints[0, 0, 2] <= 1
    x, y = keypoints[1, 0, :2].tolist()
    assert 108 <= x <= 112 and 0 <= y <= 1
