# Copyright (c) mmdetco contributors. All rights reserved.
"""Load mmengine checkpoints with ``torch.load(weights_only=True)``.

Since torch 2.6, ``torch.load`` only unpickles tensors, containers and
allow-listed types by default. mmengine 0.10.7 calls ``torch.load`` without
``weights_only`` and its training checkpoints also hold the message hub's
``HistoryBuffer`` (numpy arrays and scalars), so resume, ``load_from`` and
``Pretrained`` init fail on them. Rather than disabling the check
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``), mmdetco allows exactly the types
mmengine writes, and nothing more; before torch 2.4 (no
``add_safe_globals``) with a restricted unpickler
(:mod:`mmdetco.utils.restricted_unpickler`).
"""
import os.path as osp
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .restricted_unpickler import load_restricted

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


def load_weights_only(f, map_location=None):
    """``torch.load(f, weights_only=True)`` that reads mmengine checkpoints,
    on every torch version."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        return torch.load(f, map_location=map_location, weights_only=True)
    return load_restricted(f, mmengine_checkpoint_globals(), map_location)


def _load_local(filename: str, map_location=None):
    """mmengine's loader of local files, with :func:`load_weights_only`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_weights_only(filename, map_location)


def register_safe_globals() -> None:
    """Allow the types of :func:`mmengine_checkpoint_globals` in
    ``torch.load(weights_only=True)``. Before torch 2.4, whose ``torch.load``
    unpickles anything by default, mmengine reads local checkpoints (resume,
    ``load_from``, ``Pretrained``) with :func:`load_weights_only` instead."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    else:
        CheckpointLoader.register_scheme(
            prefixes='', loader=_load_local, force=True)
