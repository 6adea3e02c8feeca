# Copyright (c) mmdetco contributors. All rights reserved.
from .demo import (DETCO_CONFIG, DETECTOR_CONFIG, MOCOV2_CONFIG,
                   export_backbone, finetune, pretrain, pretrain_health,
                   read_log)

__all__ = [
    'DETCO_CONFIG', 'DETECTOR_CONFIG', 'MOCOV2_CONFIG', 'export_backbone',
    'finetune', 'pretrain', 'pretrain_health', 'read_log'
]
