# Copyright (c) mmdetco contributors. All rights reserved.
from .extract_features import all_gather_by_index, extract_features
from .knn_classifier import knn_classifier, knn_predict

__all__ = [
    'all_gather_by_index', 'extract_features', 'knn_classifier', 'knn_predict'
]
