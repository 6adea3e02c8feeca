# Copyright (c) mmdetco contributors. All rights reserved.
"""Test-only hooks: every process saves its DetCo state after training,
or its distributed environment before."""
import json
import os
import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmdetco.utils import get_ori_model


@HOOKS.register_module()
class RankStateDumpHook(Hook):
    """Save the queues, their pointer and both encoders' parameters of this
    process to ``WORK_DIR/rank{RANK}.pth`` after training (not the BN
    running statistics: every process keeps its own, as in MoCo)."""

    def after_train(self, runner) -> None:
        model = get_ori_model(runner.model)
        state = {
            name: tensor.detach().clone()
            for name, tensor in model.state_dict().items() if
            name.startswith('queue') or name in dict(model.named_parameters())
        }
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}.pth'))


@HOOKS.register_module()
class RankEnvDumpHook(Hook):
    """Save this process's rank, world size, device variables and
    process-group address to ``WORK_DIR/rank{RANK}_env.json`` before
    training."""

    def before_train(self, runner) -> None:
        names = ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                 'MASTER_PORT', 'CUDA_VISIBLE_DEVICES', 'SLURM_PROCID',
                 'SLURM_LOCALID', 'SLURM_NODEID', 'SLURM_CPUS_PER_TASK')
        env = {name: os.environ.get(name) for name in names}
        env.update(rank=get_rank(), world_size=get_world_size())
        path = osp.join(runner.work_dir, f'rank{get_rank()}_env.json')
        with open(path, 'w') as f:
            json.dump(env, f)
