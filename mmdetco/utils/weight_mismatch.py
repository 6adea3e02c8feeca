# Copyright (c) mmdetco contributors. All rights reserved.
"""Diagnose weights that do not fit a model: which keys of a module were not
loaded from its pre-trained file, and the likely fix.

``PretrainedBackboneCheckHook`` compares a module with what its
``Pretrained`` init loads (:func:`compare_state_dicts`; the selection is
:func:`mmdetco.utils.weights.select_as_pretrained`) and reports a mismatch
with its likely fix (:func:`mismatch_report`, :func:`suggest_fix`). Reading
checkpoints and their backbones is :mod:`mmdetco.utils.weights`'s.
"""
import os.path as osp
from collections import Counter
from collections.abc import Mapping
from typing import Collection, Dict, List, Optional, Union

import torch

from .weights import (BACKBONE_PREFIX, MOMENTUM_ENCODER_PREFIXES,
                      describe_resnet, prefix_counts, select_as_pretrained,
                      shorten)

#: What each kind of :func:`compare_state_dicts`'s problems is.
PROBLEMS = dict(
    missing='missing keys (in the {name}, not in the file)',
    unexpected='unexpected keys (in the file, not in the {name})',
    misshapen='misshapen keys (file shape != {name} shape)',
    changed='keys whose values differ from the file')
EXTRACT_TOOL = 'tools/model_converters/extract_backbone_weights.py'
#: The likely cause of a module not loaded from a file, and its fix, by case:
#: the first that holds (:func:`suggest_fix`); the last always does.
FIXES = dict(
    no_prefix='this file has no `{used}` prefix (e.g. the output of '
    f'{EXTRACT_TOOL} without --with-prefix): use prefix=None '
    '({option}=None`)',
    training='this looks like a DetCo (or MoCo-style) training checkpoint '
    '(it also holds a momentum encoder: {momentum_keys}): use '
    "prefix='backbone.' to load its query encoder ({option}=backbone.`), "
    f'or export the backbone with {EXTRACT_TOOL} and keep prefix=None',
    other_prefix="this file has a `{best}` prefix: the {name}'s keys are "
    "under it{query}; use prefix='{best}' ({option}={best}`)",
    nothing_selected='no key of this file starts with `{used}` and no other '
    'prefix holds the {name}: it holds another model (keys {keys}); give '
    'the pre-training checkpoint of this backbone',
    other_depth='the file holds a {theirs} and the {name} is a {ours}: use a '
    'checkpoint of the same architecture, or a config of the depth of the '
    'file',
    changed_only='every key was in the file, but these tensors no longer '
    'hold its values: something re-initialised or changed them after '
    '`init_weights` (another init_cfg, a hook of higher priority, load_from)',
    other='the weights of this file do not fit the {name} (another '
    "architecture, or another model's weights); its keys: {keys}")


def counted(key: str) -> bool:
    """Whether a state dict key is compared: all but BN's
    ``num_batches_tracked``."""
    return not key.endswith('num_batches_tracked')


