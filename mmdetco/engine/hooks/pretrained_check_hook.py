# Copyright (c) mmdetco contributors. All rights reserved.
"""Stop a training run whose backbone did not load from its pre-training
(why: docs/en/benchmarks.md, "How the pre-trained weights are passed")."""
import os.path as osp
import re
from collections import Counter
from collections.abc import Mapping
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmengine.runner.checkpoint import _load_checkpoint

from ...compat import HOOKS
from ...utils.model_wrapper import get_ori_model
from ...utils.weights import (BACKBONE_PREFIX, MOMENTUM_ENCODER_PREFIXES,
                              Mismatch, compare_state_dicts, prefix_counts,
                              resnet_layout, select_as_pretrained, shape_of,
                              state_dict_of)

NAME = 'PretrainedBackboneCheckHook'
LABELS = dict(
    missing='missing keys (in the {}, not in the file)',
    unexpected='unexpected keys (in the file, not in the {})',
    misshapen='misshapen keys (file shape != {} shape)',
    changed='keys whose values differ from the file')
EXTRACT = 'tools/model_converters/extract_backbone_weights.py'
DETECTRON2 = ("this file is in detectron2's layout (res2-5.*, numpy arrays "
              'in a .pkl), which mmengine cannot load: give the mmdetco or '
              'torchvision checkpoint it was converted from')


class PretrainedWeightsError(RuntimeError):
    """A module with a ``Pretrained`` init was not loaded from its file."""


def momentum_prefix(key: str) -> Optional[str]:
    """The momentum encoder prefix of ``key`` (``'module.encoder_k.'`` of
    ``'module.encoder_k.conv1.weight'``), None if none."""
    parts = key.split('.')
    return next(('.'.join(parts[:i + 1]) + '.'
                 for i, part in enumerate(parts[:-1])
                 if part + '.' in MOMENTUM_ENCODER_PREFIXES), None)


class ModuleCheck(NamedTuple):
    """A module to check, and the file its ``Pretrained`` init reads."""
    name: str  # dotted, e.g. 'roi_head.shared_head'
    ignore_missing: Tuple[str, ...] = ()  # prefixes of the module's keys
    ignore_unexpected: Union[bool, Tuple[str, ...]] = ('fc.', )  # file's
    module: Optional[torch.nn.Module] = None
    checkpoint: str = ''
    prefix: Optional[str] = None
    file: Mapping = {}  # the file's state dict

    def check(self, state: Mapping, offered: Mapping) -> None:
        """Raise if ``state`` is not what the file ``offered`` it."""
        mismatch = compare_state_dicts(state, offered, self.ignore_missing,
                                       self.ignore_unexpected)
        if not any(mismatch):
            return
        path = self.checkpoint
        if '://' not in path and not osp.isabs(path):
            path += f' ({osp.abspath(path)})'
        labels = {k: v.format(self.name) for k, v in LABELS.items()}
        raise PretrainedWeightsError('\n  '.join([
            f'{NAME}: the {self.name} was not loaded from its `Pretrained` '
            'init_cfg (mmengine loads it with strict=False and only logs '
            'the mismatch), so the run stops before the first iteration.',
            f'file:   {path}',
            f'prefix: {self.prefix!r}  (model.{self.name}.init_cfg.prefix)',
            *mismatch.describe(labels, 8),
            f'keys of the file, by first name: {self.keys}',
            f'fix: {self.fix(state, mismatch)}.'
        ]))

    @property
    def keys(self) -> str:
        """The first components of the file's keys, with counts."""
        return prefix_counts(self.file, 12, '.')

    def fix(self, state: Mapping, mismatch: Mismatch) -> str:
        """The likely cause of ``mismatch``, and its fix."""
        shapes = {
            k: tuple(v.shape)
            for k, v in state.items() if not k.endswith(
                'num_batches_tracked') and not k.startswith(
                    self.ignore_missing)
        }
        fits = Counter(  # prefix q: how many module keys are q + key
            '.'.join(parts[:i] + [''])
            for key, parts in ((k, k.split('.')) for k in self.file)
            for i in range(len(parts))
            if shapes.get('.'.join(parts[i:])) == shape_of(self.file[key]))
        momentum = sorted({q for q in map(momentum_prefix, self.file) if q})
        best = min((q for q in fits if not momentum_prefix(q)),
                   key=lambda q: (-fits[q], q != BACKBONE_PREFIX, q != ''),
                   default=None)
        used = self.prefix.rstrip('.') + '.' if self.prefix else ''
        use = f'use prefix={{}} (`--cfg-options model.{self.name}.init_cfg.' \
            'prefix={}`)'
        theirs = resnet_layout(select_as_pretrained(self.file, self.prefix))
        ours = resnet_layout(shapes)
        if best is not None and fits[best] >= len(shapes) and best not in (
                used, 'module.' if self.prefix is None else used):
            if best in ('', 'module.'):
                return f'this file has no `{used}` prefix: ' + use.format(
                    None, None)
            if best == BACKBONE_PREFIX and momentum:
                return ('this looks like a DetCo (or MoCo-style) training '
                        'checkpoint, with a momentum encoder '
                        f'{"*, ".join(momentum)}*: ' + use.format(
                            repr(best), best) + ' to load its query '
                        f'encoder, or export it with {EXTRACT}')
            query = f' (not the momentum encoder {", ".join(momentum)}*)' \
                if momentum else ''
            return (f'this file has a `{best}` prefix, which holds the '
                    f'{self.name}{query}: ' + use.format(repr(best), best))
        model = self.file.get('model')  # detectron2's trainer's files
        if any(re.search(r'(^|\.)res[2-5]\.\d+\.', str(k)) for k in [
                *self.file, *(model if isinstance(model, Mapping) else ())]):
            return DETECTRON2
        if not select_as_pretrained(self.file, self.prefix):
            return (f'no key of this file starts with `{used}` and no other '
                    f'prefix holds the {self.name}: it holds another model '
                    f'(keys {self.keys})')
        if theirs.blocks and ours.blocks and str(theirs) != str(ours):
            return (f'the file holds a {theirs} and the {self.name} is a '
                    f'{ours}: use a checkpoint of the same architecture')
        if not any(mismatch[:3]):
            return ('every key loaded, but something changed these values '
                    'after `init_weights` (another init, a hook, load_from)')
        return (f'the weights of this file do not fit the {self.name} '
                f'(another architecture, or another model)')


