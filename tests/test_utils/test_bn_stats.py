# Copyright (c) mmdetco contributors. All rights reserved.
import pytest
import torch
from torch import nn

from mmdetco.utils import cumulative_bn_stats


def test_statistics_are_the_plain_average_over_the_block():
    layer = nn.BatchNorm1d(3, momentum=0.1).eval()
    layer.running_mean.fill_(5.)
    batches = [torch.randn(8, 3) + i for i in range(3)]
    with cumulative_bn_stats([layer]):
        assert layer.training and layer.momentum is None
        for batch in batches:
            layer(batch)
    torch.testing.assert_close(
        layer.running_mean,
        torch.stack([b.mean(0) for b in batches]).mean(0))
    torch.testing.assert_close(
        layer.running_var,
        torch.stack([b.var(0, unbiased=True) for b in batches]).mean(0))
    assert not layer.training and layer.momentum == 0.1


def test_without_train_the_mode_is_kept():
    layer = nn.BatchNorm1d(3).eval()
    with cumulative_bn_stats([layer], train=False):
        assert not layer.training
        layer(torch.randn(4, 3))  # eval mode: no update
    assert torch.equal(layer.running_mean, torch.zeros(3))


def test_momentum_and_mode_are_restored_after_an_error():
    layer = nn.BatchNorm1d(3, momentum=0.3).eval()
    with pytest.raises(RuntimeError, match='stop'):
        with cumulative_bn_stats([layer]):
            raise RuntimeError('stop')
    assert not layer.training and layer.momentum == 0.3
