# Copyright (c) mmdetco contributors. All rights reserved.
from .demo import (DETCO_CONFIG, DETECTOR_CONFIG, MOCOV2_CONFIG, PROBE_CONFIG,
                   PROBE_NAME, export_backbone, export_initial_backbone,
                   finetune, pretrain, pretrain_and_finetune, pretrain_health,
                   probe, read_log)
from .demo_scale import multi_view_of, shrink_to_demo
from .tables import format_table, save_table

__all__ = [
    'DETCO_CONFIG', 'DETECTOR_CONFIG', 'MOCOV2_CONFIG', 'PROBE_CONFIG',
    'PROBE_NAME', 'export_backbone', 'export_initial_backbone', 'finetune',
    'format_table', 'multi_view_of', 'pretrain', 'pretrain_and_finetune',
    'pretrain_health', 'probe', 'read_log', 'save_table', 'shrink_to_demo'
]
