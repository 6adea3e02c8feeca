# Copyright (c) mmdetco contributors. All rights reserved.
import math

import pytest
import torch

from mmdetco.models import DetCoHead


def hand_info_nce(q, k, queue, tau):
    """-log(exp(q.k / tau) / (exp(q.k / tau) + sum_j exp(q.n_j / tau))),
    averaged over the batch, written out element by element."""
    total = 0.
    for n in range(q.shape[0]):
        pos = math.exp(float(q[n] @ k[n]) / tau)
        neg = sum(
            math.exp(float(q[n] @ queue[:, j]) / tau)
            for j in range(queue.shape[1]))
        total += -math.log(pos / (pos + neg))
    return total / q.shape[0]


def hand_top1(q, k, queue):
    """% of queries whose positive beats every queue entry."""
    wins = [
        all(
            float(q[n] @ k[n]) > float(q[n] @ queue[:, j])
            for j in range(queue.shape[1])) for n in range(q.shape[0])
    ]
    return 100. * sum(wins) / len(wins)


def unit(*shape, dim=-1):
    return torch.nn.functional.normalize(torch.randn(*shape), dim=dim)


@pytest.fixture
def feats():
    torch.manual_seed(0)
    levels, n, d, k = 2, 3, 4, 5
    return dict(
        q_global=[unit(n, d) for _ in range(levels)],
        k_global=[unit(n, d) for _ in range(levels)],
        q_local=[unit(n, d) for _ in range(levels)],
        k_local=[unit(n, d) for _ in range(levels)],
        queue_global=unit(levels, d, k, dim=1),
        queue_local=unit(levels, d, k, dim=1))


def test_every_term_of_every_level_against_hand_computation(feats):
    tau = 0.2
    head = DetCoHead(
        levels=('res4', 'res5'), level_weights=(0.7, 1.0), temperature=tau)
    losses = head.loss(**feats)
    expected_total = 0.
    for i, (level, w) in enumerate([('res4', 0.7), ('res5', 1.0)]):
        qg, kg = feats['q_global'][i], feats['k_global'][i]
        ql, kl = feats['q_local'][i], feats['k_local'][i]
        ng, nl = feats['queue_global'][i], feats['queue_local'][i]
        triplets = dict(gg=(qg, kg, ng), ll=(ql, kl, nl), lg=(ql, kg, ng))
        expected = {
            term: hand_info_nce(*triplet, tau)
            for term, triplet in triplets.items()
        }
        for term, value in expected.items():
            assert losses[f'loss_{term}_{level}'].item() == pytest.approx(
                value, rel=1e-5)
            assert losses[f'acc_{term}_{level}'].item() == pytest.approx(
                hand_top1(*triplets[term]))
        # lg reads the global queue, not the local one
        assert losses[f'loss_lg_{level}'].item() != pytest.approx(
            hand_info_nce(ql, kg, nl, tau), rel=1e-3)
        expected_total += w * sum(expected.values())
    assert losses['loss'].item() == pytest.approx(expected_total, rel=1e-5)
    assert set(losses) == {'loss'} | {
        f'{kind}_{t}_{lv}'
        for kind in ('loss', 'acc')
        for t in ('gg', 'll', 'lg')
        for lv in ('res4', 'res5')
    }


def test_terms_are_logged_detached_and_total_has_gradient(feats):
    feats['q_global'] = [q.requires_grad_() for q in feats['q_global']]
    losses = DetCoHead(levels=('a', 'b'), level_weights=(1., 1.)).loss(**feats)
    assert losses['loss'].requires_grad
    assert not losses['loss_gg_a'].requires_grad
    losses['loss'].backward()
    assert feats['q_global'][0].grad is not None


def test_term_switches_and_weights(feats):
    full = DetCoHead(levels=('a', 'b'), level_weights=(0.5, 2.)).loss(**feats)
    only_lg = DetCoHead(
        levels=('a', 'b'), level_weights=(0.5, 2.),
        loss_terms=('lg', )).loss(**feats)
    assert set(only_lg) == {
        'loss', 'loss_lg_a', 'loss_lg_b', 'acc_lg_a', 'acc_lg_b'
    }
    expected = 0.5 * full['loss_lg_a'] + 2. * full['loss_lg_b']
    torch.testing.assert_close(only_lg['loss'].detach(), expected)


@pytest.mark.parametrize('kwargs, match', [
    (dict(levels=('a', 'b'), level_weights=(1., )), 'level_weights'),
    (dict(loss_terms=('gg', 'xx')), 'loss_terms'),
    (dict(loss_terms=()), 'loss_terms'),
    (dict(temperature=0.), 'temperature'),
])
def test_bad_config_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DetCoHead(**kwargs)
