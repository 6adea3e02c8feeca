# Copyright (c) mmdetco contributors. All rights reserved.
"""``global_rng_restored``: the global torch generators are used inside and
left exactly as they were."""
from unittest import mock

import pytest
import torch

from mmdetco.utils import global_rng_restored


def test_cpu_generator_is_restored_exactly():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    with global_rng_restored():
        inside = torch.rand(5)
        assert not torch.equal(torch.get_rng_state(), state)
    assert torch.equal(torch.get_rng_state(), state)
    # the draws after the context are those it would have had without it
    assert torch.equal(torch.rand(5), inside)


def test_restored_when_the_body_raises():
    state = torch.get_rng_state()
    with pytest.raises(RuntimeError, match='stop'):
        with global_rng_restored():
            torch.rand(3)
            raise RuntimeError('stop')
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize('cuda,devices', [(False, []), (True, [1])])
def test_forks_the_current_gpu_only(cuda, devices):
    with mock.patch('torch.cuda.is_available', return_value=cuda), \
            mock.patch('torch.cuda.current_device', return_value=1), \
            mock.patch('torch.random.fork_rng') as fork_rng:
        assert global_rng_restored() is fork_rng.return_value
    fork_rng.assert_called_once_with(devices=devices)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_current_gpu_generator_is_restored_exactly():
    torch.cuda.manual_seed(0)
    state = torch.cuda.get_rng_state()
    with global_rng_restored():
        inside = torch.rand(5, device='cuda')
        assert not torch.equal(torch.cuda.get_rng_state(), state)
    assert torch.equal(torch.cuda.get_rng_state(), state)
    assert torch.equal(torch.rand(5, device='cuda'), inside)
