# Copyright (c) mmdetco contributors. All rights reserved.
"""detectron2's precise BN for MMDetection runs."""
from itertools import islice

import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils import cumulative_bn_stats, get_ori_model, global_rng_restored


@HOOKS.register_module()
class PostTrainingBNStatsHook(Hook):
    """Re-estimate BN running statistics after training (precise BN).

    As detectron2's ``TEST.PRECISE_BN``.

    After the last training iteration, the running mean and variance of
    every BN layer in training mode become the averages of its batch means
    and (unbiased) batch variances over the next ``num_iters`` batches of
    the training loop, through the training forward (``mode='loss'``, so
    the RoI heads see sampled training RoIs). It runs before the last
    checkpoint and the evaluation; SyncBN layers average over all
    processes; the global random generators are restored afterwards.
    MMPretrain's ``PreciseBNHook`` differs: it runs the test-mode forward
    every ``interval`` epochs (`Rethinking "Batch" in BatchNorm
    <https://arxiv.org/abs/2105.07576>`_, Sec. 3).

    Args:
        num_iters (int): Batches per process (detectron2's
            ``TEST.PRECISE_BN.NUM_ITER``). Defaults to 200.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, num_iters: int = 200) -> None:
        if num_iters < 1:
            raise ValueError('PostTrainingBNStatsHook: `num_iters` must be '
                             f'>= 1, got {num_iters}.')
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
        model = get_ori_model(runner.model)
        layers = [
            m for m in model.modules() if isinstance(m, _BatchNorm)
            and m.training and m.track_running_stats
        ]
        if not layers:
            runner.logger.warning('PostTrainingBNStatsHook: no BN layer in '
                                  'training mode; nothing to update.')
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
            f'PostTrainingBNStatsHook: the running statistics of '
            f'{len(layers)} BN layers re-estimated on {num_batches} training '
            'batches')
