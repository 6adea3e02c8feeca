# Copyright (c) mmdetco contributors. All rights reserved.
"""Exact BN running statistics: re-estimated over chosen batches."""
from contextlib import contextmanager
from typing import Iterator, List

from torch.nn.modules.batchnorm import _BatchNorm


@contextmanager
def cumulative_bn_stats(layers: List[_BatchNorm],
                        train: bool = True) -> Iterator[None]:
    """Make the running statistics of ``layers`` the plain average over the
    forwards run inside the block.

    On entry every layer's running statistics are reset and its momentum is
    set to None (a cumulative average); with ``train`` the layers are put in
    training mode so that the forwards update them. On exit (also after an
    error) their momentum and mode are restored; the statistics stay.

    Args:
        layers (list[_BatchNorm]): The layers, each with running
            statistics.
        train (bool): Put the layers in training mode inside the block.
            Defaults to True.
    """
    momenta = [layer.momentum for layer in layers]
    modes = [layer.training for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None
        if train:
            layer.train()
    try:
        yield
    finally:
        for layer, momentum, mode in zip(layers, momenta, modes):
            layer.momentum = momentum
            layer.train(mode)
