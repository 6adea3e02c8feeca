# Copyright (c) mmdetco contributors. All rights reserved.
"""Keypoint R-CNN and RetinaNet details (detectron2's) for MMDetection 3.x.

Importing ``mmdetco.det`` (which needs mmdet, unlike ``mmdetco``) registers
the keypoint head, RoI head, dataset, transforms and metric into
MMDetection's registries; MMDetection configs import it with
``custom_imports = dict(imports=['mmdetco.det'])``. It also registers
:class:`mmdetco.engine.BackboneBNStatsHook` there, for frozen-backbone
probes, and :class:`mmdetco.engine.PretrainedBackboneCheckHook`, which every
benchmark config uses to stop a run whose backbone did not load.

These components reproduce detectron2 behaviours of the DetCo authors'
benchmarks (docs/en/benchmarks.md): :class:`FPNPlainExtraConvs` (an FPN
whose RetinaNet P6/P7 convolutions have no norm layer),
:class:`EMANormRetinaHead` (a RetinaNet head whose losses are normalised by
a running average of the number of positive anchors), in
:class:`KeypointRoIHead` the training of the keypoint branch only on
proposals with a visible keypoint inside (``visible_keypoint_proposals``),
:class:`PostTrainingBNStatsHook` (``TEST.PRECISE_BN``) and
:class:`DifficultAsGTVOCDataset` (VOC training on the difficult boxes).
"""
from mmdet.registry import HOOKS

from ..engine import BackboneBNStatsHook, PretrainedBackboneCheckHook
from .coco_keypoint_dataset import CocoKeypointDataset
from .coco_keypoint_metric import CocoKeypointMetric
from .difficult_voc_dataset import DifficultAsGTVOCDataset
from .ema_norm_retina_head import EMANormRetinaHead
from .fpn_plain_extra_convs import FPNPlainExtraConvs
from .keypoint_head import (KeypointRCNNHead, heatmaps_to_keypoints,
                            keypoints_to_heatmap)
from .keypoint_roi_head import KeypointRoIHead
from .keypoint_transforms import (COCO_KEYPOINT_FLIP_PAIRS, FlipKeypoints,
                                  LoadKeypointAnnotations,
                                  PackKeypointDetInputs, ResizeKeypoints)
from .post_training_bn_stats_hook import PostTrainingBNStatsHook

__all__ = [
    'CocoKeypointDataset', 'CocoKeypointMetric', 'KeypointRCNNHead',
    'KeypointRoIHead', 'LoadKeypointAnnotations', 'ResizeKeypoints',
    'FlipKeypoints', 'PackKeypointDetInputs', 'COCO_KEYPOINT_FLIP_PAIRS',
    'heatmaps_to_keypoints', 'keypoints_to_heatmap', 'FPNPlainExtraConvs',
    'EMANormRetinaHead', 'DifficultAsGTVOCDataset', 'PostTrainingBNStatsHook'
]

HOOKS.register_module(module=BackboneBNStatsHook)
HOOKS.register_module(module=PretrainedBackboneCheckHook)
