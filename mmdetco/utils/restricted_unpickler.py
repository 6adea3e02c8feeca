# Copyright (c) mmdetco contributors. All rights reserved.
"""``weights_only`` loading before torch 2.4.

torch < 2.4 has no ``add_safe_globals`` and its ``weights_only`` unpickler
cannot be extended: :func:`load_restricted` reads with an unpickler that
finds only the globals of torch's allow-list, those later torch versions
allow by default and the given ones.
"""
import _compat_pickle
import codecs
import pickle
from collections import Counter
from typing import Dict, Sequence

import torch
from mmengine.logging import HistoryBuffer


def _history_buffer_getattr(obj: object, name: str) -> object:
    """``getattr`` as a :class:`HistoryBuffer` pickles its statistics
    methods, and nothing else."""
    if not (obj is HistoryBuffer or isinstance(obj, HistoryBuffer)) or \
            name.startswith('_'):
        raise pickle.UnpicklingError(
            f'Unsupported getattr({type(obj).__name__}, {name!r})')
    return getattr(obj, name)


def allowed_globals(extra: Sequence[object]) -> Dict[str, object]:
    """The globals the restricted unpickler finds, by full name: torch's
    allow-list, every dtype, ``torch.device``, ``Counter``, ``set``,
    ``bytearray``, ``complex``, ``_codecs.encode`` (bytes) and ``extra``
    (``getattr`` only for :class:`HistoryBuffer`)."""
    from torch._weights_only_unpickler import _get_allowed_globals
    allowed = dict(_get_allowed_globals())
    allowed.update({
        str(t): t
        for t in vars(torch).values() if isinstance(t, torch.dtype)
    })
    for obj in [
            *extra, torch.device, Counter, set, bytearray, complex,
            codecs.encode
    ]:
        allowed[f'{obj.__module__}.{obj.__name__}'] = obj
    allowed['builtins.getattr'] = _history_buffer_getattr
    return allowed


def restricted_pickle_module(extra: Sequence[object]) -> type:
    """A ``pickle_module`` for ``torch.load`` whose unpickler finds only
    :func:`allowed_globals`."""
    allowed = allowed_globals(extra)

    class Unpickler(pickle.Unpickler):

        def find_class(self, module: str, name: str) -> object:
            # the Python 2 names of pickle protocol 2 (torch.save's)
            module, name = _compat_pickle.NAME_MAPPING.get(
                (module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
            found = allowed.get(f'{module}.{name}')
            if found is None:
                raise pickle.UnpicklingError(
                    f'Unsupported global: GLOBAL {module}.{name}')
            return found

    class RestrictedPickle:
        """The unpickler and ``load`` that ``torch.load`` uses."""

        @staticmethod
        def load(file, **kwargs):
            return Unpickler(file, **kwargs).load()

    RestrictedPickle.Unpickler = Unpickler
    return RestrictedPickle


def load_restricted(f, extra: Sequence[object], map_location=None):
    """``torch.load`` with :func:`restricted_pickle_module`; what it refuses
    raises ``pickle.UnpicklingError`` naming the global."""
    try:
        return torch.load(
            f,
            map_location=map_location,
            pickle_module=restricted_pickle_module(extra))
    except pickle.UnpicklingError as exc:
        raise pickle.UnpicklingError(
            f'Weights only load failed (torch {torch.__version__}, the '
            f'allow-list of mmdetco.utils.restricted_unpickler): {exc}'
        ) from None
