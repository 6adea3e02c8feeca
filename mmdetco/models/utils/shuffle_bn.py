# Copyright (c) mmdetco contributors. All rights reserved.
"""Shuffle BN's batch shuffle across processes.

Each process receives only the rows it keeps, and no device tensor is read
on the host.
"""
from typing import List, NamedTuple, Optional, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.dist import (get_comm_device, get_default_group, get_rank,
                           get_world_size)

#: the default process group and its gloo twin, for the permutations
_GLOO_GROUP: Tuple[Optional[object], Optional[object]] = (None, None)


class ShufflePlan(NamedTuple):
    """How :func:`shuffle_batch` exchanged the rows of this process.

    :func:`unshuffle_batch` runs the inverse exchange.

    Args:
        send_sizes (List[int]): Rows sent to each process, in rank order.
        recv_sizes (List[int]): Rows received from each process.
        send_order (torch.Tensor): The local rows, in the order sent.
        recv_order (torch.Tensor): The received rows, in the shuffled order.
        back_order (torch.Tensor): The shuffled rows, in the order sent
            back.
        back_recv_order (torch.Tensor): The rows received back, in the local
            order.
        idx_unshuffle (torch.Tensor): MMPretrain's index of the global batch
            (``argsort`` of the permutation).
    """
    send_sizes: List[int]
    recv_sizes: List[int]
    send_order: torch.Tensor
    recv_order: torch.Tensor
    back_order: torch.Tensor
    back_recv_order: torch.Tensor
    idx_unshuffle: torch.Tensor


def _has_gloo(group) -> bool:
    """Whether ``group`` runs gloo, for CPU tensors at least."""
    return 'gloo' in str(torch_dist.get_backend(group))


def _gloo_group():
    """A gloo group of all processes, created once per default group.

    The default group itself if it is gloo; the permutations travel there
    from the host.
    """
    global _GLOO_GROUP
    default = get_default_group()
    if _has_gloo(default):
        return default
    if _GLOO_GROUP[0] is not default:
        _GLOO_GROUP = (default, torch_dist.new_group(backend='gloo'))
    return _GLOO_GROUP[1]


def _permutation(n: int, world_size: int) -> List[int]:
    """MMPretrain's permutation of the global batch.

    ``randperm`` on every process, rank 0's kept (broadcast over gloo);
    read on the host from the CPU tensor.
    """
    perm = torch.randperm(n * world_size)
    if get_rank() != 0:
        perm.fill_(-1)  # what rank 0's shorter permutation leaves
    torch_dist.broadcast(perm, src=0, group=_gloo_group())
    perm = perm.tolist()
    if sorted(perm) != list(range(n * world_size)):
        raise ValueError(
            f'shuffle_batch: rank 0 sent a permutation of fewer samples than '
            f'the {n} x {world_size} of this process: shuffle BN needs the '
            'same batch size on every process; keep the sampler\'s '
            '`round_up=True` (DefaultSampler\'s default) or set the '
            'dataloader\'s `drop_last=True`.')
    return perm


def _inverse(order: List[int]) -> List[int]:
    inverse = [0] * len(order)
    for i, j in enumerate(order):
        inverse[j] = i
    return inverse


