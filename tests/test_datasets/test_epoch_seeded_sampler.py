# Copyright (c) mmdetco contributors. All rights reserved.
import pickle

import mmengine.dataset.sampler as sampler_module
import pytest
from mmengine.dataset import DefaultSampler
from mmpretrain.registry import DATA_SAMPLERS

from mmdetco.datasets import EpochSeededSampler, SeededIndex


def test_a_seeded_index_is_its_int_with_the_seed_and_epoch():
    index = SeededIndex(5, seed=3, epoch=2)
    assert index == 5 and isinstance(index, int)
    assert list(range(10))[index] == 5
    assert (index.seed, index.epoch) == (3, 2)
    assert repr(index) == 'SeededIndex(5, seed=3, epoch=2)'
    # as it travels to a data-loader worker
    copy = pickle.loads(pickle.dumps(index))
    assert type(copy) is SeededIndex
    assert (int(copy), copy.seed, copy.epoch) == (5, 3, 2)


@pytest.mark.parametrize('field, value', [('index', -1), ('seed', -2),
                                          ('epoch', 1.5), ('epoch', None),
                                          ('seed', True)])
def test_a_seeded_index_refuses_what_is_not_a_count(field, value):
    args = {**dict(index=1, seed=0, epoch=0), field: value}
    with pytest.raises(ValueError, match=f'`{field}` must be a non-negative'):
        SeededIndex(**args)


@pytest.mark.parametrize('world_size', [1, 2])
def test_the_indices_of_default_sampler_with_the_seed_and_epoch(
        world_size, monkeypatch):
    dataset = list(range(11))
    for rank in range(world_size):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda:
                            (rank, world_size))
        default = DefaultSampler(dataset, shuffle=True, seed=7)
        sampler = EpochSeededSampler(dataset, shuffle=True, seed=7)
        for epoch in (0, 3):
            default.set_epoch(epoch)
            sampler.set_epoch(epoch)
            indices = list(sampler)
            assert indices == list(default)
            assert len(indices) == len(sampler)
            assert all(
                isinstance(i, SeededIndex) and (i.seed, i.epoch) == (7, epoch)
                for i in indices)


def test_registered_for_configs():
    assert DATA_SAMPLERS.get('EpochSeededSampler') is EpochSeededSampler
