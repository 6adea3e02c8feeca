# Copyright (c) mmdetco contributors. All rights reserved.
"""Stop a benchmark whose backbone did not load from its pre-training.

mmengine's ``Pretrained`` init loads with ``strict=False`` and only logs what
did not match: a pre-training checkpoint given without ``prefix``, a
ResNet-18 file given to a ResNet-50 config or a checkpoint of another model
leave the backbone (fully or in part) at its random initialisation, and the
benchmark then measures a random network. :class:`PretrainedBackboneCheckHook`
compares, before the first training iteration, every parameter and buffer
of the checked modules with the file and raises
:class:`PretrainedWeightsError` when one was not loaded.
"""
import os.path as osp
import re
from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmengine.runner.checkpoint import _load_checkpoint

from ...compat import HOOKS
from ...utils.weights import (MOMENTUM_ENCODER_PREFIXES, RESNET_LAYOUTS,
                              resnet_blocks)

#: BN's batch counter: not compared (see PretrainedBackboneCheckHook).
NUM_BATCHES_TRACKED = 'num_batches_tracked'
#: Key components of momentum (key / target) encoders in self-supervised
#: checkpoints: never suggested as the prefix to load.
MOMENTUM_ENCODERS = tuple(p.rstrip('.') for p in MOMENTUM_ENCODER_PREFIXES)
EXTRACT_TOOL = 'tools/model_converters/extract_backbone_weights.py'
#: How many keys of each kind an error message lists.
SHOWN_KEYS = 8


class PretrainedWeightsError(RuntimeError):
    """A module with a ``Pretrained`` init was not loaded from its file."""


def pretrained_init_cfg(module: torch.nn.Module) -> Optional[dict]:
    """The ``Pretrained`` entry of ``module.init_cfg`` (a dict or a list of
    dicts), or None when the module is not initialised from a file."""
    init_cfg = getattr(module, 'init_cfg', None)
    cfgs = [init_cfg] if isinstance(init_cfg, Mapping) else (init_cfg or [])
    for cfg in cfgs:
        if isinstance(cfg, Mapping) and cfg.get('type') == 'Pretrained':
            return dict(cfg)
    return None


def select_with_prefix(state_dict: Mapping, prefix: Optional[str]) -> Dict:
    """The tensors mmengine's ``Pretrained(prefix=prefix)`` init offers the
    module: without prefix the state dict with ``module.`` stripped
    (``load_checkpoint``), otherwise the keys that start with ``prefix``
    (``.`` appended if missing), without it
    (``_load_checkpoint_with_prefix``)."""
    if prefix is None:
        return OrderedDict((re.sub(r'^module\.', '', str(k)), v)
                           for k, v in state_dict.items())
    if not prefix.endswith('.'):
        prefix += '.'
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if str(k).startswith(prefix))


def _state_dict_of(checkpoint: object, path: str) -> Mapping:
    """``checkpoint['state_dict']`` or the checkpoint, as mmengine reads."""
    if not isinstance(checkpoint, Mapping):
        raise PretrainedWeightsError(
            f'{path} holds a {type(checkpoint).__name__}, not a checkpoint '
            '(a dict of tensors, or one under `state_dict`).')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, Mapping):
        raise PretrainedWeightsError(
            f'The `state_dict` of {path} is a {type(state_dict).__name__}, '
            'not a dict of tensors.')
    return state_dict


def _checked(key: str) -> bool:
    return not key.endswith(NUM_BATCHES_TRACKED)


def _starts(key: str, prefixes: Iterable[str]) -> bool:
    return any(key.startswith(p) for p in prefixes)


def _shorten(items: List[str], limit: int = SHOWN_KEYS) -> str:
    text = ', '.join(items[:limit])
    if len(items) > limit:
        text += f', ... ({len(items)} in all)'
    return text or 'none'


def _prefix_counts(keys: Iterable[str]) -> str:
    counts = Counter(str(k).split('.')[0] for k in keys)
    return _shorten([f'{p}. ({n})' for p, n in counts.items()], 12)


