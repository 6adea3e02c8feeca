# Copyright (c) mmdetco contributors. All rights reserved.
"""``DivergenceGuard``: a step whose loss is not finite stops before the
optimizer step, names the terms and keeps the state of before the step."""
import logging
from types import SimpleNamespace

import pytest
import torch

from mmdetco.engine.loops import DivergenceGuard
from ...conftest import tiny_inputs


class FakeRunner(SimpleNamespace):
    """What the guard uses of a Runner; records the checkpoints."""

    def save_checkpoint(self, out_dir, filename):
        self.saved.append((out_dir, filename, {
            k: v.clone()
            for k, v in self.model.state_dict().items()
        }))


@pytest.fixture
def guarded(tiny_detco, tmp_path):
    runner = FakeRunner(
        model=tiny_detco,
        iter=7,
        work_dir=str(tmp_path),
        logger=logging.getLogger('test'),
        saved=[])
    guard = DivergenceGuard(runner)
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