def pretrained_init_cfg(module: torch.nn.Module) -> Optional[dict]:
    """The ``Pretrained`` entry of ``module.init_cfg``, None if none."""
    init_cfg = getattr(module, 'init_cfg', None)
    cfgs = [init_cfg] if isinstance(init_cfg, Mapping) else (init_cfg or [])
    return next((dict(c) for c in cfgs
                 if isinstance(c, Mapping) and c.get('type') == 'Pretrained'),
                None)


def _module_check(spec: Union[str, Mapping]) -> ModuleCheck:
    """An entry of the hook's ``modules`` as a :class:`ModuleCheck`."""
    spec = dict(name=spec) if isinstance(spec, str) else dict(spec)
    unknown = set(spec) - {'name', 'ignore_missing', 'ignore_unexpected'}
    if unknown or 'name' not in spec:
        raise TypeError(f'{NAME}: each of `modules` is a module name or a '
                        'dict with `name`, `ignore_missing` and '
                        f'`ignore_unexpected`; got {spec} (unknown options '
                        f'{sorted(unknown)}).')
    unexpected = spec.get('ignore_unexpected', ('fc.', ))
    return ModuleCheck(spec['name'], tuple(spec.get('ignore_missing', ())),
                       unexpected is True or tuple(unexpected or ()))


def _read(name: str, checkpoint: str) -> Mapping:
    """The state dict of a file, as mmengine's loaders read it."""
    try:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    except FileNotFoundError as error:
        raise PretrainedWeightsError(
            f'{NAME}: the pre-training of `{name}` (model.{name}.init_cfg.'
            f'checkpoint) does not exist: {checkpoint}') from error
    except Exception as error:  # pickle's and torch's errors vary
        if not checkpoint.endswith('.pkl'):
            raise
        raise PretrainedWeightsError(
            f'{NAME}: mmengine cannot read {checkpoint} (model.{name}.'
            f'init_cfg.checkpoint); if {DETECTRON2}.') from error
    if state_dict_of(ckpt) is None:
        raise PretrainedWeightsError(
            f'{checkpoint} holds no state dict (a dict of tensors, or one '
            f'under `state_dict`): found a {type(ckpt).__name__}.')
    return state_dict_of(ckpt)


