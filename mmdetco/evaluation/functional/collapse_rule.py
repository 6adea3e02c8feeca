# Copyright (c) mmdetco contributors. All rights reserved.
"""The collapse rule of a DetCo branch, applied to logged scalars: by
:class:`mmdetco.engine.DetCoHealthHook` while training, and to a finished
run's json logs."""
from typing import List, Mapping, Tuple

from ...models.utils import LOSS_TERMS, healthy_spread
from ...utils.training_log import scalars

#: The defaults of the rule: a branch is narrow under ``COLLAPSE_RATIO /
#: sqrt(D)``, collapsed when also under ``CHANCE_FACTOR`` times chance for
#: ``patience`` iterations (:class:`mmdetco.engine.DetCoHealthHook`).
COLLAPSE_RATIO = 0.05
CHANCE_FACTOR = 10.


def collapse_thresholds(feat_dim: int,
                        queue_len: int,
                        collapse_ratio: float = COLLAPSE_RATIO,
                        chance_factor: float = CHANCE_FACTOR
                        ) -> Tuple[float, float]:
    """The collapse rule's thresholds.

    A branch is narrow when its spread is below ``collapse_ratio /
    sqrt(feat_dim)`` and collapsed when, narrow, the top-1 of its terms is
    also below ``chance_factor`` times chance, ``100 / (queue_len + 1)``.

    Returns:
        tuple: The spread threshold and the top-1 threshold (in %).
    """
    return (collapse_ratio * healthy_spread(feat_dim),
            chance_factor * 100. / (queue_len + 1))


def branch_top1(record: Mapping, kind: str, level: str) -> float:
    """The mean top-1 (in %) of the logged terms whose queries are of
    ``kind`` (``global`` or ``local``) at ``level``; 0 if none is logged."""
    values = [
        value for (term, at), value in scalars(record, 'acc').items()
        if at == level and LOSS_TERMS[term][0] == kind[0]
    ]
    return sum(values) / len(values) if values else 0.


def collapsed_branches(record: Mapping,
                       feat_dim: int,
                       queue_len: int,
                       collapse_ratio: float = COLLAPSE_RATIO,
                       chance_factor: float = CHANCE_FACTOR) -> List[str]:
    """The branches (``'{kind} {level}'``) that one record shows collapsed:
    the rule of :class:`mmdetco.engine.DetCoHealthHook` with ``patience=1``."""
    max_spread, min_top1 = collapse_thresholds(feat_dim, queue_len,
                                               collapse_ratio, chance_factor)
    return [
        f'{kind} {level}'
        for (kind, level), value in scalars(record, 'spread').items()
        if value < max_spread and branch_top1(record, kind, level) < min_top1
    ]
