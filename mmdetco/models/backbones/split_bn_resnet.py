# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Tuple

import torch

from ...compat import MODELS, ResNet


@MODELS.register_module()
class SplitBNResNet(ResNet):
    """ResNet that emulates shuffle BN on one process.

    MoCo-style methods shuffle the key encoder's batch across GPUs, so that a
    query and its positive key are normalised with the statistics of
    different samples; otherwise the batch statistics alone tell the
    positive from the queue's keys (which come from other batches) and the
    encoder learns that instead of the images (He et al., MoCo, Sec. 3.3).
    On one process the shuffle changes nothing. This backbone, in training
    mode, forwards each of ``bn_splits`` equal groups of consecutive samples
    on its own, so that every group is normalised with its own statistics,
    as on ``bn_splits`` GPUs (the ``SplitBatchNorm`` of MoCo's single-GPU
    demo); the key encoder's groups are drawn after the algorithm's batch
    shuffle (``batch_shuffle_ddp`` permutes the batch on one process too), so
    its groups differ from the query encoder's. Under DDP each process splits
    its own batch. In eval mode the whole batch is forwarded at once.

    The weights and their names are those of :class:`ResNet`: a checkpoint
    loads into and exports from either.

    Args:
        bn_splits (int): Number of groups; it must divide the batch size per
            process (for a DetCo patch batch: the number of samples).
            Defaults to 1 (a plain ResNet).
        **kwargs: The arguments of :class:`ResNet`.
    """

    def __init__(self, bn_splits: int = 1, **kwargs) -> None:
        if bn_splits < 1:
            raise ValueError(f'SplitBNResNet: `bn_splits` must be >= 1, got '
                             f'{bn_splits}.')
        super().__init__(**kwargs)
        self.bn_splits = bn_splits

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The features of every level, group by group in training."""
        if not self.training or self.bn_splits == 1:
            return super().forward(x)
        if x.shape[0] % self.bn_splits:
            raise ValueError(
                f'SplitBNResNet: `bn_splits` ({self.bn_splits}) must divide '
                f'the batch size per process ({x.shape[0]}).')
        forward = super().forward
        groups = [forward(group) for group in x.chunk(self.bn_splits)]
        return tuple(torch.cat(level) for level in zip(*groups))