def _plan(perm: List[int], n: int, world_size: int) -> ShufflePlan:
    """The exchange that gives each process its rows of the permutation.

    Process ``r`` receives the rows ``perm[r * n:(r + 1) * n]`` of the
    global batch (the ``n`` rows of every process, in rank order).
    """
    rank = get_rank()
    position = _inverse(perm)  # of every sample in the shuffled batch
    # the local rows go out grouped by receiver, in their order there ...
    mine = position[rank * n:(rank + 1) * n]
    send_order = sorted(range(n), key=mine.__getitem__)
    # ... and arrive grouped by sender
    sender = [sample // n for sample in perm[rank * n:(rank + 1) * n]]
    arrival = sorted(range(n), key=sender.__getitem__)
    send_sizes, recv_sizes = [0] * world_size, [0] * world_size
    for j, s in zip(mine, sender):
        send_sizes[j // n] += 1
        recv_sizes[s] += 1
    orders = (send_order, _inverse(arrival), arrival, _inverse(send_order))
    return ShufflePlan(send_sizes, recv_sizes, *map(torch.tensor, orders),
                       torch.tensor(position))


def _local_plan(n: int) -> ShufflePlan:
    """The plan on one process: the permutation, on the device."""
    perm = torch.randperm(n)
    idx_unshuffle, identity = torch.argsort(perm), torch.arange(n)
    return ShufflePlan([n], [n], perm, identity, idx_unshuffle, identity,
                       idx_unshuffle)


def _exchange(x: torch.Tensor, send_order: torch.Tensor, send_sizes: List[int],
              recv_sizes: List[int], recv_order: torch.Tensor) -> torch.Tensor:
    """Exchange rows of ``x`` with one ``all_to_all_single``.

    Rows ``send_order`` of ``x`` are sent, ``send_sizes[s]`` to process
    ``s``; returns the rows received, ``recv_order`` of them. The index
    tensors are copied to the device, not read.
    """
    send = x[send_order.to(x.device, non_blocking=True)]
    if len(send_sizes) == 1:  # one process: `recv_order` is the identity
        return send
    device = get_comm_device()
    send = send.to(device).contiguous()
    recv = send.new_empty((sum(recv_sizes), ) + x.shape[1:])
    torch_dist.all_to_all_single(recv, send, recv_sizes, send_sizes)
    return recv[recv_order.to(device, non_blocking=True)].to(x.device)


@torch.no_grad()
def shuffle_batch(x: torch.Tensor) -> Tuple[torch.Tensor, ShufflePlan]:
    """Shuffle the global batch across the processes (shuffle BN).

    The permutation, what each process keeps of it, the random numbers drawn
    and the result are those of MMPretrain's ``batch_shuffle_ddp``: every
    process draws ``randperm(global batch)`` on the CPU and takes rank 0's
    (broadcast over gloo); process ``r`` keeps the rows of its slice ``r``
    (on one process: the whole batch, permuted). Only the rows a process
    keeps from others reach it, about ``1 / world size`` of the bytes of
    ``batch_shuffle_ddp``, which all-gathers the whole batch. The one host
    read, on several processes, is of the permutation, a CPU tensor: no
    device synchronisation.

    Like ``batch_shuffle_ddp``, it assumes every process has the same
    ``N`` (DefaultSampler's ``round_up=True``), unchecked across processes:
    a process with more samples than rank 0 raises a ``ValueError``, one
    with fewer is aborted by gloo (the permutation does not fit).

    Args:
        x (torch.Tensor): This process's batch, samples along dim 0 (images
            ``(N, 3, H, W)``, patch sets ``(N, P, 3, h, w)``, ...).

    Returns:
        Tuple[torch.Tensor, ShufflePlan]: The ``N`` shuffled samples of this
        process and the plan for :func:`unshuffle_batch` (MMPretrain's index
        is its ``idx_unshuffle``).
    """
    n = x.shape[0]
    world_size = get_world_size()
    if world_size == 1:
        plan = _local_plan(n)
    else:
        plan = _plan(_permutation(n, world_size), n, world_size)
    return _exchange(x, plan.send_order, plan.send_sizes, plan.recv_sizes,
                     plan.recv_order), plan


@torch.no_grad()
def unshuffle_batch(x: torch.Tensor, plan: ShufflePlan) -> torch.Tensor:
    """Undo :func:`shuffle_batch`.

    Every process gets back the rows of its own samples, in their order
    (what MMPretrain's ``batch_unshuffle_ddp`` returns), receiving only
    those from the other processes; no host read.

    Args:
        x (torch.Tensor): One row per shuffled sample of this process, e.g.
            the embeddings of the output of :func:`shuffle_batch`.
        plan (ShufflePlan): The plan :func:`shuffle_batch` returned.

    Returns:
        torch.Tensor: The rows of ``x`` in the order of the samples before
        the shuffle.
    """
    if x.shape[0] * get_world_size() != plan.idx_unshuffle.numel():
        raise ValueError(
            f'unshuffle_batch: {x.shape[0]} rows on each of '
            f'{get_world_size()} processes, but the shuffle was of '
            f'{plan.idx_unshuffle.numel()} samples; pass one row per sample '
            'that shuffle_batch returned, with its plan.')
    # the inverse exchange: the rows go back the way they came
    return _exchange(x, plan.back_order, plan.recv_sizes, plan.send_sizes,
                     plan.back_recv_order)
