# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Optional

import torch
from mmengine.hooks import Hook
from torch.nn.modules.batchnorm import _BatchNorm

from ...compat import HOOKS
from ...utils import cumulative_bn_stats, get_ori_model, global_rng_restored


@HOOKS.register_module()
class BackboneBNStatsHook(Hook):
    """Re-estimate the backbone's BN running statistics on whole images.

    The running statistics that BN layers update with momentum during
    training describe neither the final weights (they lag behind weights
    that change every step, and the error compounds from layer to layer) nor
    whole images (they come from the training views). A backbone used in
    eval mode (the kNN monitor, a frozen-backbone probe, a linear benchmark)
    then normalises with statistics that do not match its input
    (docs/en/training_health.md). This hook replaces them by the exact
    (cumulative) mean and variance of the backbone's features over
    ``num_batches`` batches of ``dataloader``, with the weights of the
    moment:

    - before the first iteration of a run that starts from scratch, so that
      the initial weights are evaluated like the trained ones (the kNN
      monitor's first evaluation, a random frozen backbone);
    - with ``interval``, after every ``interval`` epochs and after the last
      one, before that epoch's checkpoint is written and before
      :class:`KNNMonitorHook` evaluates: every saved and exported backbone
      carries statistics of whole images.

    Training normalises with batch statistics, so no loss changes; the
    global random generators are restored afterwards, so the run draws the
    same views as without the hook.

    Args:
        dataloader (dict, optional): A data loader config of whole images,
            one view per sample. Defaults to None: the runner's training
            data loader (that of a detector).
        num_batches (int, optional): The batches to average over.
            Defaults to None: the whole data loader.
        interval (int, optional): Re-estimate every ``interval`` training
            epochs and after the last. Defaults to None: only before the
            first iteration.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 dataloader: Optional[dict] = None,
                 num_batches: Optional[int] = None,
                 interval: Optional[int] = None) -> None:
        for name, value in (('num_batches', num_batches), ('interval',
                                                           interval)):
            if value is not None and value < 1:
                raise ValueError(f'BackboneBNStatsHook: `{name}` must be '
                                 f'>= 1 or None, got {value}.')
        self.dataloader_cfg = dataloader
        self.num_batches = num_batches
        self.interval = interval

    def before_train(self, runner) -> None:
        """Build the data loader; re-estimate for a run from scratch."""
        self.dataloader = runner.train_dataloader if \
            self.dataloader_cfg is None else \
            runner.build_dataloader(self.dataloader_cfg, seed=runner.seed)
        if runner.iter == 0:
            self.reestimate(runner)

    def after_train_epoch(self, runner) -> None:
        """Re-estimate every ``interval`` epochs and after the last."""
        if self.interval is not None and (self.every_n_epochs(
                runner, self.interval) or self.is_last_train_epoch(runner)):
            self.reestimate(runner)

    @torch.no_grad()
    def reestimate(self, runner) -> None:
        """Re-estimate the backbone's BN statistics on the data loader."""
        model = get_ori_model(runner.model)
        layers = [
            m for m in model.backbone.modules()
            if isinstance(m, _BatchNorm) and m.track_running_stats
        ]
        if not layers:
            raise ValueError('BackboneBNStatsHook: the backbone has no '
                             'batch-norm layer with running statistics.')
        num_batches = 0
        # iterating a data loader draws from the global generator
        with global_rng_restored(), cumulative_bn_stats(layers):
            for data in self.dataloader:
                if num_batches == self.num_batches:
                    break
                inputs = model.data_preprocessor(data, False)['inputs']
                if isinstance(inputs, (list, tuple)):
                    inputs = inputs[0]
                model.backbone(inputs)
                num_batches += 1
        runner.logger.info(
            f'BackboneBNStatsHook: the running statistics of {len(layers)} '
            f'backbone BN layers re-estimated on {num_batches} batches at '
            f'iteration {runner.iter}')
