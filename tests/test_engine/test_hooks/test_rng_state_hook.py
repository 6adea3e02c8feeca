# Copyright (c) mmdetco contributors. All rights reserved.
import random

import numpy as np
import pytest
import torch

from mmdetco.engine import RNGStateHook, get_rng_state, set_rng_state


def draws():
    return (random.random(), np.random.rand(), torch.rand(1).item())


def test_rng_state_round_trips_through_a_safe_checkpoint(tmp_path):
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    np.random.normal()  # a cached Gaussian is part of the state
    torch.save(dict(rng_state=get_rng_state()), tmp_path / 'ckpt.pth')
    expected = draws()
    state = torch.load(tmp_path / 'ckpt.pth', weights_only=True)['rng_state']
    draws()
    set_rng_state(state)
    assert draws() == expected


class FakeRunner:
    iter = 0


@pytest.mark.stack
def test_hook_restores_only_in_a_resumed_run():
    hook, runner = RNGStateHook(), FakeRunner()
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    expected = draws()
    # load_from (a run starting at iteration 0): the seed's draws stay
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train_epoch(runner)
    assert draws() != expected
    # resume: the saved draws come back, once
    runner.iter = 4
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train_epoch(runner)
    assert draws() == expected
    hook.before_train_epoch(runner)
    assert draws() != expected


class OnDevice(torch.Tensor):
    """A tensor of a checkpoint that ``Runner.resume`` mapped to a GPU
    (``map_location=get_device()``), as far as the CPU can tell: it refuses
    ``.numpy()`` as a CUDA tensor does, and :func:`refuse_on_device` makes
    the generators refuse it; ``.cpu()`` gives the plain CPU tensor."""

    def numpy(self, *args, **kwargs):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. "
                        'Use Tensor.cpu() to copy the tensor to host memory '
                        'first.')

    def cpu(self, *args, **kwargs):
        return self.as_subclass(torch.Tensor)


def on_device(state):
    """``state`` with every tensor :class:`OnDevice`."""
    if isinstance(state, torch.Tensor):
        return state.as_subclass(OnDevice)
    if isinstance(state, dict):
        return {key: on_device(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(on_device(value) for value in state)
    return state


@pytest.fixture
def refuse_on_device(monkeypatch):
    """``torch.set_rng_state`` refuses :class:`OnDevice` tensors, as it
    refuses CUDA ones."""
    set_state = torch.set_rng_state

    def cpu_only(state):
        if isinstance(state, OnDevice):
            raise RuntimeError(
                "Expected a 'cpu' device type for generator but found 'cuda'")
        set_state(state)

    monkeypatch.setattr(torch, 'set_rng_state', cpu_only)


@pytest.mark.stack
def test_rng_state_mapped_to_a_device_is_restored(refuse_on_device):
    torch.manual_seed(2)
    np.random.seed(2)
    state = on_device(get_rng_state())
    expected = draws()
    set_rng_state(state)
    assert draws() == expected


class FakeCuda:
    """``torch.cuda`` of a process that sees ``count`` devices and uses
    ``current``: one generator state per device, and the calls that read or
    write them."""

    def __init__(self, count, current=0):
        self.count, self.current = count, current
        self.states = [
            torch.full((16, ), i, dtype=torch.uint8) for i in range(count)
        ]
        self.calls = []

    def _index(self, device):
        index = self.current if device == 'cuda' else int(device)
        if index >= self.count:
            raise RuntimeError(f'CUDA error: invalid device ordinal {index}')
        return index

    def get_rng_state(self, device='cuda'):
        self.calls.append(('get', self._index(device)))
        return self.states[self._index(device)].clone()

    def set_rng_state(self, new_state, device='cuda'):
        assert not isinstance(new_state, OnDevice)  # the generators' rule
        self.calls.append(('set', self._index(device)))
        self.states[self._index(device)] = new_state.clone()

    def get_rng_state_all(self):
        return [self.get_rng_state(i) for i in range(self.count)]

    def set_rng_state_all(self, new_states):
        for i, state in enumerate(new_states):
            self.set_rng_state(state, i)

    def patch(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
        monkeypatch.setattr(torch.cuda, 'device_count', lambda: self.count)
        monkeypatch.setattr(torch.cuda, 'current_device', lambda: self.current)
        for name in ('get_rng_state', 'set_rng_state', 'get_rng_state_all',
                     'set_rng_state_all'):
            monkeypatch.setattr(torch.cuda, name, getattr(self, name))


def test_only_the_current_cuda_generator_is_saved_and_restored(monkeypatch):
    """Saved by rank 0 of a node whose process sees 8 devices, restored by
    processes that see one (slurm, a GPU a task), and by one that sees 8
    and uses device 5: each process reads and writes the generator of its
    current device only."""
    saving = FakeCuda(count=8, current=0)
    saving.states[0] = torch.arange(16, dtype=torch.uint8)
    saving.patch(monkeypatch)
    state = get_rng_state()
    assert saving.calls == [('get', 0)]
    state = on_device(state)  # as Runner.resume maps it on a GPU node

    for count, current in ((1, 0), (8, 5)):
        resuming = FakeCuda(count=count, current=current)
        resuming.patch(monkeypatch)
        set_rng_state(state)
        assert resuming.calls == [('set', current)]
        assert torch.equal(resuming.states[current], saving.states[0])


def test_a_list_of_cuda_states_restores_its_first(monkeypatch):
    """Checkpoints of earlier versions hold every device's state."""
    saving = FakeCuda(count=8)
    saving.patch(monkeypatch)
    state = dict(get_rng_state(), cuda=saving.get_rng_state_all())
    resuming = FakeCuda(count=1)
    resuming.patch(monkeypatch)
    set_rng_state(state)
    assert resuming.calls == [('set', 0)]
    assert torch.equal(resuming.states[0], saving.states[0])
