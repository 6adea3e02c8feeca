# Copyright (c) mmdetco contributors. All rights reserved.
"""Figures that tell a learning contrastive branch from a collapsed one.

A contrastive loss at ``ln(K + 1)`` can mean two very different things: a
branch that has not learned yet, or one whose embeddings all point the same
way (collapse), which scores exactly chance. These scalars, computed from the
embeddings and logits a training step already has, tell them apart; their
logged names are :func:`mmdetco.utils.scalar_key`'s and the collapse rule is
:class:`DetCoHealthHook`'s.
"""
import math

import torch

#: The three DetCo contrasts: the kind (``g`` global view, ``l`` patch set)
#: of the query, of the positive key and of the negative queue.
LOSS_TERMS = {
    'gg': ('g', 'g', 'g'),
    'll': ('l', 'l', 'l'),
    'lg': ('l', 'g', 'g'),
}


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