def compare_with_file(module_state: Mapping,
                      offered: Mapping,
                      ignore_missing: Sequence[str] = (),
                      ignore_unexpected: Union[bool, Sequence[str]] = (),
                      values: bool = True,
                      taken: Iterable[str] = ()) -> Dict[str, List[str]]:
    """What of ``module_state`` (a module's state dict) was not loaded from
    ``offered`` (the file's tensors after the prefix). Keys in ``taken``
    (those of other modules initialised from the same file, e.g. the C4
    res5 head's ``layer4.*``) are not unexpected.

    Returns:
        dict: Lists of keys: ``missing`` (in the module, not in the file),
        ``unexpected`` (in the file, not in the module), ``misshapen``
        (``key file-shape != module-shape``) and, with ``values``,
        ``changed`` (same key and shape, other values: changed after
        loading). ``num_batches_tracked`` buffers are left out.
    """
    missing = [
        k for k in module_state
        if _checked(k) and k not in offered and not _starts(k, ignore_missing)
    ]
    taken = set(taken)
    unexpected = [] if ignore_unexpected is True else [
        k for k in offered if _checked(k) and k not in module_state
        and k not in taken and not _starts(k, ignore_unexpected or ())
    ]
    misshapen, changed = [], []
    for key, value in module_state.items():
        if not _checked(key) or key not in offered:
            continue
        source = offered[key]
        if not isinstance(source, torch.Tensor) or \
                tuple(source.shape) != tuple(value.shape):
            shape = tuple(source.shape) if isinstance(
                source, torch.Tensor) else type(source).__name__
            misshapen.append(f'{key} {shape} != {tuple(value.shape)}')
        elif values and not torch.equal(value.detach().cpu(),
                                        source.to(value.dtype)):
            changed.append(key)
    problems = dict(
        missing=missing, unexpected=unexpected, misshapen=misshapen)
    if values:
        problems['changed'] = changed
    return problems


def _fitting_prefixes(shapes: Mapping, module_shapes: Mapping) -> Counter:
    """For every prefix ``q`` under which file keys ``q + key`` have a key
    and the shape of the module: how many module keys fit."""
    fits = Counter()
    for file_key, shape in shapes.items():
        parts = str(file_key).split('.')
        for i in range(len(parts)):
            key = '.'.join(parts[i:])
            if key in module_shapes and _checked(key) and \
                    module_shapes[key] == shape:
                fits['.'.join(parts[:i]) + '.' if i else ''] += 1
    return fits


def _resnet_of(keys: Iterable[str]) -> Optional[str]:
    """``'ResNet-50'`` (or ``'a BasicBlock ResNet with ...'``) for the keys
    of a ResNet, None if they are not a ResNet's."""
    block, blocks = resnet_blocks(str(key) for key in keys)
    if not blocks:
        return None
    layout = tuple(blocks[s] for s in sorted(blocks))
    depth = RESNET_LAYOUTS.get((block, layout))
    stages = '-'.join(str(n) for n in layout)
    return f'ResNet-{depth} ({block}, {stages} blocks)' if depth else \
        f'a ResNet of {block}s, {stages} blocks'


def _is_momentum(prefix: str) -> bool:
    return any(part in MOMENTUM_ENCODERS for part in prefix.split('.'))


