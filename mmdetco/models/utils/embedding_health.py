# Copyright (c) mmdetco contributors. All rights reserved.
"""Figures that tell a learning contrastive branch from a collapsed one.

A contrastive loss at ``ln(K + 1)`` can mean two very different things: a
branch that has not learned yet, or one whose embeddings all point the same
way (collapse), which scores exactly chance. These figures, computed from the
embeddings a training step already has, tell them apart.

This module owns them: how they are computed, their logged names
(:func:`figure_key`), how a log record is read back (:func:`figures`) and the
collapse rule (:func:`collapse_thresholds`, :func:`branch_top1`), used alike
by :class:`DetCo`, :class:`DetCoHead`, :class:`DetCoHealthHook` and the demo
summary.
"""
import math
import re
from typing import Dict, Mapping, Tuple

import torch

#: The three DetCo contrasts: the kind (``g`` global view, ``l`` patch set)
#: of the query, of the positive key and of the negative queue.
LOSS_TERMS = {
    'gg': ('g', 'g', 'g'),
    'll': ('l', 'l', 'l'),
    'lg': ('l', 'g', 'g'),
}
#: The logged figures, per loss term (``loss``: the unweighted InfoNCE term,
#: ``acc``: its contrastive top-1) or per kind of embedding (``spread``,
#: ``poscos``: of the ``global`` or ``local`` queries), and level.
FIGURE_KEY = re.compile(
    r'^(?P<figure>loss|acc|spread|poscos)_(?P<name>[a-z]+)_(?P<level>\w+)$')


def figure_key(figure: str, name: str, level: str) -> str:
    """The logged name of a figure, e.g. ``loss_gg_res2`` or
    ``spread_local_res5``.

    Args:
        figure (str): ``loss``, ``acc``, ``spread`` or ``poscos``.
        name (str): The loss term (``gg``, ``ll``, ``lg``) for ``loss`` and
            ``acc``, the kind (``global``, ``local``) for the others.
        level (str): The level, e.g. ``res2``.
    """
    return f'{figure}_{name}_{level}'


def figures(record: Mapping, figure: str) -> Dict[Tuple[str, str], float]:
    """The values of one figure in a log record (or a model's outputs).

    Args:
        record (Mapping): Logged names and values.
        figure (str): ``loss``, ``acc``, ``spread`` or ``poscos``.

    Returns:
        dict: ``{(name, level): value}`` in the record's order.
    """
    found = {}
    for key, value in record.items():
        match = FIGURE_KEY.match(key)
        if match is not None and match['figure'] == figure:
            found[(match['name'], match['level'])] = float(value)
    return found


def collapse_thresholds(feat_dim: int, queue_len: int, collapse_ratio: float,
                        chance_factor: float) -> Tuple[float, float]:
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
        value for (term, at), value in figures(record, 'acc').items()
        if at == level and LOSS_TERMS[term][0] == kind[0]
    ]
    return sum(values) / len(values) if values else 0.


@torch.no_grad()
def embedding_spread(embeddings: torch.Tensor) -> torch.Tensor:
    """The mean over dimensions of the per-dimension std across the batch.

    For ``N`` L2-normalised ``D``-dimensional embeddings this is about
    ``1 / sqrt(D)`` when they are spread over the sphere and 0 when they are
    all the same vector (collapse).

    Args:
        embeddings (torch.Tensor): ``(N, D)`` L2-normalised embeddings,
            ``N >= 2``.

    Returns:
        torch.Tensor: A scalar.
    """
    if embeddings.dim() != 2 or embeddings.shape[0] < 2:
        raise ValueError('embedding_spread needs an (N, D) batch with N >= 2, '
                         f'got shape {tuple(embeddings.shape)}.')
    return embeddings.float().std(dim=0).mean()


def healthy_spread(dim: int) -> float:
    """``1 / sqrt(dim)``, the spread of embeddings spread over the sphere."""
    return 1. / math.sqrt(dim)


@torch.no_grad()
def positive_cosine(query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    """The mean cosine of the positive pairs ``(query[n], key[n])``.

    Args:
        query (torch.Tensor): ``(N, D)`` L2-normalised queries.
        key (torch.Tensor): ``(N, D)`` L2-normalised positive keys.

    Returns:
        torch.Tensor: A scalar.
    """
    return (query.float() * key.float()).sum(dim=1).mean()


@torch.no_grad()
def contrastive_top1(logits: torch.Tensor) -> torch.Tensor:
    """How often the positive outranks every negative, in percent.

    Args:
        logits (torch.Tensor): ``(N, 1 + K)`` logits, the positive first.

    Returns:
        torch.Tensor: A scalar in ``[0, 100]``; chance is ``100 / (K + 1)``.
    """
    positive = logits[:, :1]
    return (positive > logits[:, 1:]).all(dim=1).float().mean() * 100
