# Copyright (c) mmdetco contributors. All rights reserved.
from .backbone_bn_stats_hook import BackboneBNStatsHook
from .health_hook import DetCoHealthHook
from .knn_monitor_hook import KNNMonitorHook
from .logged_iters import logs_after_iter
from .preemption_hook import PreemptionHook
from .pretrained_check_hook import (PretrainedBackboneCheckHook,
                                    PretrainedWeightsError)
from .queue_check_hook import DetCoQueueCheckHook
from .rng_state_hook import RNGStateHook, get_rng_state, set_rng_state

__all__ = [
    'BackboneBNStatsHook', 'DetCoHealthHook', 'DetCoQueueCheckHook',
    'KNNMonitorHook', 'PreemptionHook',
    'PretrainedBackboneCheckHook', 'PretrainedWeightsError', 'RNGStateHook',
    'get_rng_state', 'logs_after_iter', 'set_rng_state'
]