def suggest_fix(name: str,
                prefix: Optional[str],
                shapes: Mapping,
                module_shapes: Mapping,
                problems: Mapping[str, List[str]],
                ignore_missing: Sequence[str] = ()) -> str:
    """The likely cause of a mismatch and its fix, in words.

    Args:
        name (str): The module's name in the model, e.g. ``backbone``.
        prefix (str, optional): The ``prefix`` of its ``Pretrained`` init.
        shapes (Mapping): The shapes of the file's state dict, by key.
        module_shapes (Mapping): The shapes of the module's state dict.
        problems (Mapping): :func:`compare_with_file`'s result.
        ignore_missing (Sequence[str]): Key prefixes of the module that are
            not in a pre-training (new layers).
    """
    option = f'model.{name}.init_cfg.prefix'
    required = [
        k for k in module_shapes
        if _checked(k) and not _starts(k, ignore_missing)
    ]
    momentum = set()
    for key in shapes:
        parts = str(key).split('.')
        for i, part in enumerate(parts[:-1]):
            if part in MOMENTUM_ENCODERS:
                momentum.add('.'.join(parts[:i + 1]) + '.')
                break
    momentum = sorted(momentum)
    training = f'this looks like a DetCo (or MoCo-style) training ' \
        f'checkpoint (it also holds a momentum encoder: ' \
        f'{", ".join(m + "*" for m in momentum)})' if momentum else None
    fits = _fitting_prefixes(shapes, module_shapes)
    candidates = sorted((q for q in fits if not _is_momentum(q)),
                        key=lambda q: (-fits[q], q != 'backbone.', q != ''))
    used = '' if prefix is None else prefix if prefix.endswith('.') \
        else prefix + '.'
    # what the current prefix selects (mmengine strips `module.` without)
    current = ('', 'module.') if prefix is None else (used, )
    if candidates and fits[candidates[0]] >= len(required) and \
            candidates[0] not in current:
        best = candidates[0]
        if best in ('', 'module.'):
            return (f'this file has no `{used}` prefix (e.g. the output of '
                    f'{EXTRACT_TOOL} without --with-prefix): use '
                    f'prefix=None (`--cfg-options {option}=None`)')
        if best == 'backbone.' and training:
            return (f"{training}: use prefix='backbone.' to load its query "
                    f'encoder (`--cfg-options {option}=backbone.`), or '
                    f'export the backbone with {EXTRACT_TOOL} and keep '
                    'prefix=None')
        query = f' (not the momentum encoder {", ".join(momentum)}*)' \
            if momentum else ''
        return (f'this file has a `{best}` prefix: the {name}\'s keys are '
                f"under it{query}; use prefix='{best}' (`--cfg-options "
                f'{option}={best}`)')
    if used and not select_with_prefix(shapes, prefix):
        return (f'no key of this file starts with `{used}` and no other '
                f'prefix holds the {name}: it holds another model (keys '
                f'{_prefix_counts(shapes)}); give the pre-training '
                'checkpoint of this backbone')
    offered = select_with_prefix(shapes, prefix)
    theirs = _resnet_of(k for k in offered if _checked(k))
    ours = _resnet_of(required)
    if theirs and ours and theirs != ours:
        return (f'the file holds a {theirs} and the {name} is a {ours}: '
                'use a checkpoint of the same architecture, or a config '
                'of the depth of the file')
    if problems.get('changed') and not any(
            problems.get(kind)
            for kind in ('missing', 'unexpected', 'misshapen')):
        return ('every key was in the file, but these tensors no longer '
                'hold its values: something re-initialised or changed them '
                'after `init_weights` (another init_cfg, a hook of higher '
                'priority, load_from)')
    return (f'the weights of this file do not fit the {name} (another '
            'architecture, or another model\'s weights); its keys: '
            f'{_prefix_counts(shapes)}')


def mismatch_message(name: str,
                     checkpoint: str,
                     prefix: Optional[str],
                     problems: Mapping[str, List[str]],
                     fix: str,
                     file_keys: Iterable[str] = ()) -> str:
    """The error of :class:`PretrainedBackboneCheckHook`."""
    path = checkpoint
    if '://' not in checkpoint and not osp.isabs(checkpoint):
        path += f' ({osp.abspath(checkpoint)})'
    lines = [
        f'PretrainedBackboneCheckHook: the {name} was not loaded from its '
        '`Pretrained` init_cfg (mmengine loads it with strict=False and '
        'only logs the mismatch): the run would train from (partly) random '
        'weights, so it stops before the first iteration.',
        f'  file:   {path}',
        f'  prefix: {prefix!r}  (model.{name}.init_cfg.prefix)',
    ]
    labels = dict(
        missing=f'missing keys (in the {name}, not in the file)',
        unexpected=f'unexpected keys (in the file, not in the {name})',
        misshapen=f'misshapen keys (file shape != {name} shape)',
        changed='keys whose values differ from the file')
    for kind, label in labels.items():
        if problems.get(kind):
            lines.append(f'  {label}: {_shorten(problems[kind])}')
    file_keys = list(file_keys)
    if file_keys:
        lines.append(f'  keys of the file, by first name: '
                     f'{_prefix_counts(file_keys)}')
    lines.append(f'  fix: {fix}.')
    return '\n'.join(lines)


