# Copyright (c) mmdetco contributors. All rights reserved.
"""Stop a benchmark whose backbone did not load from its pre-training.

mmengine's ``Pretrained`` init loads with ``strict=False`` and only logs what
did not match, so a wrong ``prefix``, depth or file would leave the backbone
(in part) random.
"""
import os.path as osp
import re
from collections import Counter
from collections.abc import Mapping
from typing import Collection, Dict, Iterable, List, Optional, Sequence, Union

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmengine.runner.checkpoint import _load_checkpoint

from ...compat import HOOKS
from ...utils.weights import (MOMENTUM_ENCODER_PREFIXES, describe_resnet,
                              prefix_counts, shorten, state_dict_of)

#: Key components of momentum encoders: never suggested as the prefix.
MOMENTUM_ENCODERS = tuple(p.rstrip('.') for p in MOMENTUM_ENCODER_PREFIXES)
EXTRACT_TOOL = 'tools/model_converters/extract_backbone_weights.py'
SHOWN_KEYS = 8  # keys of each kind in an error


class PretrainedWeightsError(RuntimeError):
    """A module with a ``Pretrained`` init was not loaded from its file."""


def pretrained_init_cfg(module: torch.nn.Module) -> Optional[dict]:
    """The ``Pretrained`` entry of ``module.init_cfg``, None if none."""
    init_cfg = getattr(module, 'init_cfg', None)
    cfgs = [init_cfg] if isinstance(init_cfg, Mapping) else (init_cfg or [])
    return next((dict(c) for c in cfgs
                 if isinstance(c, Mapping) and c.get('type') == 'Pretrained'),
                None)


