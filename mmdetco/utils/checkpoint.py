# Copyright (c) mmdetco contributors. All rights reserved.
"""Load mmengine checkpoints with ``torch.load(weights_only=True)``.

Since torch 2.6, ``torch.load`` only unpickles tensors, containers and
allow-listed types by default. mmengine 0.10.7 calls ``torch.load`` without
``weights_only`` and its training checkpoints also hold the message hub's
``HistoryBuffer`` (numpy arrays and scalars), so resume, ``load_from`` and
``Pretrained`` init fail on them. Rather than disabling the check
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``), mmdetco allows exactly the types
mmengine writes, and nothing more.
"""
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray


def mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor types found in an mmengine training checkpoint."""
    return [
        HistoryBuffer,
        multiarray._reconstruct,
        multiarray.scalar,
        np.ndarray,
        np.dtype,
        np.dtypes.Float64DType,
        np.dtypes.Int64DType,
        getattr,  # how numpy pickles dtypes
    ]


def register_safe_globals() -> None:
    """Allow the types of :func:`mmengine_checkpoint_globals` in
    ``torch.load(weights_only=True)``; a no-op before torch 2.4."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
