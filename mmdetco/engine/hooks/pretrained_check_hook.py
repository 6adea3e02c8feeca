# Copyright (c) mmdetco contributors. All rights reserved.
"""Stop a training run whose backbone did not load from its pre-training
(why: docs/en/benchmarks.md, "How the pre-trained weights are passed")."""
from collections.abc import Mapping
from typing import Optional, Sequence, Union

import torch
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmengine.runner.checkpoint import _load_checkpoint

from ...compat import HOOKS
from ...utils.model_wrapper import get_ori_model
from ...utils.weight_mismatch import (compare_state_dicts, counted,
                                      mismatch_report, momentum_prefix,
                                      shapes_of)
from ...utils.weights import select_as_pretrained, state_dict_of

NAME = 'PretrainedBackboneCheckHook'


class PretrainedWeightsError(RuntimeError):
    """A module with a ``Pretrained`` init was not loaded from its file."""


def pretrained_init_cfg(module: torch.nn.Module) -> Optional[dict]:
    """The ``Pretrained`` entry of ``module.init_cfg``, None if none."""
    init_cfg = getattr(module, 'init_cfg', None)
    cfgs = [init_cfg] if isinstance(init_cfg, Mapping) else (init_cfg or [])
    return next((dict(c) for c in cfgs
                 if isinstance(c, Mapping) and c.get('type') == 'Pretrained'),
                None)


def _fail(check: dict, state: Mapping, taken=()) -> None:
    """Raise the error if ``state`` was not loaded from the file."""
    problems = compare_state_dicts(state, check['offered'],
                                   check['ignore_missing'],
                                   check['ignore_unexpected'], taken)
    if any(problems.values()):
        raise PretrainedWeightsError('\n'.join([
            f'{NAME}: the {check["name"]} was not loaded from its '
            '`Pretrained` init_cfg (mmengine loads it with strict=False and '
            'only logs the mismatch): the run would train from (partly) '
            'random weights, so it stops before the first iteration.'
        ] + mismatch_report(check['name'], check['checkpoint'],
                            check['prefix'], check['shapes'], state, problems,
                            check['ignore_missing'])))


def _entry(spec: Union[str, Mapping]) -> dict:
    """An entry of ``modules``, with its defaults."""
    spec = dict(name=spec) if isinstance(spec, str) else spec
    if not isinstance(spec, Mapping) or 'name' not in spec:
        raise TypeError(f'{NAME}: each of `modules` is a module name or a '
                        f'dict with `name`, got {spec!r}.')
    unknown = set(spec) - {'name', 'ignore_missing', 'ignore_unexpected'}
    if unknown:
        raise TypeError(f'{NAME}: unknown options {sorted(unknown)} for '
                        f'{spec["name"]}.')
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
            f'{NAME}: the pre-training of `{name}` (model.{name}.init_cfg.'
            f'checkpoint) does not exist: {checkpoint}') from error
    if state_dict_of(ckpt) is None:
        found = ckpt['state_dict'] if isinstance(ckpt, Mapping) else ckpt
        raise PretrainedWeightsError(
            f'{checkpoint} holds no state dict (a dict of tensors, or one '
            f'under `state_dict`): found a {type(found).__name__}.')
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
        self.modules = [_entry(spec) for spec in modules]
        if not self.modules:
            raise ValueError(f'{NAME}: no module to check.')
        self._checks: Optional[list] = None

    def before_run(self, runner) -> None:
        """Read the modules' files; select what their inits load."""
        self._checks, files = [], {}
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return  # not training: nothing is initialised
        model = get_ori_model(runner.model)
        names = {entry['name'] for entry in self.modules}
        for name, module in model.named_modules():
            if name and name not in names and pretrained_init_cfg(module):
                runner.logger.warning(
                    f'{NAME}: `{name}` has a Pretrained init_cfg but is not '
                    'checked (add it to `modules`).')
        for entry in self.modules:
            name = entry['name']
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
            checkpoint, prefix = init.get('checkpoint'), init.get('prefix')
            if not checkpoint:
                raise PretrainedWeightsError(
                    f'{NAME}: the Pretrained init_cfg of `{name}` names no '
                    f'checkpoint: set model.{name}.init_cfg.checkpoint=FILE, '
                    f'or model.{name}.init_cfg=None for random '
                    'initialisation.')
            if checkpoint not in files:
                files[checkpoint] = _read(name, checkpoint)
            check = dict(
                entry,
                module=module,
                checkpoint=checkpoint,
                prefix=prefix,
                offered=select_as_pretrained(files[checkpoint], prefix),
                shapes=shapes_of(files[checkpoint]))
            if not check['offered']:
                _fail(check, module.state_dict())
            self._checks.append(check)

    def before_train(self, runner) -> None:
        """Compare the initialised modules with their files."""
        checks, self._checks = self._checks, None
        if not checks:
            return
        if getattr(runner, '_has_loaded', False) or runner.iter > 0:
            return runner.logger.info(
                f'{NAME}: the run resumed or loaded a checkpoint (resume / '
                'load_from), which replaced the Pretrained weights: not '
                'checked.')
        states, taken = [c['module'].state_dict() for c in checks], {}
        for check, state in zip(checks, states):  # what modules load of a file
            taken.setdefault(check['checkpoint'], set()).update(state)
        for check, state in zip(checks, states):
            name, prefix = check['name'], check['prefix']
            _fail(check, state, taken[check['checkpoint']])
            if prefix is not None and momentum_prefix(prefix + '.'):
                runner.logger.warning(
                    f'{NAME}: `{name}` loaded the momentum encoder '
                    f'`{prefix}*`; DetCo and MoCo evaluate the query encoder '
                    "(prefix='backbone.').")
            loaded = sum(
                counted(k) and not k.startswith(check['ignore_missing'])
                for k in state)
            runner.logger.info(
                f'{NAME}: `{name}`: all {loaded} tensors loaded from '
                f'{check["checkpoint"]} (prefix {prefix!r}).')