def select_with_prefix(state_dict: Mapping, prefix: Optional[str]) -> Dict:
    """What mmengine's ``Pretrained`` init gives the module of a file's
    state dict: without ``prefix`` all, ``module.`` stripped
    (``load_checkpoint``), else the keys under ``prefix``, without it
    (``_load_checkpoint_with_prefix``)."""
    if prefix is None:
        return {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    prefix = prefix if prefix.endswith('.') else prefix + '.'
    return {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }


def _checked(key: str) -> bool:
    return not key.endswith('num_batches_tracked')


def _shape(value: object) -> Union[tuple, str]:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else \
        type(value).__name__


def compare_with_file(
    module_state: Mapping,
    offered: Mapping,
    ignore_missing: Sequence[str] = (),
    ignore_unexpected: Union[bool, Sequence[str]] = (),
    taken: Iterable[str] = ()
) -> Dict[str, List[str]]:
    """The keys of ``module_state`` not loaded from ``offered``, by kind:
    ``missing``, ``unexpected`` (but for ``taken``: the keys that the checked
    modules load from the file), ``misshapen`` and ``changed`` (other
    values). ``num_batches_tracked`` is not compared."""
    ignore_missing, taken = tuple(ignore_missing), set(taken)
    problems = dict(
        missing=[
            k for k in module_state if _checked(k) and k not in offered
            and not k.startswith(ignore_missing)
        ],
        unexpected=[] if ignore_unexpected is True else [
            k for k in offered if _checked(k) and k not in module_state
            and k not in taken and not k.startswith(tuple(ignore_unexpected))
        ],
        misshapen=[],
        changed=[])
    for key, value in module_state.items():
        if _checked(key) and key in offered:
            source = offered[key]
            if _shape(source) != tuple(value.shape):
                problems['misshapen'].append(
                    f'{key} {_shape(source)} != {tuple(value.shape)}')
            elif not torch.equal(value.detach().cpu(), source.to(value.dtype)):
                problems['changed'].append(key)
    return problems


def _momentum_prefix(key: str) -> Optional[str]:
    """``'module.encoder_k.'`` for ``'module.encoder_k.conv1.weight'``."""
    parts = key.split('.')
    return next(
        ('.'.join(parts[:i + 1]) + '.'
         for i, part in enumerate(parts[:-1]) if part in MOMENTUM_ENCODERS),
        None)


def suggest_fix(name: str,
                prefix: Optional[str],
                shapes: Mapping,
                module_state: Mapping,
                problems: Mapping,
                ignore_missing: Sequence[str] = ()) -> str:
    """The likely cause of a mismatch and its fix, in words, from the
    shapes of the file's state dict, the module's state dict and
    :func:`compare_with_file`'s ``problems``."""
    module_shapes = {k: _shape(v) for k, v in module_state.items()}
    option = f'`--cfg-options model.{name}.init_cfg.prefix'
    required = [
        k for k in module_shapes
        if _checked(k) and not k.startswith(tuple(ignore_missing))
    ]
    fits = Counter()  # prefix q: how many module keys fit as q + key
    for file_key, shape in shapes.items():
        parts = file_key.split('.')
        for i in range(len(parts)):
            key = '.'.join(parts[i:])
            if _checked(key) and module_shapes.get(key) == shape:
                fits['.'.join(parts[:i]) + '.' if i else ''] += 1
    best = min((q for q in fits if not _momentum_prefix(q)),
               key=lambda q: (-fits[q], q != 'backbone.', q != ''),
               default=None)
    used = ('', 'module.') if prefix is None else \
        (prefix if prefix.endswith('.') else prefix + '.', )
    momentum = sorted({_momentum_prefix(k) for k in shapes} - {None})
    if best is not None and fits[best] >= len(required) and best not in used:
        if best in ('', 'module.'):
            return (f'this file has no `{used[0]}` prefix (e.g. the output '
                    f'of {EXTRACT_TOOL} without --with-prefix): use '
                    f'prefix=None ({option}=None`)')
        if best == 'backbone.' and momentum:
            return ('this looks like a DetCo (or MoCo-style) training '
                    'checkpoint (it also holds a momentum encoder: '
                    f'{", ".join(m + "*" for m in momentum)}): use '
                    "prefix='backbone.' to load its query encoder "
                    f'({option}=backbone.`), or export the backbone with '
                    f'{EXTRACT_TOOL} and keep prefix=None')
        query = f' (not the momentum encoder {", ".join(momentum)}*)' \
            if momentum else ''
        return (f"this file has a `{best}` prefix: the {name}'s keys are "
                f"under it{query}; use prefix='{best}' ({option}={best}`)")
    offered = select_with_prefix(shapes, prefix)
    keys = prefix_counts(shapes, 12, '.')
    if prefix is not None and not offered:
        return (f'no key of this file starts with `{used[0]}` and no other '
                f'prefix holds the {name}: it holds another model (keys '
                f'{keys}); give the pre-training checkpoint of this backbone')
    theirs = describe_resnet(k for k in offered if _checked(k))
    ours = describe_resnet(required)
    if theirs and ours and theirs != ours:
        return (f'the file holds a {theirs} and the {name} is a {ours}: use '
                'a checkpoint of the same architecture, or a config of the '
                'depth of the file')
    if problems['changed'] and not any(
            problems[kind] for kind in ('missing', 'unexpected', 'misshapen')):
        return ('every key was in the file, but these tensors no longer hold '
                'its values: something re-initialised or changed them after '
                '`init_weights` (another init_cfg, a hook of higher priority, '
                'load_from)')
    return (f'the weights of this file do not fit the {name} (another '
            f"architecture, or another model's weights); its keys: {keys}")


def mismatch_message(name: str,
                     checkpoint: str,
                     prefix: Optional[str],
                     problems: Mapping[str, List[str]],
                     fix: str,
                     file_keys: Collection[str] = ()) -> str:
    """The error of :class:`PretrainedBackboneCheckHook`."""
    path = checkpoint
    if '://' not in checkpoint and not osp.isabs(checkpoint):
        path += f' ({osp.abspath(checkpoint)})'
    labels = dict(
        missing=f'missing keys (in the {name}, not in the file)',
        unexpected=f'unexpected keys (in the file, not in the {name})',
        misshapen=f'misshapen keys (file shape != {name} shape)',
        changed='keys whose values differ from the file')
    lines = [
        f'PretrainedBackboneCheckHook: the {name} was not loaded from its '
        '`Pretrained` init_cfg (mmengine loads it with strict=False and '
        'only logs the mismatch): the run would train from (partly) random '
        'weights, so it stops before the first iteration.',
        f'  file:   {path}',
        f'  prefix: {prefix!r}  (model.{name}.init_cfg.prefix)',
    ] + [
        f'  {label}: {shorten(problems[kind], SHOWN_KEYS)}'
        for kind, label in labels.items() if problems.get(kind)
    ]
    if file_keys:
        lines.append('  keys of the file, by first name: '
                     f'{prefix_counts(file_keys, 12, ".")}')
    return '\n'.join(lines + [f'  fix: {fix}.'])


def _entry(spec: Union[str, Mapping]) -> dict:
    spec = dict(name=spec) if isinstance(spec, str) else spec
    if not isinstance(spec, Mapping) or 'name' not in spec:
        raise TypeError('PretrainedBackboneCheckHook: each of `modules` is a '
                        f'module name or a dict with `name`, got {spec!r}.')
    unknown = set(spec) - {'name', 'ignore_missing', 'ignore_unexpected'}
    if unknown:
        raise TypeError('PretrainedBackboneCheckHook: unknown options '
                        f'{sorted(unknown)} for {spec["name"]}.')
    unexpected = spec.get('ignore_unexpected', ('fc.', ))
    return dict(
        name=spec['name'],
        ignore_missing=tuple(spec.get('ignore_missing', ())),
        ignore_unexpected=unexpected is True or tuple(unexpected or ()))


def _read(name: str, checkpoint: str) -> Mapping:
    """The state dict of a file, as mmengine's loaders read it."""
    try:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    except FileNotFoundError as error:
        raise PretrainedWeightsError(
            f'PretrainedBackboneCheckHook: the pre-training of `{name}` '
            f'(model.{name}.init_cfg.checkpoint) does not exist: '
            f'{checkpoint}') from error
    state_dict = state_dict_of(ckpt)
    if state_dict is None:
        found = ckpt['state_dict'] if isinstance(ckpt, Mapping) else ckpt
        raise PretrainedWeightsError(
            f'{checkpoint} holds no state dict (a dict of tensors, or one '
            f'under `state_dict`): found a {type(found).__name__}.')
    return state_dict


def _fail(check: dict,
          state: Mapping,
          offered: Mapping,
          taken: Iterable[str] = ()) -> None:
    """Raise the error if ``state`` was not loaded from ``offered``."""
    problems = compare_with_file(state, offered, check['ignore_missing'],
                                 check['ignore_unexpected'], taken)
    if any(problems.values()):
        fix = suggest_fix(check['name'], check['prefix'], check['shapes'],
                          state, problems, check['ignore_missing'])
        raise PretrainedWeightsError(
            mismatch_message(check['name'], check['checkpoint'],
                             check['prefix'], problems, fix, check['shapes']))


@HOOKS.register_module()
class PretrainedBackboneCheckHook(Hook):
    """Stop a run whose backbone was not loaded from its pre-training.

    ``before_run`` reads the file of each checked module's ``Pretrained``
    init with mmengine's loader and selects what that init loads
    (:func:`select_with_prefix`); ``before_train`` (after ``init_weights``)
    compares the module with it. A missing, unexpected or misshapen key, or
    a value not the file's, raises :class:`PretrainedWeightsError` with the
    file, the prefix, the keys and the likely fix. What is not checked, and
    why: docs/en/benchmarks.md, "How the pre-trained weights are passed".

    Args:
        modules (Sequence[str | dict]): The (dotted) names of the modules to
            check, or dicts of ``name`` and the options ``ignore_missing``
            (key prefixes of the module not in the file, e.g. the new
            ``norm.`` of the C4 res5 head) and ``ignore_unexpected`` (key
            prefixes of the file not in the module, default ``('fc.',)``;
            True: the module takes a part of the file). Keys of the other
            modules loaded from the same file are not unexpected. Defaults
            to ``('backbone',)``.
    """

    priority = 'VERY_HIGH'  # before BackboneBNStatsHook changes buffers

    def __init__(self,
                 modules: Sequence[Union[str, dict]] = ('backbone', )) -> None:
        if isinstance(modules, (str, Mapping)):
            modules = [modules]
        self.modules = [_entry(spec) for spec in modules]
        if not self.modules:
            raise ValueError('PretrainedBackboneCheckHook: no module to '
                             'check.')
        self._checks: Optional[list] = None

    def before_run(self, runner) -> None:
        """Read the modules' ``Pretrained`` files (once per file); refuse a
        prefix that selects nothing."""
        self._checks = None
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return  # not training: nothing is initialised
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        names = {entry['name'] for entry in self.modules}
        for name, module in model.named_modules():
            if name and name not in names and pretrained_init_cfg(module):
                runner.logger.warning(
                    f'PretrainedBackboneCheckHook: `{name}` has a Pretrained '
                    'init_cfg but is not checked (add it to `modules`).')
        files, self._checks = {}, []
        for entry in self.modules:
            name = entry['name']
            try:
                module = model.get_submodule(name)
            except AttributeError:
                raise PretrainedWeightsError(
                    f'PretrainedBackboneCheckHook: the model '
                    f'({type(model).__name__}) has no module `{name}` to '
                    'check.') from None
            init = pretrained_init_cfg(module)
            if init is None:
                runner.logger.warning(
                    f'PretrainedBackboneCheckHook: `{name}` has no '
                    'Pretrained init_cfg: it starts from random weights (a '
                    'scratch baseline).')
                continue
            checkpoint, prefix = init.get('checkpoint'), init.get('prefix')
            if not checkpoint:
                raise PretrainedWeightsError(
                    f'PretrainedBackboneCheckHook: the Pretrained init_cfg '
                    f'of `{name}` names no checkpoint: set '
                    f'model.{name}.init_cfg.checkpoint=FILE, or '
                    f'model.{name}.init_cfg=None for random initialisation.')
            if checkpoint not in files:
                files[checkpoint] = _read(name, checkpoint)
            check = dict(
                entry,
                module=module,
                checkpoint=checkpoint,
                prefix=prefix,
                offered=select_with_prefix(files[checkpoint], prefix),
                shapes={
                    k: _shape(v)
                    for k, v in files[checkpoint].items()
                })
            if not check['offered']:
                _fail(check, module.state_dict(), {})
            self._checks.append(check)

    def before_train(self, runner) -> None:
        """Compare the initialised modules with their files."""
        checks, self._checks = self._checks, None
        if not checks:
            return
        if getattr(runner, '_has_loaded', False) or runner.iter > 0:
            runner.logger.info(
                'PretrainedBackboneCheckHook: the run resumed or loaded a '
                'checkpoint (resume / load_from), which replaced the '
                'Pretrained weights: not checked.')
            return
        states = [check['module'].state_dict() for check in checks]
        for check, state in zip(checks, states):
            name, prefix = check['name'], check['prefix']
            taken = {  # the keys the checked modules load from this file
                key
                for other, other_state in zip(checks, states)
                if other['checkpoint'] == check['checkpoint']
                for key in other_state
            }
            _fail(check, state, check['offered'], taken)
            if prefix is not None and _momentum_prefix(prefix + '.'):
                runner.logger.warning(
                    f'PretrainedBackboneCheckHook: `{name}` loaded the '
                    f'momentum encoder `{prefix}*`; DetCo and MoCo evaluate '
                    "the query encoder (prefix='backbone.').")
            loaded = sum(
                1 for k in state
                if _checked(k) and not k.startswith(check['ignore_missing']))
            runner.logger.info(
                f'PretrainedBackboneCheckHook: `{name}`: all {loaded} '
                f'tensors loaded from {check["checkpoint"]} (prefix '
                f'{prefix!r}).')
