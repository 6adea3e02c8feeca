# Copyright (c) mmdetco contributors. All rights reserved.
"""The keypoint pipeline steps: flipping swaps the joints."""
import numpy as np
import pytest
import torch
from mmdet.registry import TRANSFORMS

from mmdetco.det import COCO_KEYPOINT_FLIP_PAIRS
from .conftest import K

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def _flip(results, direction='horizontal'):
    results = TRANSFORMS.build(
        dict(type='RandomFlip', prob=1.0, direction=direction))(
            results)
    return TRANSFORMS.build(dict(type='FlipKeypoints'))(results)


def test_flip_swaps_joints_and_mirrors_x():
    from mmdet.structures.bbox import HorizontalBoxes
    keypoints = np.zeros((1, K, 3), np.float32)
    keypoints[0, :, 0] = 10 + np.arange(K)
    keypoints[0, :, 1] = 20 + np.arange(K)
    keypoints[0, :, 2] = 2
    keypoints[0, 4] = 0  # right ear unlabelled
    results = _flip(
        dict(
            img=np.zeros((50, 100, 3), np.uint8),
            img_shape=(50, 100),
            gt_bboxes=HorizontalBoxes(torch.tensor([[10., 20., 26., 36.]])),
            gt_keypoints=keypoints.copy()))
    flipped = results['gt_keypoints'][0]
    assert results['flip'] and results['flip_direction'] == 'horizontal'
    swap = dict(COCO_KEYPOINT_FLIP_PAIRS)
    swap.update({right: left for left, right in COCO_KEYPOINT_FLIP_PAIRS})
    assert swap[5] == 6 and swap[16] == 15
    for j in range(K):
        src = keypoints[0, swap.get(j, j)]
        if src[2] == 0:
            assert (flipped[j] == 0).all()
        else:
            assert flipped[j].tolist() == [100 - src[0], src[1], 2]
    # the nose stays the nose; the left ear is the flipped right ear (0)
    assert (flipped[3] == 0).all() and flipped[4, 2] == 2
    # the keypoints and the box move together
    box = results['gt_bboxes'].tensor[0].tolist()
    assert box == [74., 20., 90., 36.]
    assert box[0] <= flipped[:, 0][flipped[:, 2] > 0].min()
    assert flipped[:, 0].max() <= box[2]
