# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_predict(bank: torch.Tensor,
                bank_labels: torch.Tensor,
                queries: torch.Tensor,
                num_classes: int,
                k: int = 20,
                temperature: float = 0.07,
                exclude_self: bool = False) -> torch.Tensor:
    """Weighted k-nearest-neighbour classification (InstDisc).

    Each query takes its ``k`` most cosine-similar bank entries (all of them
    if the bank is smaller); a neighbour with similarity ``s`` votes for its
    label with weight ``exp(s / temperature)``, and the label with the
    largest total wins.

    Args:
        bank (torch.Tensor): ``(M, D)`` L2-normalised labelled features.
        bank_labels (torch.Tensor): ``(M, )`` their labels.
        queries (torch.Tensor): ``(N, D)`` L2-normalised features.
        num_classes (int): Number of labels.
        k (int): Number of neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        exclude_self (bool): The queries are the bank (``N == M``): leave
            every sample out of its own neighbours. Defaults to False.

    Returns:
        torch.Tensor: ``(N, )`` predicted labels.
    """
    similarity = queries @ bank.T
    if exclude_self:
        similarity.fill_diagonal_(-float('inf'))
    k = min(k, bank.shape[0] - int(exclude_self))
    top_sim, top_idx = similarity.topk(k, dim=1)
    votes = torch.zeros(queries.shape[0], num_classes, device=queries.device)
    votes.scatter_add_(1, bank_labels[top_idx], (top_sim / temperature).exp())
    return votes.argmax(dim=1)


def _check_split(features: torch.Tensor, labels: torch.Tensor,
                 name: str) -> None:
    """Check that ``features`` is ``(N, D)`` and ``labels`` ``(N, )``.

    Raises:
        ValueError: Otherwise, or if ``N`` is 0.
    """
    if features.dim() != 2 or labels.dim() != 1 or \
            len(features) != len(labels) or len(labels) == 0:
        raise ValueError(
            f'knn_classifier: the {name} features must be (N, D) and their '
            f'labels (N, ), N >= 1, got {tuple(features.shape)} and '
            f'{tuple(labels.shape)}.')


@torch.no_grad()
def knn_classifier(train_features: torch.Tensor,
                   train_labels: torch.Tensor,
                   test_features: Optional[torch.Tensor] = None,
                   test_labels: Optional[torch.Tensor] = None,
                   k: int = 20,
                   temperature: float = 0.07,
                   center: bool = False) -> float:
    """The top-1 accuracy (in %) of :func:`knn_predict`.

    Both splits are L2-normalised first (with ``center``, after subtracting
    the mean of the train features from both). Without test features every
    train sample is classified by the others (leave-one-out).

    Args:
        train_features (torch.Tensor): ``(M, D)`` features of the labelled
            bank.
        train_labels (torch.Tensor): ``(M, )`` their labels.
        test_features (torch.Tensor, optional): ``(N, D)`` features to
            classify. Defaults to None (leave-one-out on the train split).
        test_labels (torch.Tensor, optional): ``(N, )`` their labels, given
            with ``test_features``.
        k (int): Number of neighbours; a smaller train split gives all its
            samples a vote. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        center (bool): Centre both splits on the train mean before
            normalising (for raw inputs such as pixels). Defaults to False.

    Returns:
        float: The percentage of test (or train) samples whose predicted
        label is their label.

    Raises:
        ValueError: If ``k < 1`` or ``temperature <= 0``, if a split's
            features and labels do not match or the splits' dimensions
            differ, if a split is empty, if only one of the test features
            and labels is given, or if leave-one-out has a single sample.
    """
    if k < 1 or temperature <= 0:
        raise ValueError(f'knn_classifier: `k` ({k}) must be >= 1 and '
                         f'`temperature` ({temperature}) > 0.')
    if (test_features is None) != (test_labels is None):
        raise ValueError('knn_classifier: give both the test features and '
                         'their labels, or neither (leave-one-out).')
    leave_one_out = test_features is None
    if leave_one_out:
        test_features, test_labels = train_features, train_labels
    _check_split(train_features, train_labels, 'train')
    _check_split(test_features, test_labels, 'test')
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            'knn_classifier: the train and test features differ in '
            f'dimension ({train_features.shape[1]} and '
            f'{test_features.shape[1]}).')
    if leave_one_out and len(train_features) == 1:
        raise ValueError('knn_classifier: leave-one-out on a single sample '
                         'leaves no neighbour to vote.')
    if center:
        mean = train_features.mean(dim=0)
        train_features, test_features = (train_features - mean,
                                         test_features - mean)
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    pred = knn_predict(
        F.normalize(train_features, dim=1), train_labels,
        F.normalize(test_features, dim=1), num_classes, k, temperature,
        leave_one_out)
    return float((pred == test_labels).float().mean() * 100)
