# Copyright (c) mmdetco contributors. All rights reserved.
import logging
import math
from types import SimpleNamespace

import pytest
import torch

from mmdetco.engine import DetCoHealthHook
from mmdetco.engine.hooks.health_hook import PATIENCE
from mmdetco.evaluation.functional import (CHANCE_FACTOR, COLLAPSE_RATIO,
                                           collapsed_branches)
from ...conftest import tiny_detco_cfg, tiny_inputs


def fake_runner(model, logger):
    return SimpleNamespace(model=model, iter=0, logger=logger)


def test_model_logs_health_only_when_switched_on(tiny_detco):
    assert not any(
        k.startswith('spread') for k in tiny_detco(tiny_inputs(), mode='loss'))
    logs = []
    runner = fake_runner(tiny_detco, SimpleNamespace(error=logs.append))
    DetCoHealthHook().before_train(runner)
    losses = tiny_detco(tiny_inputs(), mode='loss')
    for kind in ('global', 'local'):
        for level in ('res2', 'res3', 'res4', 'res5'):
            assert 0 < losses[f'spread_{kind}_{level}'] < 1
            assert -1 <= losses[f'poscos_{kind}_{level}'] <= 1
    for term in ('gg', 'll', 'lg'):
        assert 0 <= losses[f'acc_{term}_res5'] <= 100
    # health scalars are logged, not optimised
    loss, log_vars = tiny_detco.parse_losses(losses)
    torch.testing.assert_close(loss, losses['loss'])
    assert 'spread_local_res5' in log_vars


def test_collapse_warning_fires_once_naming_level_and_kind(tiny_detco):
    logs = []
    runner = fake_runner(tiny_detco, SimpleNamespace(error=logs.append))
    hook = DetCoHealthHook(patience=3)
    hook.before_train(runner)
    healthy = 1 / math.sqrt(tiny_detco.feat_dim)
    outputs = dict(
        loss=torch.tensor(1.),
        spread_global_res5=torch.tensor(healthy),
        spread_local_res4=torch.tensor(0.5 * healthy),
        spread_local_res5=torch.tensor(0.01 * healthy))
    for i in range(6):
        runner.iter = i
        hook.after_train_iter(runner, i, outputs=outputs)
    assert len(logs) == 1
    assert 'local branch at res5' in logs[0] and 'COLLAPSE' in logs[0]
    assert hook.collapsed == {'local res5': 3}
    # a recovery before `patience` iterations resets the count
    hook = DetCoHealthHook(patience=3)
    for i, spread in enumerate([0.0, 0.0, healthy, 0.0, 0.0]):
        hook.after_train_iter(
            runner, i, outputs=dict(spread_local_res2=torch.tensor(spread)))
    assert hook.collapsed == {}


def test_bad_arguments_and_models():
    with pytest.raises(ValueError, match='collapse_ratio'):
        DetCoHealthHook(collapse_ratio=1.5)
    with pytest.raises(ValueError, match='patience'):
        DetCoHealthHook(patience=0)
    with pytest.raises(ValueError, match='chance_factor'):
        DetCoHealthHook(chance_factor=0)
    runner = fake_runner(torch.nn.Linear(2, 2), logging.getLogger())
    with pytest.raises(TypeError, match='log_health'):
        DetCoHealthHook().before_train(runner)


def test_built_model_switch_defaults_off():
    from mmpretrain.registry import MODELS
    assert MODELS.build(tiny_detco_cfg()).log_health is False


def test_narrow_but_discriminative_branch_is_not_a_collapse(tiny_detco):
    """Under the spread threshold, a branch whose positives still outrank
    the queue (mean top-1 >= 10 x chance) is narrow, not collapsed; at
    chance it is reported, with its top-1 in the message."""
    chance = 100 / (tiny_detco.queue_len + 1)
    for acc, collapsed in ((12 * chance, False), (2 * chance, True)):
        logs = []
        runner = fake_runner(tiny_detco, SimpleNamespace(error=logs.append))
        hook = DetCoHealthHook(patience=3)
        for i in range(5):
            runner.iter = i
            hook.after_train_iter(
                runner,
                i,
                outputs=dict(
                    spread_local_res5=torch.tensor(0.),
                    acc_ll_res5=torch.tensor(acc),
                    acc_lg_res5=torch.tensor(acc),
                    acc_gg_res5=torch.tensor(100.)))
        assert (hook.collapsed == {'local res5': 3}) is collapsed
        assert len(logs) == int(collapsed)
        if collapsed:
            assert f'for {2 * chance:.2f} % of the queries' in logs[0]


def test_one_record_rule_and_the_hook_defaults(tiny_detco):
    """The rule on one record is the hook's with ``patience=1``; the hook's
    defaults are the module's."""
    hook = DetCoHealthHook()
    assert (hook.collapse_ratio, hook.patience,
            hook.chance_factor) == (COLLAPSE_RATIO, PATIENCE, CHANCE_FACTOR)
    chance = 100 / (tiny_detco.queue_len + 1)
    record = dict(
        spread_global_res5=0.,
        spread_local_res5=0.,
        spread_local_res4=1.,
        acc_gg_res5=2 * chance,
        acc_ll_res5=12 * chance,
        acc_lg_res5=12 * chance)
    assert collapsed_branches(record, tiny_detco.feat_dim,
                              tiny_detco.queue_len) == ['global res5']
    assert collapsed_branches(
        record, tiny_detco.feat_dim, tiny_detco.queue_len,
        chance_factor=20.) == ['global res5', 'local res5']
    logs = []
    runner = fake_runner(tiny_detco, SimpleNamespace(error=logs.append))
    hook = DetCoHealthHook(patience=1)
    hook.after_train_iter(
        runner, 0, outputs={
            k: torch.tensor(v)
            for k, v in record.items()
        })
    assert list(hook.collapsed) == ['global res5']
