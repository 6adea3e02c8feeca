# Copyright (c) mmdetco contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmdetco.evaluation import knn_classifier

# a (label 0) on the x axis, b (label 1) on the y axis, c (label 1) between
# them, nearer b: cos(a, c) = 1 / sqrt(5), cos(b, c) = 2 / sqrt(5)
TRAIN = torch.tensor([[1., 0.], [0., 1.], [1., 2.]])
TRAIN_LABELS = torch.tensor([0, 1, 1])
# a query of label 0 near a: cosines 0.981 (a), 0.196 (b), 0.614 (c)
QUERY = torch.tensor([[1., 0.2]])
QUERY_LABELS = torch.tensor([0])


def votes(query, k, temperature):
    """The weighted votes of the ``k`` train samples most similar to
    ``query``, per label, computed by hand."""
    sims = [
        float(F.cosine_similarity(query, t, dim=0)) for t in TRAIN.unbind()
    ]
    nearest = sorted(range(len(sims)), key=lambda i: -sims[i])[:k]
    total = [0., 0.]
    for i in nearest:
        total[int(TRAIN_LABELS[i])] += math.exp(sims[i] / temperature)
    return total


@pytest.mark.parametrize(
    'k,temperature,expected',
    [
        (1, 1., 100.),  # a alone
        (2, 1., 100.),  # a outvotes c
        (3, 1., 0.),  # b and c together outvote a
        (3, 0.07, 100.),  # a sharp temperature: the nearest dominates again
    ])
def test_hand_computed_votes(k, temperature, expected):
    total = votes(QUERY[0], k, temperature)
    assert (100. if total[0] > total[1] else 0.) == expected
    assert knn_classifier(TRAIN, TRAIN_LABELS, QUERY, QUERY_LABELS, k,
                          temperature) == expected


def test_features_are_normalised():
    """Only directions count: scaling a sample changes nothing."""
    scales = torch.tensor([[10.], [0.1], [3.]])
    assert knn_classifier(TRAIN * scales, TRAIN_LABELS, QUERY * 7,
                          QUERY_LABELS, 3, 1.) == 0.


def test_leave_one_out():
    """k = 1: a's nearest other sample is c (label 1, wrong); b and c are
    each other's nearest (right)."""
    assert knn_classifier(TRAIN, TRAIN_LABELS, k=1) == pytest.approx(200 / 3)


def test_k_larger_than_the_train_set_gives_every_sample_a_vote():
    assert knn_classifier(TRAIN, TRAIN_LABELS, QUERY, QUERY_LABELS, 100,
                          1.) == 0.
    # leave-one-out: the other two
    assert knn_classifier(
        TRAIN, TRAIN_LABELS, k=100) == knn_classifier(
            TRAIN, TRAIN_LABELS, k=2)


def clusters(per_class, seed, num_classes=8, dim=32):
    """Well separated clusters: noisy unit vectors around one centre per
    class (the centres drawn alike for every seed)."""
    centres = F.normalize(
        torch.randn(
            num_classes, dim, generator=torch.Generator().manual_seed(0)),
        dim=1)
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    noise = torch.randn(
        len(labels), dim, generator=torch.Generator().manual_seed(seed))
    return centres[labels] + 0.05 * noise, labels


def test_separable_clusters_score_100():
    train, train_labels = clusters(25, seed=1)
    test, test_labels = clusters(5, seed=2)
    assert knn_classifier(train, train_labels, test, test_labels) == 100.
    assert knn_classifier(train, train_labels) == 100.


def test_center_removes_a_shared_offset():
    """Far from the origin every sample points the same way; centred on the
    train mean the clusters separate again."""
    train, train_labels = clusters(25, seed=1)
    test, test_labels = clusters(5, seed=2)
    offset = torch.full((32, ), 1e4)
    assert knn_classifier(train + offset, train_labels, test + offset,
                          test_labels) < 50.
    assert knn_classifier(
        train + offset, train_labels, test + offset, test_labels,
        center=True) == 100.


@pytest.mark.parametrize('kwargs,match', [
    (dict(k=0), '`k`'),
    (dict(temperature=0.), '`temperature`'),
    (dict(test_labels=QUERY_LABELS), 'both the test features'),
    (dict(test_features=QUERY), 'both the test features'),
    (dict(train_labels=TRAIN_LABELS[:2]), r'train features must be \(N, D\)'),
    (dict(train_features=TRAIN[0]), r'train features must be \(N, D\)'),
    (dict(train_features=TRAIN[:0], train_labels=TRAIN_LABELS[:0]), 'N >= 1'),
    (dict(test_features=QUERY[:0],
          test_labels=QUERY_LABELS[:0]), 'test features'),
    (dict(test_features=torch.ones(1, 3),
          test_labels=QUERY_LABELS), 'differ in dimension'),
    (dict(train_features=TRAIN[:1],
          train_labels=TRAIN_LABELS[:1]), 'single sample'),
])
def test_bad_input(kwargs, match):
    args = dict(train_features=TRAIN, train_labels=TRAIN_LABELS)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        knn_classifier(**args)
