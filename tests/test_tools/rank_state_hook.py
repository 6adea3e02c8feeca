# Copyright (c) mmdetco contributors. All rights reserved.
"""A test-only hook: every process saves its DetCo state after training."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RankStateDumpHook(Hook):
    """Save the queues, their pointer and both encoders' parameters of this
    process to ``WORK_DIR/rank{RANK}.pth`` after training (not the BN
    running statistics: every process keeps its own, as in MoCo)."""

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        state = {
            name: tensor.detach().clone()
            for name, tensor in model.state_dict().items() if
            name.startswith('queue') or name in dict(model.named_parameters())
        }
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}.pth'))
