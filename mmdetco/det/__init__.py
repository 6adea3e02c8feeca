# Copyright (c) mmdetco contributors. All rights reserved.
"""Keypoint R-CNN (detectron2's) for MMDetection 3.x.

Importing ``mmdetco.det`` (which needs mmdet, unlike ``mmdetco``) registers
the keypoint head, RoI head, dataset, transforms and metric into
MMDetection's registries; MMDetection configs import it with
``custom_imports = dict(imports=['mmdetco.det'])``. It also registers
:class:`mmdetco.engine.BackboneBNStatsHook` there, for frozen-backbone
probes, and :class:`mmdetco.engine.PretrainedBackboneCheckHook`, which every
benchmark config uses to stop a run whose backbone did not load.
"""
from mmdet.registry import HOOKS

from ..engine import BackboneBNStatsHook, PretrainedBackboneCheckHook
from .coco_keypoint_dataset import CocoKeypointDataset
from .coco_keypoint_metric import CocoKeypointMetric
from .keypoint_head import (KeypointRCNNHead, heatmaps_to_keypoints,
                            keypoints_to_heatmap)
from .keypoint_roi_head import KeypointRoIHead
from .keypoint_transforms import (COCO_KEYPOINT_FLIP_PAIRS, FlipKeypoints,
                                  LoadKeypointAnnotations,
                                  PackKeypointDetInputs, ResizeKeypoints)

__all__ = [
    'CocoKeypointDataset', 'CocoKeypointMetric', 'KeypointRCNNHead',
    'KeypointRoIHead', 'LoadKeypointAnnotations', 'ResizeKeypoints',
    'FlipKeypoints', 'PackKeypointDetInputs', 'COCO_KEYPOINT_FLIP_PAIRS',
    'heatmaps_to_keypoints', 'keypoints_to_heatmap'
]

HOOKS.register_module(module=BackboneBNStatsHook)
HOOKS.register_module(module=PretrainedBackboneCheckHook)
