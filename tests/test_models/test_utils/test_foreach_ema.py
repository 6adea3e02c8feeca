# Copyright (c) mmdetco contributors. All rights reserved.
"""``ForeachEMA``: mmengine's EMA, in a few kernels and without reading
its step counter on the host."""
import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage

from mmdetco.models.utils import ForeachEMA
from ...test_engine.test_step_hygiene import StepCounter


def _model():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
        nn.Linear(4 * 6 * 6, 5))


def _train_step(model):
    """Change the weights and the BN statistics as a training step does."""
    model.train()
    model(torch.randn(2, 3, 8, 8))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)


def test_same_average_buffers_and_state_as_mmengine():
    torch.manual_seed(0)
    source = _model()
    ours = ForeachEMA(source, momentum=0.01)
    theirs = ExponentialMovingAverage(source, momentum=0.01)
    for module in (ours.module, theirs.module):
        # as init_weights would: the first update copies the source
        nn.init.zeros_(module[0].weight)
    for _ in range(5):
        _train_step(source)
        ours.update_parameters(source)
        theirs.update_parameters(source)
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(reference)
    assert mine['steps'].item() == 5
    for key in reference:
        torch.testing.assert_close(
            mine[key], reference[key], atol=1e-6, rtol=0, msg=key)
    assert not torch.equal(mine['module.0.weight'], source[0].weight)


def test_no_host_read_per_step_and_a_loaded_counter_is_read(monkeypatch):
    counter = StepCounter().install(monkeypatch.setattr)
    torch.manual_seed(0)
    source = _model()
    ema = ForeachEMA(source, momentum=0.5)
    assert counter.host_reads(ema.update_parameters, source) == {'__int__': 1}
    _train_step(source)
    for _ in range(3):
        assert counter.host_reads(ema.update_parameters, source) == {}
    # a loaded (or restored) counter is read once: steps = 0 copies again
    state = ema.state_dict()
    state['steps'] = torch.tensor([0])
    ema.load_state_dict(state)
    _train_step(source)
    assert counter.host_reads(ema.update_parameters, source) == {'__int__': 1}
    torch.testing.assert_close(ema.module[0].weight, source[0].weight)
    assert ema.steps.item() == 1
