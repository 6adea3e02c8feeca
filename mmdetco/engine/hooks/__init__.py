# Copyright (c) mmdetco contributors. All rights reserved.
from .health_hook import DetCoHealthHook
from .knn_monitor_hook import KNNMonitorHook, knn_predict
from .queue_check_hook import DetCoQueueCheckHook

__all__ = [
    'DetCoHealthHook', 'DetCoQueueCheckHook', 'KNNMonitorHook', 'knn_predict'
]
