# Copyright (c) mmdetco contributors. All rights reserved.
from .embedding_health import (contrastive_top1, embedding_spread,
                               healthy_spread, positive_cosine)

__all__ = [
    'contrastive_top1', 'embedding_spread', 'healthy_spread',
    'positive_cosine'
]
