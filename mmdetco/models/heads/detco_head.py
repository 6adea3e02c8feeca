# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule

from ...compat import MODELS
from ...utils import scalar_key
from ..utils import LOSS_TERMS, contrastive_top1, queue_info_nce


@MODELS.register_module()
class DetCoHead(BaseModule):
    """The hierarchical contrastive loss of DetCo.

    At every level ``i`` with weight ``w_i`` three InfoNCE terms are computed:

    - ``gg`` (global <-> global): query ``q_g`` (global view 1), positive
      ``k_g`` (global view 2), negatives the global queue of level ``i``;
    - ``ll`` (local <-> local): query ``q_l`` (patch set 1), positive ``k_l``
      (patch set 2), negatives the local queue of level ``i``;
    - ``lg`` (local <-> global): query ``q_l`` (patch set 1), positive
      ``k_g`` (global view 2), negatives the global queue of level ``i``.

    The optimised loss is ``sum_i w_i * (sum of the enabled terms)``.

    Args:
        levels (Sequence[str]): Names of the levels, in backbone order. They
            name the logged values, e.g. ``loss_gg_res2``.
            Defaults to ``('res2', 'res3', 'res4', 'res5')``.
        level_weights (Sequence[float]): ``w_i`` per level.
            Defaults to ``(0.1, 0.4, 0.7, 1.0)``.
        loss_terms (Sequence[str]): Which of ``'gg'``, ``'ll'`` and ``'lg'``
            contribute. Defaults to all three.
        temperature (float): The temperature tau. Defaults to 0.2.
        init_cfg (dict, optional): Initialization config dict.
            Defaults to None.
    """

    def __init__(self,
                 levels: Sequence[str] = ('res2', 'res3', 'res4', 'res5'),
                 level_weights: Sequence[float] = (0.1, 0.4, 0.7, 1.0),
                 loss_terms: Sequence[str] = ('gg', 'll', 'lg'),
                 temperature: float = 0.2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if len(levels) != len(level_weights):
            raise ValueError(
                f'DetCoHead: {len(levels)} `levels` {tuple(levels)} but '
                f'{len(level_weights)} `level_weights` '
                f'{tuple(level_weights)}.')
        unknown = [t for t in loss_terms if t not in LOSS_TERMS]
        if unknown or not loss_terms:
            raise ValueError(
                f'DetCoHead: `loss_terms` must be a non-empty subset of '
                f'{tuple(LOSS_TERMS)}, got {tuple(loss_terms)}.')
        if temperature <= 0:
            raise ValueError(
                f'DetCoHead: `temperature` must be > 0, got {temperature}.')
        self.levels = tuple(levels)
        self.level_weights = tuple(float(w) for w in level_weights)
        self.loss_terms = tuple(loss_terms)
        self.temperature = temperature

    def loss(self, q_global: Sequence[torch.Tensor],
             k_global: Sequence[torch.Tensor], q_local: Sequence[torch.Tensor],
             k_local: Sequence[torch.Tensor], queue_global: torch.Tensor,
             queue_local: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the DetCo loss.

        Args:
            q_global (Sequence[torch.Tensor]): Global queries, one ``(N, D)``
                tensor per level.
            k_global (Sequence[torch.Tensor]): Global positive keys.
            q_local (Sequence[torch.Tensor]): Local queries.
            k_local (Sequence[torch.Tensor]): Local positive keys.
            queue_global (torch.Tensor): ``(L, D, K)`` global queues.
            queue_local (torch.Tensor): ``(L, D, K)`` local queues. Neither
                is kept for the backward pass (:func:`queue_info_nce`): the
                buffers may be updated in place once this returns.

        Returns:
            Dict[str, torch.Tensor]: ``loss`` is the weighted total that is
            optimised; ``loss_{term}_{level}`` are the unweighted terms and
            ``acc_{term}_{level}`` the contrastive top-1 accuracy (in %, how
            often the positive key outranks every queue entry; chance is
            ``100 / (K + 1)``), detached, for logging.
        """
        # per kind: (queries, positive keys, negative queues)
        feats = dict(
            g=(q_global, k_global, queue_global),
            l=(q_local, k_local, queue_local))
        total, losses, accuracies = 0., {}, {}
        for i, (level,
                weight) in enumerate(zip(self.levels, self.level_weights)):
            for term in self.loss_terms:
                query, key, negatives = LOSS_TERMS[term]
                values, logits = queue_info_nce(feats[query][0][i],
                                                feats[key][1][i],
                                                feats[negatives][2][i],
                                                self.temperature)
                value = values.mean()
                total = total + weight * value
                losses[scalar_key('loss', term, level)] = value.detach()
                accuracies[scalar_key('acc', term, level)] = \
                    contrastive_top1(logits)
        return dict(loss=total, **losses, **accuracies)
