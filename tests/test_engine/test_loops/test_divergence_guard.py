# Copyright (c) mmdetco contributors. All rights reserved.
"""``DivergenceGuard``: a step whose loss is not finite stops before the
optimizer step, names the terms and keeps the state of before the step;
under fp16 with a dynamic loss scale it skips such steps, up to a limit."""
import logging
from functools import partial
from types import SimpleNamespace

import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmdetco.engine.loops import DivergenceGuard
from ...conftest import tiny_inputs
from .conftest import demo_runner


class FakeRunner(SimpleNamespace):
    """What the guard uses of a Runner; records the checkpoints."""

    def save_checkpoint(self, out_dir, filename, meta=None):
        self.saved.append((out_dir, filename, {
            k: v.clone()
            for k, v in self.model.state_dict().items()
        }))
        self.metas.append(meta)


def guard_of(model, work_dir, optim_wrapper=None, **kwargs):
    runner = FakeRunner(
        model=model,
        optim_wrapper=optim_wrapper,
        epoch=1,
        iter=7,
        work_dir=str(work_dir),
        logger=logging.getLogger('test'),
        saved=[],
        metas=[])
    return runner, DivergenceGuard(runner, **kwargs)


@pytest.fixture
def guarded(tiny_detco, tmp_path):
    runner, guard = guard_of(tiny_detco, tmp_path)
    yield runner, guard
    guard.remove()


def test_a_non_finite_loss_stops_before_anything_changes(guarded):
    """NaN patches make the local terms NaN: the error names them (and not
    the finite global ones); the queues, their pointer and the BN statistics
    are those of before the step, in the model and in the checkpoint."""
    runner, guard = guarded
    model = runner.model
    before = {k: v.clone() for k, v in model.state_dict().items()}
    inputs = tiny_inputs()
    inputs[2] = torch.full_like(inputs[2], float('nan'))
    with pytest.raises(FloatingPointError) as error:
        with guard.step():
            model(inputs, mode='loss')
    message = str(error.value)
    assert 'the loss is nan' in message
    assert 'loss_ll_res2 = nan' in message and 'loss_lg_res5 = nan' in message
    assert 'loss_gg' not in message
    assert [(d, f) for d, f, _ in runner.saved] == [(runner.work_dir,
                                                     'diverged_iter_7.pth')]
    # resumed, it redoes this iteration of this epoch
    assert runner.metas == [dict(epoch=1, iter=7)]
    saved = runner.saved[0][2]
    for state in (model.state_dict(), saved):
        for name in ('queue_global', 'queue_local', 'queue_ptr',
                     'backbone.bn1.running_mean',
                     'backbone.layer4.1.bn2.running_var'):
            torch.testing.assert_close(state[name], before[name], msg=name)
    # a finite step afterwards trains as usual
    with guard.step():
        model(tiny_inputs(), mode='loss')
    assert model.queue_ptr.item() == 4


def test_finite_steps_and_other_forwards_pass(guarded):
    """A finite step changes the buffers as without the guard; forwards
    that return no loss dict (features) are not checked."""
    runner, guard = guarded
    model = runner.model
    with guard.step():
        model(tiny_inputs(), mode='loss')
    assert model.queue_ptr.item() == 4 and runner.saved == []
    features = model(torch.full((2, 3, 32, 32), float('nan')), mode='tensor')
    assert not torch.isfinite(features[-1]).all()
    guard.remove()
    inputs = tiny_inputs()
    inputs[2] = torch.full_like(inputs[2], float('nan'))
    assert not torch.isfinite(model(inputs, mode='loss')['loss'])


@pytest.fixture
def amp_on_cpu(monkeypatch):
    """``AmpOptimWrapper`` as on a GPU, on the CPU: it asserts a GPU and
    takes torch's CUDA ``GradScaler``, which disables itself without one,
    and CPU autocast takes bf16 only. So its GPU check is patched, its
    scaler is torch's ``GradScaler`` on the CPU (the same class and
    arithmetic) and it trains in fp32 (no autocast): what the guard sees of
    fp16 (the wrapper, its dtype and its dynamic scale) is real. torch
    before 2.3 has no ``GradScaler`` for the CPU."""
    if not hasattr(torch.amp, 'GradScaler'):
        pytest.skip('torch.amp.GradScaler (on the CPU) needs torch >= 2.3')
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)
    monkeypatch.setattr(amp_module, 'GradScaler',
                        partial(torch.amp.GradScaler, 'cpu'))
    monkeypatch.setattr(AmpOptimWrapper, 'optim_context',
                        OptimWrapper.optim_context)


def wrapper(model, kind, **kwargs):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if kind == 'fp32':
        return OptimWrapper(optimizer)
    return AmpOptimWrapper(optimizer=optimizer, dtype=kind, **kwargs)


def nan_step(guard, model):
    inputs = tiny_inputs()
    inputs[2] = torch.full_like(inputs[2], float('nan'))
    with guard.step():
        model(inputs, mode='loss')


