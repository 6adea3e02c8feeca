# Copyright (c) mmdetco contributors. All rights reserved.
"""DetCo under torch.distributed (2 CPU processes, gloo): the keys of every
process are gathered into every queue, with shuffle BN across processes."""
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmpretrain.registry import MODELS

from ...conftest import (free_port, leave_process_group, tiny_detco_cfg,
                         tiny_inputs)


def _worker(rank, world_size, init_method, out_file):
    import mmdetco  # noqa: F401
    dist.init_process_group(
        'gloo', init_method=init_method, rank=rank, world_size=world_size)
    torch.manual_seed(0)  # the same initial model on every process
    model = MODELS.build(tiny_detco_cfg())
    initial = model.queue_global.clone()
    torch.manual_seed(1 + rank)  # different data on every process
    model(tiny_inputs(batch_size=2), mode='loss')
    torch.save(
        dict(
            initial=initial,
            ptr=model.queue_ptr.clone(),
            queue_global=model.queue_global.clone(),
            queue_local=model.queue_local.clone()), f'{out_file}.{rank}')
    leave_process_group()


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.timeout(180)  # a hang fails fast, not at the default 300 s
def test_keys_of_every_process_are_enqueued(tmp_path):
    out = str(tmp_path / 'queues')
    mp.spawn(
        _worker,
        args=(2, f'tcp://127.0.0.1:{free_port()}', out),
        nprocs=2,
        join=True)
    rank0, rank1 = (torch.load(f'{out}.{r}') for r in (0, 1))
    # 2 processes x 2 samples: the pointer moved by the global batch
    assert rank0['ptr'].item() == rank1['ptr'].item() == 4
    for kind in ('queue_global', 'queue_local'):
        torch.testing.assert_close(rank0[kind], rank1[kind])
    queue, initial = rank0['queue_global'], rank0['initial']
    # the first 4 slots hold the gathered keys, the rest is untouched
    for slot in range(4):
        assert not torch.allclose(queue[:, :, slot], initial[:, :, slot])
    torch.testing.assert_close(queue[:, :, 4:], initial[:, :, 4:])


def _gg_only_worker(rank, world_size, init_method, out_file):
    from torch.nn.parallel import DistributedDataParallel

    import mmdetco  # noqa: F401
    dist.init_process_group(
        'gloo', init_method=init_method, rank=rank, world_size=world_size)
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_detco_cfg(head=dict(type='DetCoHead', loss_terms=('gg', ))))
    # as the Runner wraps it: every parameter must get a gradient
    ddp = DistributedDataParallel(model, find_unused_parameters=False)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    losses = []
    for step in range(3):
        torch.manual_seed(10 * step + rank)  # different data per process
        loss = ddp(tiny_inputs(batch_size=2), mode='loss')['loss']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    torch.save(
        dict(losses=losses, state=model.state_dict()), f'{out_file}.{rank}')
    leave_process_group()


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_gg_only_trains_under_ddp(tmp_path):
    """The gg-only ablations (``detco-gg``, ``detco-res5-gg``) train under
    DDP without ``find_unused_parameters``: no local MLP is left without a
    gradient (DDP stops at step 2 otherwise)."""
    out = str(tmp_path / 'gg')
    mp.spawn(
        _gg_only_worker,
        args=(2, f'tcp://127.0.0.1:{free_port()}', out),
        nprocs=2,
        join=True)
    rank0, rank1 = (torch.load(f'{out}.{r}') for r in (0, 1))
    assert len(rank0['losses']) == 3
    assert all(torch.isfinite(torch.tensor(rank0['losses'])))
    # 3 steps x global batch 4
    assert rank0['state']['queue_ptr'].item() == 12 % 16
    # the same weights and queues (BN statistics are per process)
    for name, value in rank0['state'].items():
        if 'running' not in name and 'num_batches' not in name:
            torch.testing.assert_close(value, rank1['state'][name], msg=name)
