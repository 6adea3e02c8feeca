# Copyright (c) mmdetco contributors. All rights reserved.
import random

import numpy as np
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