def shape_of(value: object) -> Union[tuple, str]:
    """The shape of a tensor, the type name of anything else."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else \
        type(value).__name__


def shapes_of(state_dict: Mapping) -> Dict[str, Union[tuple, str]]:
    """The :func:`shape_of` of every value of ``state_dict``, by key."""
    return {key: shape_of(value) for key, value in state_dict.items()}


def momentum_prefix(key: str) -> Optional[str]:
    """The momentum encoder prefix of ``key``, e.g. ``'module.encoder_k.'``
    for ``'module.encoder_k.conv1.weight'``; None if it has none."""
    parts = key.split('.')
    return next(('.'.join(parts[:i + 1]) + '.'
                 for i, part in enumerate(parts[:-1])
                 if part + '.' in MOMENTUM_ENCODER_PREFIXES), None)


def compare_state_dicts(
    state: Mapping,
    offered: Mapping,
    ignore_missing: Collection[str] = (),
    ignore_unexpected: Union[bool, Collection[str]] = (),
    taken: Collection[str] = ()
) -> Dict[str, List[str]]:
    """The keys of ``state`` (a module's) not loaded from ``offered``, by
    kind: ``missing``, ``unexpected`` (but for the ``taken`` keys; True: no
    key is), ``misshapen`` (``'key file-shape != module-shape'``) and
    ``changed`` (other values); ``ignore_*`` are key prefixes. Only
    :func:`counted` keys are compared."""
    ignore_missing, taken = tuple(ignore_missing), set(taken)
    problems = dict(
        missing=[
            k for k in state if counted(k) and k not in offered
            and not k.startswith(ignore_missing)
        ],
        unexpected=[] if ignore_unexpected is True else [
            k for k in offered if counted(k) and k not in state
            and k not in taken and not k.startswith(tuple(ignore_unexpected))
        ],
        misshapen=[],
        changed=[])
    for key, value in state.items():
        if counted(key) and key in offered:
            source = offered[key]
            if shape_of(source) != tuple(value.shape):
                problems['misshapen'].append(
                    f'{key} {shape_of(source)} != {tuple(value.shape)}')
            elif not torch.equal(value.detach().cpu(), source.to(value.dtype)):
                problems['changed'].append(key)
    return problems


def suggest_fix(name: str,
                prefix: Optional[str],
                file_shapes: Mapping,
                state: Mapping,
                problems: Mapping,
                ignore_missing: Collection[str] = ()) -> str:
    """The likely cause, and its fix, of a module ``name`` (``state``) not
    loaded from a file (``file_shapes``: key to :func:`shape_of`) with the
    ``Pretrained`` init's ``prefix`` (:func:`compare_state_dicts`'s
    ``problems``): the fix of :data:`FIXES` for the first case that holds.

    The file holds the module under the prefix with most of the module's
    keys, with their shapes (among equals ``backbone.``, then ``''``; never a
    momentum encoder's).
    """
    shapes = shapes_of(state)
    required = [
        k for k in shapes
        if counted(k) and not k.startswith(tuple(ignore_missing))
    ]
    fits = Counter()  # prefix q: how many module keys fit as q + key
    for file_key, shape in file_shapes.items():
        parts = file_key.split('.')
        for i in range(len(parts)):
            key = '.'.join(parts[i:])
            if counted(key) and shapes.get(key) == shape:
                fits['.'.join(parts[:i]) + '.' if i else ''] += 1
    best = min((q for q in fits if not momentum_prefix(q)),
               key=lambda q: (-fits[q], q != BACKBONE_PREFIX, q != ''),
               default=None)
    used = ('', 'module.') if prefix is None else \
        (prefix if prefix.endswith('.') else prefix + '.', )
    offered = select_as_pretrained(file_shapes, prefix)
    momentum = sorted({momentum_prefix(k) for k in file_shapes} - {None})
    theirs = describe_resnet(filter(counted, offered))
    ours = describe_resnet(required)
    found = best is not None and fits[best] >= len(required) and \
        best not in used
    cases = dict(
        no_prefix=found and best in ('', 'module.'),
        training=found and best == BACKBONE_PREFIX and momentum,
        other_prefix=found,
        nothing_selected=prefix is not None and not offered,
        other_depth=theirs and ours and theirs != ours,
        changed_only=problems['changed']
        and not any(problems[kind]
                    for kind in ('missing', 'unexpected', 'misshapen')))
    case = next((c for c, holds in cases.items() if holds), 'other')
    return FIXES[case].format(
        name=name,
        best=best,
        used=used[0],
        theirs=theirs,
        ours=ours,
        option=f'`--cfg-options model.{name}.init_cfg.prefix',
        keys=prefix_counts(file_shapes, 12, '.'),
        momentum_keys=', '.join(m + '*' for m in momentum),
        query=f' (not the momentum encoder {", ".join(momentum)}*)'
        if momentum else '')


def mismatch_report(name: str,
                    checkpoint: str,
                    prefix: Optional[str],
                    file_shapes: Mapping,
                    state: Mapping,
                    problems: Mapping,
                    ignore_missing: Collection[str] = ()) -> List[str]:
    """The lines that say how the module ``name`` (``state``) was not loaded
    from ``checkpoint`` (``file_shapes``) with ``prefix``: the file, the
    prefix, the first keys of each kind of ``problems``, the keys of the
    file and :func:`suggest_fix`'s fix."""
    path = checkpoint
    if '://' not in checkpoint and not osp.isabs(checkpoint):
        path += f' ({osp.abspath(checkpoint)})'
    lines = [
        f'  file:   {path}',
        f'  prefix: {prefix!r}  (model.{name}.init_cfg.prefix)'
    ] + [
        f'  {label.format(name=name)}: {shorten(problems[kind], 8)}'
        for kind, label in PROBLEMS.items() if problems[kind]
    ]
    if file_shapes:
        lines.append('  keys of the file, by first name: '
                     f'{prefix_counts(file_shapes, 12, ".")}')
    fix = suggest_fix(name, prefix, file_shapes, state, problems,
                      ignore_missing)
    return lines + [f'  fix: {fix}.']