@pytest.mark.stack
@pytest.mark.usefixtures('amp_on_cpu')
def test_fp16_skips_non_finite_steps_then_stops(tiny_detco, tmp_path, caplog):
    """fp16 with a dynamic scale: a non-finite step is skipped with the
    buffers of before it and the scale halved (``GradScaler``'s backoff);
    a finite step ends the streak; the third non-finite step in a row with
    ``max_skipped_steps=2`` stops as without fp16."""
    model = tiny_detco
    optim_wrapper = wrapper(model, 'float16')
    scaler = optim_wrapper.loss_scaler
    runner, guard = guard_of(
        model, tmp_path, optim_wrapper, max_skipped_steps=2)
    before = {k: v.clone() for k, v in model.named_buffers()}
    with caplog.at_level(logging.WARNING, 'test'):
        nan_step(guard, model)
    assert guard.skipped and runner.saved == []
    assert scaler.get_scale() == 2.**16 / 2
    assert 'fp16: skipped iteration 7 as the loss scaler would; loss ' \
        'scale 65536 -> 32768 (1 of at most 2 consecutive' in caplog.text
    for name, buffer in model.named_buffers():
        torch.testing.assert_close(buffer, before[name], msg=name)
    with guard.step():  # finite: trained as usual, the streak ends
        model(tiny_inputs(), mode='loss')
    assert not guard.skipped and model.queue_ptr.item() == 4
    nan_step(guard, model)
    nan_step(guard, model)
    assert guard.skipped and scaler.get_scale() == 2.**16 / 8
    with pytest.raises(FloatingPointError):
        nan_step(guard, model)
    assert not guard.skipped
    assert [f for _, f, _ in runner.saved] == ['diverged_iter_7.pth']
    assert scaler.get_scale() == 2.**16 / 8
    assert model.queue_ptr.item() == 4
    guard.remove()


@pytest.mark.usefixtures('amp_on_cpu')
@pytest.mark.parametrize('kind,kwargs', [('fp32', {}), ('bfloat16', {}),
                                         ('float16', dict(loss_scale=512.))])
def test_fp32_bf16_and_a_static_scale_stop_at_once(tiny_detco, tmp_path, kind,
                                                   kwargs):
    runner, guard = guard_of(tiny_detco, tmp_path,
                             wrapper(tiny_detco, kind, **kwargs))
    with pytest.raises(FloatingPointError):
        nan_step(guard, tiny_detco)
    assert [f for _, f, _ in runner.saved] == ['diverged_iter_7.pth']
    guard.remove()


def inject_inf(model, iterations, runner):
    """Make the loss of the training forwards at ``iterations`` inf."""

    def hook(module, args, output):
        if isinstance(output, dict) and runner.iter in iterations:
            return dict(output, loss=output['loss'] * float('inf'))

    model.register_forward_hook(hook)


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.usefixtures('amp_on_cpu')
def test_fp16_training_skips_then_stops(data_root, tmp_path):
    """The demo config under fp16 (``AmpOptimWrapper``, dynamic scale) for
    2 epochs of 2 iterations,
    ``train_cfg.divergence_guard.max_skipped_steps=2``: with the
    loss inf at iterations 1 and 2, both are skipped and counted (the
    schedule steps, the run ends at iteration 4); at 1, 2 and 3, the run
    stops at 3 with ``diverged_iter_3.pth``, which resumes there."""
    fp16 = {
        'optim_wrapper.type': 'AmpOptimWrapper',
        'optim_wrapper.dtype': 'float16',
        'optim_wrapper.loss_scale': 'dynamic',
        'train_cfg.divergence_guard.max_skipped_steps': 2
    }
    runner = demo_runner(tmp_path / 'skips', data_root, 2, **fp16)
    inject_inf(runner.model, {1, 2}, runner)
    runner.train()
    assert runner.iter == 4
    assert runner.optim_wrapper.loss_scaler.get_scale() == 2.**16 / 4
    warmup = runner.param_schedulers[0]  # stepped every iteration
    assert warmup.last_step == 4

    runner = demo_runner(tmp_path / 'stops', data_root, 2, **fp16)
    inject_inf(runner.model, {1, 2, 3}, runner)
    with pytest.raises(FloatingPointError):
        runner.train()
    checkpoint = torch.load(tmp_path / 'stops' / 'diverged_iter_3.pth')
    assert checkpoint['meta']['epoch'] == 1
    assert checkpoint['meta']['iter'] == 3
    assert checkpoint['optimizer']['loss_scaler']['scale'] == 2.**16 / 4
    runner = demo_runner(
        tmp_path / 'stops',
        data_root,
        2,
        resume=True,
        load_from=str(tmp_path / 'stops' / 'diverged_iter_3.pth'),
        **fp16)
    runner.train()
    assert runner.iter == 4
