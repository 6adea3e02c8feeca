# Copyright (c) mmdetco contributors. All rights reserved.
"""Load checkpoints, mmengine's training checkpoints included, with
``torch.load(weights_only=True)`` on every torch version (why:
docs/en/long_runs.md, "Checkpoints stay safe")."""
import _compat_pickle
import codecs
import os.path as osp
import pickle
from collections import Counter
from functools import lru_cache
from typing import Dict, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray


def mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor types found in an mmengine training checkpoint."""
    return [
        HistoryBuffer, multiarray._reconstruct, multiarray.scalar, np.ndarray,
        np.dtype, np.dtypes.Float64DType, np.dtypes.Int64DType,
        getattr  # how numpy pickles dtypes
    ]


def _history_buffer_getattr(obj: object, name: str) -> object:
    """``getattr`` of a :class:`HistoryBuffer` statistics method only."""
    if not (obj is HistoryBuffer or isinstance(obj, HistoryBuffer)) or \
            name.startswith('_'):
        raise pickle.UnpicklingError(
            f'Unsupported getattr({type(obj).__name__}, {name!r})')
    return getattr(obj, name)


@lru_cache()
def _allowed_globals() -> Dict[str, object]:
    """What :class:`_Unpickler` finds, by name: torch's allow-list, the
    types later torch versions allow, :func:`mmengine_checkpoint_globals`."""
    from torch._weights_only_unpickler import _get_allowed_globals
    allowed = dict(_get_allowed_globals())
    allowed.update(
        {str(t): t
         for t in vars(torch).values() if isinstance(t, torch.dtype)})
    for obj in (*mmengine_checkpoint_globals(), torch.device, Counter, set,
                bytearray, complex, codecs.encode):
        allowed[f'{obj.__module__}.{obj.__name__}'] = obj
    allowed['builtins.getattr'] = _history_buffer_getattr
    return allowed


class _Unpickler(pickle.Unpickler):
    """The unpickler of :func:`load_weights_only` before torch 2.4."""

    def find_class(self, module: str, name: str) -> object:
        # the Python 2 names of pickle protocol 2 (torch.save's)
        module, name = _compat_pickle.NAME_MAPPING.get((module, name),
                                                       (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = _allowed_globals().get(f'{module}.{name}')
        if found is None:
            raise pickle.UnpicklingError(
                f'Weights only load failed (torch {torch.__version__}, the '
                'allow-list of mmdetco.utils.checkpoint): Unsupported '
                f'global: GLOBAL {module}.{name}')
        return found


class _RestrictedPickle:
    """The ``pickle_module`` that ``torch.load`` is given before 2.4."""
    Unpickler = _Unpickler

    @staticmethod
    def load(file, **kwargs):
        return _Unpickler(file, **kwargs).load()


def load_weights_only(f, map_location=None):
    """``torch.load(f, weights_only=True)`` that reads mmengine training
    checkpoints, on every torch version."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        return torch.load(f, map_location=map_location, weights_only=True)
    return torch.load(f, map_location, pickle_module=_RestrictedPickle)


def load_checkpoint_safely(path: str, map_location='cpu') -> dict:
    """Load a checkpoint file with :func:`load_weights_only`.

    Args:
        path (str): The checkpoint file.
        map_location (str): Where to put the tensors. Defaults to 'cpu'.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: If it is no checkpoint, or holds objects not allowed.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Checkpoint {path} does not exist.')
    try:
        return load_weights_only(path, map_location)
    except Exception as exc:  # the errors on garbage are many and vary
        raise ValueError(
            f'Cannot load {path} safely with torch.load(weights_only=True); '
            'it is no checkpoint, or it holds objects that are not '
            f'allowed:\n{exc}') from exc


def register_safe_globals() -> None:
    """Let mmengine's loaders (resume, ``load_from``, ``Pretrained``) read
    its training checkpoints with ``weights_only=True``."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    else:  # mmengine's torch.load would unpickle anything
        CheckpointLoader.register_scheme(
            prefixes='', loader=load_checkpoint_safely, force=True)
