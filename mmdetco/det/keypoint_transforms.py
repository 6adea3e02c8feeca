# Copyright (c) mmdetco contributors. All rights reserved.
"""Pipeline steps that load, resize, flip and pack COCO keypoints.

They keep the keypoints next to the boxes of MMDetection's transforms.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS

from .coco_keypoint_dataset import NUM_COCO_KEYPOINTS

# left/right joints of COCO persons (nose, eyes, ears, shoulders, elbows,
# wrists, hips, knees, ankles)
COCO_KEYPOINT_FLIP_PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10),
                            (11, 12), (13, 14), (15, 16))


def _mark_outside(keypoints: np.ndarray, img_shape: Tuple[int,
                                                          int]) -> None:
    """Unlabel keypoints outside the image ``(h, w)``, in place.

    As detectron2's ``transform_keypoint_annotations``: unlabelled
    keypoints are all zero.
    """
    h, w = img_shape[:2]
    x, y = keypoints[..., 0], keypoints[..., 1]
    inside = (x >= 0) & (y >= 0) & (x <= w) & (y <= h)
    keypoints[..., 2][~inside] = 0
    keypoints[keypoints[..., 2] == 0] = 0


@TRANSFORMS.register_module()
class LoadKeypointAnnotations(BaseTransform):
    """Load the ``keypoints`` of each instance into ``gt_keypoints``.

    The instances of :class:`CocoKeypointDataset`; ``gt_keypoints`` is a
    float32 array ``(N, K, 3)`` of ``(x, y, v)`` aligned with
    ``gt_bboxes``.

    As detectron2, 0.5 is added to the labelled coordinates: COCO gives
    pixel indices, the boxes and the model use continuous coordinates
    (:class:`CocoKeypointMetric` subtracts it again).

    Args:
        num_keypoints (int): ``K``. Defaults to 17.
    """

    def __init__(self, num_keypoints: int = NUM_COCO_KEYPOINTS) -> None:
        self.num_keypoints = num_keypoints

    def transform(self, results: dict) -> dict:
        keypoints = np.array(
            [inst['keypoints'] for inst in results.get('instances', [])],
            dtype=np.float32).reshape(-1, self.num_keypoints, 3)
        keypoints[..., :2] += 0.5
        keypoints[keypoints[..., 2] == 0] = 0
        results['gt_keypoints'] = keypoints
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_keypoints={self.num_keypoints})'


@TRANSFORMS.register_module()
class ResizeKeypoints(BaseTransform):
    """Scale ``gt_keypoints`` as the preceding ``Resize`` scaled the image.

    By the ``scale_factor`` ``(w, h)`` that ``Resize`` (or
    ``RandomResize``, ``RandomChoiceResize``) wrote; keypoints outside the
    resized image become unlabelled.
    """

    def transform(self, results: dict) -> dict:
        keypoints = results['gt_keypoints']
        keypoints[..., :2] *= np.array(
            results['scale_factor'], dtype=np.float32)
        _mark_outside(keypoints, results['img_shape'])
        return results


@TRANSFORMS.register_module()
class FlipKeypoints(BaseTransform):
    """Flip ``gt_keypoints`` as ``RandomFlip`` flipped the image.

    By ``flip`` and ``flip_direction``: mirror the coordinates (``x' = w -
    x`` as MMDetection's boxes and detectron2) and, for a reflection
    (horizontal or vertical), swap the left and right joints.

    Args:
        flip_pairs (Sequence[tuple[int, int]]): left/right keypoint
            indices. Defaults to COCO's.
    """

    def __init__(
        self,
        flip_pairs: Optional[Sequence[Tuple[int, int]]] = None
    ) -> None:
        self.flip_pairs = tuple(
            map(tuple, flip_pairs or COCO_KEYPOINT_FLIP_PAIRS))

    def transform(self, results: dict) -> dict:
        if not results.get('flip', False):
            return results
        direction = results['flip_direction']
        keypoints = results['gt_keypoints']
        h, w = results['img_shape'][:2]
        labelled = keypoints[..., 2] > 0
        if direction in ('horizontal', 'diagonal'):
            keypoints[..., 0] = np.where(labelled, w - keypoints[..., 0], 0)
        if direction in ('vertical', 'diagonal'):
            keypoints[..., 1] = np.where(labelled, h - keypoints[..., 1], 0)
        if direction in ('horizontal', 'vertical'):
            order = np.arange(keypoints.shape[1])
            for left, right in self.flip_pairs:
                order[left], order[right] = right, left
            results['gt_keypoints'] = keypoints[:, order]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(flip_pairs={self.flip_pairs})'


@TRANSFORMS.register_module()
class PackKeypointDetInputs(PackDetInputs):
    """:class:`PackDetInputs` that also packs ``gt_keypoints``.

    Into ``gt_instances.keypoints`` (and ``ignored_instances.keypoints``),
    with the same split by ``gt_ignore_flags`` as the boxes.
    """

    mapping_table = dict(PackDetInputs.mapping_table, gt_keypoints='keypoints')
