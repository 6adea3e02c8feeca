# Copyright (c) mmdetco contributors. All rights reserved.
"""PostTrainingBNStatsHook: after the last iteration, every BN layer holds
the average batch statistics of the first ``num_iters`` training batches,
through the training forward, before the last checkpoint is written."""
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

pytest.importorskip('mmdet')
from mmdetco.det import PostTrainingBNStatsHook  # noqa: E402
from mmdetco.utils import load_checkpoint_safely  # noqa: E402

NUM_ITERS, MAX_ITERS, BATCH = 3, 4, 4


class ToyDetector(BaseModel):
    """A conv and a BN layer; records its calls (mode, inputs)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.calls = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.calls.append((mode, inputs))
        out = self.bn(self.conv(inputs))
        if mode == 'loss':
            return dict(loss=out.mean()**2 + self.conv.weight.pow(2).sum())
        return out


def train(work_dir, hooks):
    torch.manual_seed(0)
    data = [dict(inputs=torch.randn(3, 8, 8) * (i % 5 + 1)) for i in range(32)]
    runner = Runner(
        model=ToyDetector(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='InfiniteSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            batch_size=BATCH,
            num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=MAX_ITERS),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', by_epoch=False, interval=MAX_ITERS)),
        custom_hooks=hooks,
        default_scope=None)
    runner.train()
    return runner, data


def batch_stats(model, batches):
    """The mean over ``batches`` of the BN input's batch mean and unbiased
    batch variance."""
    means, variances = [], []
    with torch.no_grad():
        for x in batches:
            y = model.conv(x).transpose(0, 1).flatten(1)
            means.append(y.mean(1))
            variances.append(y.var(1, unbiased=True))
    return torch.stack(means).mean(0), torch.stack(variances).mean(0)


@pytest.mark.slow
def test_statistics_after_the_last_iteration(tmp_path):
    runner, data = train(
        str(tmp_path), [PostTrainingBNStatsHook(num_iters=NUM_ITERS)])
    model = runner.model
    # the training forward, once per training step and statistics batch,
    # the latter on batches of training images
    assert [mode for mode, _ in model.calls] == ['loss'] * (
        MAX_ITERS + NUM_ITERS)
    batches = [x for _, x in model.calls[MAX_ITERS:]]
    images = {tuple(d['inputs'].flatten().tolist()) for d in data}
    assert all(
        tuple(image.flatten().tolist()) in images for x in batches
        for image in x)
    mean, var = batch_stats(model, batches)
    torch.testing.assert_close(model.bn.running_mean, mean)
    torch.testing.assert_close(model.bn.running_var, var)
    assert model.bn.momentum == 0.1  # restored
    # the last checkpoint was written after the update
    state = load_checkpoint_safely(
        osp.join(str(tmp_path), f'iter_{MAX_ITERS}.pth'))['state_dict']
    torch.testing.assert_close(state['bn.running_mean'], mean)


@pytest.mark.slow
def test_without_the_hook_the_statistics_differ(tmp_path):
    runner, data = train(str(tmp_path), [])
    mean, var = batch_stats(
        runner.model,
        [torch.stack([d['inputs'] for d in data[:BATCH * NUM_ITERS]])])
    assert not torch.allclose(runner.model.bn.running_mean, mean, atol=1e-3)
    assert not torch.allclose(runner.model.bn.running_var, var, atol=1e-3)


def test_bad_num_iters():
    with pytest.raises(ValueError, match='num_iters'):
        PostTrainingBNStatsHook(num_iters=0)
