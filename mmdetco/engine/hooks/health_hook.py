# Copyright (c) mmdetco contributors. All rights reserved.
"""The hook that applies the collapse rule of a DetCo branch
(:mod:`mmdetco.evaluation.functional.collapse_rule`) while training."""
from collections import deque
from typing import Deque, Dict, Mapping, Optional

import torch
from mmengine.hooks import Hook

from ...compat import HOOKS
from ...evaluation.functional.collapse_rule import (CHANCE_FACTOR,
                                                    COLLAPSE_RATIO,
                                                    branch_top1,
                                                    collapse_thresholds)
from ...utils import get_ori_model, scalars
from .logged_iters import logs_after_iter

#: The hook's default number of iterations a branch must stay narrow.
PATIENCE = 10


def _on_host(outputs: Mapping) -> Dict[str, float]:
    """``outputs`` with their tensors read on the host in one transfer."""
    tensors = {k: v for k, v in outputs.items() if torch.is_tensor(v)}
    if not tensors:
        return dict(outputs)
    values = torch.stack([v.detach().float().mean()
                          for v in tensors.values()]).tolist()
    return dict(outputs, **dict(zip(tensors, values)))


@HOOKS.register_module()
class DetCoHealthHook(Hook):
    """Log the health of every branch, and warn when one collapses.

    Switches on ``log_health`` of the model, so that the training steps also
    return, per kind (``global``, ``local``) and level, from the embeddings
    they already have:

    - ``spread_{kind}_{level}``: the per-dimension std of the L2-normalised
      queries across the batch, averaged over dimensions (about
      ``1 / sqrt(D)`` when spread over the sphere, 0 when collapsed);
    - ``poscos_{kind}_{level}``: the mean cosine of the positive pairs;

    beside the head's ``acc_{term}_{level}`` (contrastive top-1 in %).
    They are computed and checked only at the iterations the logger logs;
    at the others the model returns only ``loss`` and keeps its other
    scalars on the device until the next logged one (``log_scalars``,
    docs/en/performance.md).

    A branch counts as collapsed when its spread stays below
    ``collapse_ratio / sqrt(D)`` for ``patience`` consecutive (logged)
    iterations and the mean top-1 of its terms (``gg`` for the global
    branch, ``ll`` and ``lg`` for the local one) over them is below
    ``chance_factor`` times chance, ``100 / (K + 1)``. The hook then logs
    one error naming the branch and keeps training
    (docs/en/training_health.md).

    Args:
        collapse_ratio (float): The collapse threshold, as a fraction of
            ``1 / sqrt(D)``. Defaults to :data:`COLLAPSE_RATIO` (0.05).
        patience (int): Consecutive (logged) iterations under the threshold
            before the warning. Defaults to :data:`PATIENCE` (10).
        chance_factor (float): A branch whose mean top-1 accuracy over those
            iterations reaches this multiple of chance is not collapsed.
            Defaults to :data:`CHANCE_FACTOR` (10).
    """

    priority = 'NORMAL'

    def __init__(self,
                 collapse_ratio: float = COLLAPSE_RATIO,
                 patience: int = PATIENCE,
                 chance_factor: float = CHANCE_FACTOR) -> None:
        if not 0 < collapse_ratio < 1:
            raise ValueError('DetCoHealthHook: `collapse_ratio` must be in '
                             f'(0, 1), got {collapse_ratio}.')
        if patience < 1:
            raise ValueError('DetCoHealthHook: `patience` must be >= 1, got '
                             f'{patience}.')
        if chance_factor <= 0:
            raise ValueError('DetCoHealthHook: `chance_factor` must be > 0, '
                             f'got {chance_factor}.')
        self.collapse_ratio = collapse_ratio
        self.patience = patience
        self.chance_factor = chance_factor
        #: Per branch, the top-1 accuracies of its last iterations under
        #: the spread threshold (at most ``patience``; emptied when the
        #: spread recovers).
        self.below: Dict[str, Deque[float]] = {}
        #: The branches that collapsed, ``{'local res5': iteration}``.
        self.collapsed: Dict[str, int] = {}

    @staticmethod
    def _model(runner):
        return get_ori_model(runner.model)

    def before_train(self, runner) -> None:
        """Make the model return its health scalars."""
        model = self._model(runner)
        if not hasattr(model, 'log_health'):
            raise TypeError(
                'DetCoHealthHook needs a model with a `log_health` switch '
                f'(DetCo), got {type(model).__name__}.')
        model.log_health = True

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        """Return the model's scalars at logged iterations only.

        Before a logged iteration, the scalars kept on the device since the
        last one are added to the message hub.
        """
        model = self._model(runner)
        logged = logs_after_iter(runner, batch_idx)
        if logged:
            for step in model.pop_unlogged_scalars():
                for name, value in step.items():
                    runner.message_hub.update_scalar(f'train/{name}', value)
        model.log_scalars = logged

    def after_train(self, runner) -> None:
        """Return every scalar again; drop those not logged."""
        model = self._model(runner)
        model.log_scalars = True
        model.pop_unlogged_scalars()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Count the iterations each branch spends under the threshold."""
        if not any(name.startswith('spread_') for name in outputs or {}):
            return  # not a logged iteration
        outputs = _on_host(outputs)
        model = self._model(runner)
        threshold, min_top1 = collapse_thresholds(model.feat_dim,
                                                  model.queue_len,
                                                  self.collapse_ratio,
                                                  self.chance_factor)
        for (kind, level), value in scalars(outputs, 'spread').items():
            branch = f'{kind} {level}'
            if value >= threshold:
                self.below.pop(branch, None)
                continue
            below = self.below.setdefault(branch, deque(maxlen=self.patience))
            below.append(branch_top1(outputs, kind, level))
            top1 = sum(below) / len(below)
            if (len(below) < self.patience or branch in self.collapsed
                    or top1 >= min_top1):
                continue
            self.collapsed[branch] = runner.iter + 1
            runner.logger.error(
                f'COLLAPSE: the {kind} branch at {level} has collapsed at '
                f'iteration {runner.iter + 1}: its embedding spread '
                f'{value:.2e} has stayed below {threshold:.2e} '
                f'({self.collapse_ratio} / sqrt({model.feat_dim})) for '
                f'{self.patience} checked iterations, i.e. the embeddings of '
                'different images point the same way, and its positives '
                f'outrank the queue for {top1:.2f} % of the queries (chance '
                f'{min_top1 / self.chance_factor:.2f} %). See '
                'docs/en/training_health.md.')