@HOOKS.register_module()
class PretrainedBackboneCheckHook(Hook):
    """Stop a training run before its first iteration if a checked module
    was not loaded from its ``Pretrained`` file, with an error that names
    the file, the prefix, the keys not loaded and the likely fix.

    Args:
        modules (Sequence[str | dict]): The (dotted) names of the modules to
            check, or dicts of ``name`` and the key prefixes not compared:
            ``ignore_missing`` (of the module, e.g. ``norm.``) and
            ``ignore_unexpected`` (of the file, default ``('fc.',)``; True:
            all). Defaults to ``('backbone',)``.
    """

    priority = 'VERY_HIGH'  # before BackboneBNStatsHook changes buffers

    def __init__(self,
                 modules: Sequence[Union[str, dict]] = ('backbone', )) -> None:
        modules = [modules] if isinstance(modules, (str, Mapping)) else modules
        self.modules = [_module_check(spec) for spec in modules]
        if not self.modules:
            raise ValueError(f'{NAME}: no module to check.')
        self._checks: Sequence[ModuleCheck] = ()

    def before_run(self, runner) -> None:
        """Read the modules' files (before ``init_weights``)."""
        self._checks, files = [], {}
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return  # not training: nothing is initialised
        model = get_ori_model(runner.model)
        names = {check.name for check in self.modules}
        for name, module in model.named_modules():
            if name and name not in names and pretrained_init_cfg(module):
                runner.logger.warning(
                    f'{NAME}: `{name}` has a Pretrained init_cfg but is not '
                    'checked (add it to `modules`).')
        for check in self.modules:
            name = check.name
            try:
                module = model.get_submodule(name)
            except AttributeError:
                raise PretrainedWeightsError(
                    f'{NAME}: the model ({type(model).__name__}) has no '
                    f'module `{name}` to check.') from None
            init = pretrained_init_cfg(module)
            if init is None:
                runner.logger.warning(
                    f'{NAME}: `{name}` has no Pretrained init_cfg: it starts '
                    'from random weights (a scratch baseline).')
                continue
            if not init.get('checkpoint'):
                raise PretrainedWeightsError(
                    f'{NAME}: the Pretrained init_cfg of `{name}` names no '
                    f'checkpoint: set model.{name}.init_cfg.checkpoint=FILE, '
                    f'or model.{name}.init_cfg=None for random weights.')
            path = init['checkpoint']
            if path not in files:
                files[path] = _read(name, path)
            check = check._replace(
                module=module,
                checkpoint=path,
                prefix=init.get('prefix'),
                file=files[path])
            if not select_as_pretrained(check.file, check.prefix):
                check.check(module.state_dict(), {})
            self._checks.append(check)

    def before_train(self, runner) -> None:
        """Compare the initialised modules with their files."""
        checks, self._checks = self._checks, ()
        if checks and (getattr(runner, '_has_loaded', False)
                       or runner.iter > 0):
            return runner.logger.info(
                f'{NAME}: the run resumed or loaded a checkpoint (resume / '
                'load_from), which replaced the Pretrained weights: not '
                'checked.')
        states = [c.module.state_dict() for c in checks]
        taken = {(c.checkpoint, k) for c, s in zip(checks, states) for k in s}
        for check, state in zip(checks, states):
            offered = {  # less what other modules take of the file
                k: v
                for k, v in select_as_pretrained(check.file,
                                                 check.prefix).items()
                if k in state or (check.checkpoint, k) not in taken
            }
            check.check(state, offered)
            if check.prefix and momentum_prefix(check.prefix + '.'):
                runner.logger.warning(
                    f'{NAME}: `{check.name}` loaded the momentum encoder '
                    f'`{check.prefix}*`; DetCo and MoCo evaluate the query '
                    "encoder (prefix='backbone.').")
            runner.logger.info(
                f'{NAME}: `{check.name}`: all {len(offered.keys() & state)} '
                f'tensors loaded from {check.checkpoint} (prefix '
                f'{check.prefix!r}).')
