# Copyright (c) mmdetco contributors. All rights reserved.
"""A DetCo training step reads nothing on the host: the queue pointer
stays on the device (and is still saved and resumed), and with
``log_scalars`` off the scalars wait on the device until
``pop_unlogged_scalars``."""
import pytest
import torch
from mmpretrain.registry import MODELS

from ...conftest import tiny_detco_cfg, tiny_inputs
from ...test_engine.test_step_hygiene import StepCounter


def test_a_step_reads_nothing_on_the_host(tiny_detco, monkeypatch):
    counter = StepCounter().install(monkeypatch.setattr)
    tiny_detco(tiny_inputs(), mode='loss')  # the EMA's first update
    tiny_detco.log_scalars = False

    def step():
        tiny_detco.parse_losses(tiny_detco(tiny_inputs(), mode='loss'))

    assert counter.host_reads(step) == {}
    assert counter.host_reads(tiny_detco.pop_unlogged_scalars) == {'tolist': 1}


def test_a_resumed_pointer_is_where_the_keys_go(tiny_detco):
    tiny_detco(tiny_inputs(), mode='loss')
    state = tiny_detco.state_dict()
    assert state['queue_ptr'].item() == 4
    torch.manual_seed(1)
    resumed = MODELS.build(tiny_detco_cfg())
    resumed.load_state_dict(state)
    keys = [torch.full((4, 8), float(i)) for i in range(4)]
    resumed._dequeue_and_enqueue(keys, [-k for k in keys])
    assert resumed.queue_ptr.item() == 8
    torch.testing.assert_close(resumed.queue_global[:, :, :4],
                               state['queue_global'][:, :, :4])
    assert torch.all(resumed.queue_global[3, :, 4:8] == 3.)
    assert torch.all(resumed.queue_local[3, :, 4:8] == -3.)
    torch.testing.assert_close(resumed.queue_global[:, :, 8:],
                               state['queue_global'][:, :, 8:])


def test_unlogged_scalars_are_those_a_logged_step_returns(tiny_detco):
    torch.manual_seed(2)
    inputs = tiny_inputs()
    state = {k: v.clone() for k, v in tiny_detco.state_dict().items()}
    _, logged = tiny_detco.parse_losses(tiny_detco(inputs, mode='loss'))
    tiny_detco.load_state_dict(state)
    tiny_detco.log_scalars = False
    loss, returned = tiny_detco.parse_losses(tiny_detco(inputs, mode='loss'))
    assert list(returned) == ['loss']
    torch.testing.assert_close(loss, logged['loss'])
    (unlogged, ) = tiny_detco.pop_unlogged_scalars()
    assert list(unlogged) == [name for name in logged if name != 'loss']
    for name, value in unlogged.items():
        assert value == pytest.approx(
            logged[name].item(), rel=1e-6, abs=1e-6), name
    assert tiny_detco.pop_unlogged_scalars() == []
