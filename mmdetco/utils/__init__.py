# Copyright (c) mmdetco contributors. All rights reserved.
from .bn_stats import cumulative_bn_stats
from .checkpoint import (load_checkpoint_safely, mmengine_checkpoint_globals,
                         register_safe_globals)
from .gpu_aug_config import gpu_aug_config
from .model_wrapper import get_ori_model
from .package_files import package_file
from .rng import global_rng_restored
from .training_log import (SCALAR_KEY, find_log, find_logs, load_records,
                           scalar_key, scalars)
from .view_layout import join_views, patches_per_set, split_views
from .weights import (extract_backbone_state_dict, infer_resnet_depth,
                      load_resnet_backbone)

__all__ = [
    'cumulative_bn_stats', 'mmengine_checkpoint_globals',
    'register_safe_globals', 'load_checkpoint_safely',
    'extract_backbone_state_dict', 'infer_resnet_depth',
    'load_resnet_backbone', 'global_rng_restored', 'gpu_aug_config',
    'package_file', 'get_ori_model', 'join_views', 'patches_per_set',
    'split_views', 'SCALAR_KEY', 'scalar_key', 'scalars', 'find_log',
    'find_logs', 'load_records'
]