def _entry(spec: Union[str, Mapping]) -> dict:
    if isinstance(spec, str):
        spec = dict(name=spec)
    elif not isinstance(spec, Mapping) or 'name' not in spec:
        raise TypeError('PretrainedBackboneCheckHook: each of `modules` is a '
                        'module name or a dict with `name`, got '
                        f'{spec!r}.')
    unknown = set(spec) - {'name', 'ignore_missing', 'ignore_unexpected'}
    if unknown:
        raise TypeError('PretrainedBackboneCheckHook: unknown options '
                        f'{sorted(unknown)} for {spec["name"]}.')
    ignore_unexpected = spec.get('ignore_unexpected', ('fc.', ))
    if ignore_unexpected is not True:
        ignore_unexpected = tuple(ignore_unexpected or ())
    return dict(
        name=spec['name'],
        ignore_missing=tuple(spec.get('ignore_missing', ())),
        ignore_unexpected=ignore_unexpected)


def _submodule(model: torch.nn.Module, name: str) -> torch.nn.Module:
    try:
        return model.get_submodule(name)
    except AttributeError:
        raise PretrainedWeightsError(
            f'PretrainedBackboneCheckHook: the model '
            f'({type(model).__name__}) has no module `{name}` to check.'
        ) from None


@HOOKS.register_module()
class PretrainedBackboneCheckHook(Hook):
    """Stop a run whose backbone was not loaded from its pre-training.

    For every module in ``modules`` that has a ``Pretrained`` ``init_cfg``,
    the hook reads the file once (``before_run``, with mmengine's own
    loader, before ``init_weights``), selects its tensors as mmengine's
    ``Pretrained`` init does (without ``prefix``: the state dict, ``module.``
    stripped; with it: the keys under the prefix), and, before the first
    training iteration (``before_train``, after ``init_weights``), compares
    the module's state dict with them. It raises
    :class:`PretrainedWeightsError` when a key of the module is missing from
    the file, a key of the file is not in the module (unexpected), a shape
    differs or a value is not the file's; the error names the file, the
    prefix, the first keys of each kind and the likely fix. A prefix that
    selects no key at all fails already in ``before_run``, instead of
    mmengine's bare ``AssertionError: backbone. is not in the pretrained
    model``.

    Decisions:

    - ``num_batches_tracked`` (BN's batch counter) is not compared: some
      files lack it (torchvision-format files, the DetCo authors' release),
      torch's BN fills it in when a file has none, and it affects nothing
      when BN's ``momentum`` is set.
    - A module without a ``Pretrained`` init_cfg (``init_cfg=None``: a
      random-initialisation baseline, such as the demo's ``random init``
      row) passes, with a warning that it starts from random weights: a
      scratch baseline stays possible without a flag, and a ``Pretrained``
      init that loads nothing cannot pass.
    - A run that resumes (``resume=True`` and a checkpoint found, or
      ``load_from``) is not checked: its weights come from that checkpoint,
      not from the ``Pretrained`` file (the run was checked when it
      started).
    - Validation and test runs (no training loop) are not checked.
    - A classifier ``fc.*`` in the file (torchvision-format ResNets, the
      authors' ``.pkl``) is no part of a backbone and is ignored by default.

    Accepted are then all the formats the converters write, with the prefix
    of their keys: a DetCo training checkpoint and the output of
    ``extract_backbone_weights.py --with-prefix`` or of
    ``convert_official_detco.py`` with ``prefix='backbone.'``; the output of
    ``extract_backbone_weights.py`` (and the authors' ``.pkl`` itself) with
    ``prefix=None``.

    Args:
        modules (Sequence[str | dict]): The modules to check, by their
            (dotted) name in the model. A dict entry gives options:
            ``name``; ``ignore_missing`` (key prefixes of the module that
            the file need not have: new layers, e.g. the extra ``norm.`` of
            the C4 res5 head); ``ignore_unexpected`` (key prefixes of the
            file that are no part of the module, default ``('fc.',)``, or
            True when the module takes only some part of the file). A key
            of the file that is a key of another listed module initialised
            from the same file is not unexpected: the C4 backbone
            (res2-res4) and res5 head (``layer4.*``) together take the
            whole query backbone, and each is checked strictly. Modules of
            the model with a ``Pretrained`` init that are not listed are
            named in a warning. Defaults to ``('backbone',)``.
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

    @staticmethod
    def _model(runner) -> torch.nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_run(self, runner) -> None:
        """Read the files of the modules' ``Pretrained`` inits (once per
        file); refuse a prefix that selects nothing."""
        self._checks = None
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return  # not training: nothing is initialised
        model = self._model(runner)
        names = {entry['name'] for entry in self.modules}
        for name, module in model.named_modules():
            if name and name not in names and pretrained_init_cfg(module):
                runner.logger.warning(
                    f'PretrainedBackboneCheckHook: `{name}` has a Pretrained '
                    'init_cfg but is not checked (add it to `modules`).')
        files: Dict[str, Tuple[Mapping, Dict]] = {}
        selections: Dict[Tuple[str, Optional[str]], Dict] = {}
        self._checks = []
        for entry in self.modules:
            name = entry['name']
            module = _submodule(model, name)
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
                try:
                    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
                except FileNotFoundError as error:
                    raise PretrainedWeightsError(
                        f'PretrainedBackboneCheckHook: the pre-training of '
                        f'`{name}` (model.{name}.init_cfg.checkpoint) does '
                        f'not exist: {checkpoint}') from error
                state_dict = _state_dict_of(ckpt, checkpoint)
                shapes = {
                    str(k):
                    tuple(v.shape) if isinstance(v, torch.Tensor) else None
                    for k, v in state_dict.items()
                }
                files[checkpoint] = (state_dict, shapes)
            state_dict, shapes = files[checkpoint]
            if (checkpoint, prefix) not in selections:
                selections[checkpoint,
                           prefix] = select_with_prefix(state_dict, prefix)
            offered = selections[checkpoint, prefix]
            module_shapes = {
                k: tuple(v.shape)
                for k, v in module.state_dict().items()
            }
            if not offered:
                problems = compare_with_file(
                    module_shapes, {}, entry['ignore_missing'], values=False)
                raise PretrainedWeightsError(
                    mismatch_message(
                        name, checkpoint, prefix, problems,
                        suggest_fix(name, prefix, shapes, module_shapes,
                                    problems, entry['ignore_missing']),
                        shapes))
            self._checks.append(
                dict(
                    entry,
                    checkpoint=checkpoint,
                    prefix=prefix,
                    offered=offered,
                    shapes=shapes))

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
        model = self._model(runner)
        states = [
            _submodule(model, check['name']).state_dict() for check in checks
        ]
        for check, module_state in zip(checks, states):
            name = check['name']
            # the keys that the other checked modules load from this file
            taken = {
                key
                for other, state in zip(checks, states) if other is not check
                and other['checkpoint'] == check['checkpoint'] for key in state
            }
            problems = compare_with_file(
                module_state,
                check['offered'],
                check['ignore_missing'],
                check['ignore_unexpected'],
                taken=taken)
            if any(problems.values()):
                module_shapes = {
                    k: tuple(v.shape)
                    for k, v in module_state.items()
                }
                raise PretrainedWeightsError(
                    mismatch_message(
                        name, check['checkpoint'], check['prefix'], problems,
                        suggest_fix(name, check['prefix'], check['shapes'],
                                    module_shapes, problems,
                                    check['ignore_missing']), check['shapes']))
            loaded = sum(
                1 for k in module_state
                if _checked(k) and not _starts(k, check['ignore_missing']))
            prefix = check['prefix']
            if prefix is not None and _is_momentum(prefix):
                runner.logger.warning(
                    f'PretrainedBackboneCheckHook: `{name}` loaded the '
                    f'momentum encoder `{prefix}*`; DetCo and MoCo evaluate '
                    "the query encoder (prefix='backbone.').")
            runner.logger.info(
                f'PretrainedBackboneCheckHook: `{name}`: all {loaded} '
                f'tensors loaded from {check["checkpoint"]} (prefix '
                f'{prefix!r}).')
