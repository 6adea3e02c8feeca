# Copyright (c) mmdetco contributors. All rights reserved.
from .detco_data_preprocessor import DetCoDataPreprocessor
from .embedding_health import (LOSS_TERMS, contrastive_top1, embedding_spread,
                               healthy_spread, positive_cosine)
from .foreach_ema import ForeachEMA
from .queue_info_nce import queue_info_nce
from .shuffle_bn import shuffle_batch, unshuffle_batch
from .view_augmentation import DetCoViewAugmentation

__all__ = [
    'DetCoDataPreprocessor', 'DetCoViewAugmentation', 'ForeachEMA',
    'LOSS_TERMS', 'contrastive_top1', 'embedding_spread', 'healthy_spread',
    'positive_cosine', 'queue_info_nce', 'shuffle_batch', 'unshuffle_batch'
]
