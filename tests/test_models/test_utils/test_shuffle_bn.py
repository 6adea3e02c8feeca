# Copyright (c) mmdetco contributors. All rights reserved.
"""``shuffle_batch`` / ``unshuffle_batch``: the permutation, the tensors and
the random numbers of MMPretrain's ``batch_shuffle_ddp`` /
``batch_unshuffle_ddp``, on one process and on 2 and 3 (gloo)."""
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmpretrain.registry import MODELS

import mmdetco.models.selfsup.detco as detco_module
import mmdetco.models.utils.shuffle_bn as shuffle_bn
from mmdetco.compat import batch_shuffle_ddp, batch_unshuffle_ddp
from mmdetco.models.utils import shuffle_batch, unshuffle_batch
from ...conftest import (free_port, leave_process_group, tiny_detco_cfg,
                         tiny_inputs)
from ...test_engine.test_step_hygiene import StepCounter

#: a batch of images, of patch sets and of embeddings
SHAPES = ((4, 3, 8, 8), (4, 9, 3, 4, 4), (4, 6))


def _both(x, counter, seed=7):
    """The shuffled batch, the index, the unshuffled rows of a function of
    the shuffled batch, the random number generator's state after both and
    the host reads (``counter``'s sites), by MMPretrain's functions and by
    mmdetco's: ``(theirs, ours)``."""
    results = []
    for shuffle, unshuffle in ((batch_shuffle_ddp, batch_unshuffle_ddp),
                               (shuffle_batch, unshuffle_batch)):
        torch.manual_seed(seed)
        counter.start(None)
        shuffled, index = shuffle(x)
        keys = unshuffle(shuffled.flatten(1)[:, :5] * 2, index)
        counter.stop()
        results.append(
            dict(
                shuffled=shuffled,
                index=getattr(index, 'idx_unshuffle', index),
                keys=keys,
                rng=torch.get_rng_state(),
                restored=unshuffle(shuffled, index),
                reads=counter.current['sites']))
    return results


def _assert_same(theirs, ours, x, world_size=1):
    for name, value in theirs.items():
        if name != 'reads':
            torch.testing.assert_close(ours[name], value, rtol=0, atol=0)
    torch.testing.assert_close(ours['restored'], x, rtol=0, atol=0)
    # several processes: the permutation, a CPU tensor, read once
    reads = [(r.split()[0], r.split()[-1]) for r in ours['reads']]
    assert reads == [('tolist', 'cpu')] * (world_size > 1), ours['reads']


@pytest.mark.parametrize('shape', SHAPES)
def test_one_process_is_mmpretrains(shape, monkeypatch):
    x = torch.randn(shape)
    theirs, ours = _both(x, StepCounter().install(monkeypatch.setattr))
    _assert_same(theirs, ours, x)
    # it permutes there too, as theirs does
    assert not torch.equal(ours['shuffled'], x)


def test_unshuffle_refuses_rows_of_another_batch():
    _, index = shuffle_batch(torch.randn(4, 3))
    with pytest.raises(ValueError, match='shuffle was of 4 samples'):
        unshuffle_batch(torch.randn(3, 2), index)


def test_detco_key_encoder_shuffles_with_it(monkeypatch):
    calls = []

    def spy(x):
        calls.append(x.shape)
        return shuffle_batch(x)

    monkeypatch.setattr(detco_module, 'shuffle_batch', spy)
    torch.manual_seed(0)
    model = MODELS.build(tiny_detco_cfg())
    model(tiny_inputs(batch_size=2), mode='loss')
    assert calls == [(2, 3, 32, 32), (2, 9, 3, 16, 16)]


def _worker(rank, world_size, init_method, out_file):
    dist.init_process_group(
        'gloo', init_method=init_method, rank=rank, world_size=world_size)
    counter, results = StepCounter().install(), []
    for shape in SHAPES:
        torch.manual_seed(rank)  # different data on every process
        x = torch.randn(shape) + 100 * rank
        # different seeds too
        results.append((x, *_both(x, counter, seed=rank)))
    # a default group without gloo (NCCL's): the permutations go over a gloo
    # group of their own, created once
    shuffle_bn._has_gloo = lambda group: False
    groups = [shuffle_bn._gloo_group() for _ in range(2)]
    own_group = groups[0] is groups[1] is not shuffle_bn.get_default_group()
    results.append((x, *_both(x, counter, seed=rank)))
    try:  # more samples than rank 0: raises; rank 0 cannot tell
        shuffle_bn._permutation(2 + rank, world_size)
        error = ''
    except ValueError as e:
        error = str(e)
    torch.save(
        dict(results=results, error=error, own_group=own_group),
        f'{out_file}.{rank}')
    leave_process_group()


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize('world_size', [2, 3])
def test_processes_get_mmpretrains_rows(tmp_path, world_size):
    out = str(tmp_path / 'shuffled')
    mp.spawn(
        _worker,
        args=(world_size, f'tcp://127.0.0.1:{free_port()}', out),
        nprocs=world_size,
        join=True)
    for rank in range(world_size):
        saved = torch.load(f'{out}.{rank}')
        for x, theirs, ours in saved['results']:
            _assert_same(theirs, ours, x, world_size)
        # samples of the other processes (offset by 100 * their rank) arrive
        means = torch.cat([
            ours['shuffled'].flatten(1).mean(1)
            for _, _, ours in saved['results']
        ])
        assert ((means - 100 * rank).abs() > 50).any()
        assert saved['own_group']
        assert (f'fewer samples than the {2 + rank} x {world_size}'
                in saved['error']) is (rank > 0)
