# Copyright (c) mmdetco contributors. All rights reserved.
from .checkpoint import mmengine_checkpoint_globals, register_safe_globals
from .distributed import setup_cpu_distributed
from .rng import global_rng_restored
from .weights import (extract_backbone_state_dict, infer_resnet_depth,
                      load_checkpoint_safely, load_resnet_backbone)

__all__ = [
    'mmengine_checkpoint_globals', 'register_safe_globals',
    'load_checkpoint_safely', 'extract_backbone_state_dict',
    'infer_resnet_depth', 'load_resnet_backbone', 'setup_cpu_distributed',
    'global_rng_restored'
]
