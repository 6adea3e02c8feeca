# Copyright (c) mmdetco contributors. All rights reserved.
from .detco_data_preprocessor import DetCoDataPreprocessor
from .embedding_health import (FIGURE_KEY, LOSS_TERMS, branch_top1,
                               collapse_thresholds, contrastive_top1,
                               embedding_spread, figure_key, figures,
                               healthy_spread, positive_cosine)
from .queue_info_nce import queue_info_nce
from .view_augmentation import DetCoViewAugmentation

__all__ = [
    'DetCoDataPreprocessor', 'DetCoViewAugmentation', 'FIGURE_KEY',
    'LOSS_TERMS', 'branch_top1', 'collapse_thresholds', 'contrastive_top1',
    'embedding_spread', 'figure_key', 'figures', 'healthy_spread',
    'positive_cosine', 'queue_info_nce'
]
