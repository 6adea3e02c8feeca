# Copyright (c) mmdetco contributors. All rights reserved.
from .collapse_rule import (CHANCE_FACTOR, COLLAPSE_RATIO, branch_top1,
                            collapse_thresholds, collapsed_branches)
from .extract_features import all_gather_by_index, extract_features
from .knn_classifier import knn_classifier, knn_predict

__all__ = [
    'CHANCE_FACTOR', 'COLLAPSE_RATIO', 'branch_top1', 'collapse_thresholds',
    'collapsed_branches', 'all_gather_by_index', 'extract_features',
    'knn_classifier', 'knn_predict'
]
