# Copyright (c) mmdetco contributors. All rights reserved.
"""detectron2's precise BN for MMDetection runs."""
from itertools import islice

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils import cumulative_bn_stats, global_rng_restored


@HOOKS.register_module()
class PreciseBNHook(Hook):
    """Re-estimate every BN layer's running statistics after the last
    training iteration, as detectron2's ``TEST.PRECISE_BN`` does.

    With the final weights, the running mean and variance of every BN layer
    in training mode become the averages of its batch means and (unbiased)
    batch variances over the next ``num_iters`` batches of the training loop,
    through the detector's training forward (``mode='loss'``, so the RoI
    heads see sampled training RoIs, as in detectron2). It runs before the
    last checkpoint and the evaluation (priority ``ABOVE_NORMAL``); SyncBN
    layers average over all processes. The global random generators are
    restored afterwards.

    Unlike MMPretrain's ``PreciseBNHook``, it runs the training forward and
    only after the last iteration (detectron2 with ``TEST.EVAL_PERIOD`` 0).

    Args:
        num_iters (int): Batches per process (detectron2's
            ``TEST.PRECISE_BN.NUM_ITER``). Defaults to 200.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, num_iters: int = 200) -> None:
        if num_iters < 1:
            raise ValueError(
                f'PreciseBNHook: `num_iters` must be >= 1, got {num_iters}.')
        self.num_iters = num_iters

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Update the statistics after the last iteration."""
        if self.is_last_train_iter(runner):
            self.update_stats(runner)

    @torch.no_grad()
    def update_stats(self, runner) -> None:
        """Replace the running statistics of the model's BN layers."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        layers = [
            m for m in model.modules() if isinstance(m, _BatchNorm)
            and m.training and m.track_running_stats
        ]
        if not layers:
            runner.logger.warning('PreciseBNHook: no BN layer in training '
                                  'mode; nothing to update.')
            return
        # the training loop's own stream of batches: a second iterator of
        # an iteration-based loader would share (and break) the state of its
        # samplers, e.g. MMDetection's aspect-ratio buckets
        batches = getattr(runner.train_loop, 'dataloader_iterator',
                          None) or iter(runner.train_dataloader)
        num_batches = 0
        with global_rng_restored(), cumulative_bn_stats(layers, train=False):
            for data in islice(batches, self.num_iters):
                model(**model.data_preprocessor(data, True), mode='loss')
                num_batches += 1
        runner.logger.info(
            f'PreciseBNHook: the running statistics of {len(layers)} BN '
            f'layers re-estimated on {num_batches} training batches')
