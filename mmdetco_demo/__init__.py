# Copyright (c) mmdetco contributors. All rights reserved.
"""The embedded demo, an application of :mod:`mmdetco`: its generated data
(:mod:`.scenes`, with images drawn by :mod:`.render` from :mod:`.shapes`
and :mod:`.textures`), its steps (pre-train, export, probe, fine-tune, read
the logs; :mod:`.steps`), any pre-training config at its scale
(:mod:`.scale`), its tables (:mod:`.tables`), its dense probe
(:mod:`.dense_probe`) and its detector's RoIAlign
(:mod:`.separable_roi_align`). Used by ``tools/run_demo.py`` and the
benchmark tools; ``mmdetco`` never imports it."""
from .render import render_scene
from .scale import multi_view_of, shrink_to_demo
from .scenes import background_pool, generate_demo_data
from .shapes import CLASSES
from .steps import (DENSE_CELL, DENSE_NAME, DETCO_CONFIG, DETECTOR_CONFIG,
                    MOCOV2_CONFIG, PROBE_CONFIG, PROBE_NAME, data_root_options,
                    dense_miou, ensure_demo_data, export_backbone, finetune,
                    last_checkpoint, pretrain, pretrain_and_finetune,
                    pretrain_health, probe, probe_seeds_mean,
                    probes_side_by_side, random_init_backbone,
                    random_init_probes, read_log, terms_not_falling, train)
from .tables import format_table, save_table

__all__ = [
    'CLASSES', 'DENSE_CELL', 'DENSE_NAME', 'DETCO_CONFIG', 'DETECTOR_CONFIG',
    'MOCOV2_CONFIG', 'PROBE_CONFIG', 'PROBE_NAME', 'background_pool',
    'data_root_options', 'dense_miou', 'ensure_demo_data', 'export_backbone',
    'finetune', 'format_table', 'generate_demo_data', 'last_checkpoint',
    'multi_view_of', 'pretrain', 'pretrain_and_finetune', 'pretrain_health',
    'probe', 'probe_seeds_mean', 'probes_side_by_side', 'random_init_backbone',
    'random_init_probes', 'read_log', 'render_scene', 'save_table',
    'shrink_to_demo', 'terms_not_falling', 'train'
]
