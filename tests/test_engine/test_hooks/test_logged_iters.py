# Copyright (c) mmdetco contributors. All rights reserved.
"""The iterations the logger logs, and what happens only there: the health
scalars (and the scalars the model kept on the device reach the message
hub) and the pre-emption check."""
from types import SimpleNamespace

import pytest
from mmengine.hooks import LoggerHook
from mmengine.logging import MessageHub

from mmdetco.engine import DetCoHealthHook, PreemptionHook, logs_after_iter
from ...conftest import tiny_inputs


def fake_runner(model=None, interval=3, num_batches=7, **kwargs):
    return SimpleNamespace(
        model=model,
        hooks=[LoggerHook(interval=interval)],
        train_dataloader=list(range(num_batches)),
        message_hub=MessageHub(f'logged_iters_{id(kwargs)}'),
        **kwargs)


def test_logged_iterations_follow_the_logger():
    runner = fake_runner(interval=3, num_batches=7)
    assert [i for i in range(7) if logs_after_iter(runner, i)] == [2, 5]
    runner.hooks = [LoggerHook(interval=3, ignore_last=False)]
    assert [i for i in range(7) if logs_after_iter(runner, i)] == [2, 5, 6]
    runner.hooks = []  # no logger: every iteration
    assert all(logs_after_iter(runner, i) for i in range(7))


def test_health_scalars_only_at_logged_iterations(tiny_detco):
    runner = fake_runner(tiny_detco, interval=2, num_batches=4)
    hook = DetCoHealthHook()
    hook.before_train(runner)
    returned = []
    for batch_idx in range(4):
        hook.before_train_iter(runner, batch_idx)
        _, log_vars = tiny_detco.parse_losses(
            tiny_detco(tiny_inputs(), mode='loss'))
        returned.append(log_vars)
        for name, value in log_vars.items():  # as RuntimeInfoHook does
            runner.message_hub.update_scalar(f'train/{name}', value)
    assert [list(r) == ['loss'] for r in returned] == [True, False] * 2
    assert 'spread_local_res5' in returned[1]
    # every iteration's loss terms and accuracies, in order
    history = runner.message_hub.get_scalar('train/loss_ll_res3').data[0]
    assert len(history) == 4
    for i in (1, 3):
        assert history[i] == pytest.approx(returned[i]['loss_ll_res3'].item())
    assert len(
        runner.message_hub.get_scalar('train/spread_local_res5').data[0]) == 2
    hook.after_train(runner)
    assert tiny_detco.log_scalars and tiny_detco.pop_unlogged_scalars() == []


def test_preemption_is_checked_at_logged_iterations(tmp_path, monkeypatch):
    saved = []
    runner = fake_runner(
        interval=3,
        num_batches=7,
        iter=4,
        epoch=0,
        work_dir=str(tmp_path),
        logger=SimpleNamespace(warning=print),
        save_checkpoint=lambda *args, **kwargs: saved.append(args[1]))
    called = []
    monkeypatch.setattr('mmdetco.engine.hooks.preemption_hook.all_reduce',
                        lambda *args, **kwargs: called.append(args))
    hook = PreemptionHook()
    hook.received = 'SIGTERM'
    for batch_idx in (0, 1, 3, 4):
        hook.after_train_iter(runner, batch_idx)
    assert called == [] and saved == []
    with pytest.raises(SystemExit):
        hook.after_train_iter(runner, 5)
    assert len(called) == 1 and saved == ['iter_5.pth']
