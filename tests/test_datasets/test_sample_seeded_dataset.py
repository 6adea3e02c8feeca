# Copyright (c) mmdetco contributors. All rights reserved.
import logging
import pickle
import random
from types import SimpleNamespace

import mmengine.dataset.sampler as sampler_module
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS
from torch.utils.data import DataLoader, Dataset

from mmdetco.datasets import (EpochSeededSampler, SampleSeededDataset,
                              SeededIndex)
from mmdetco.engine.loops import ResumableEpochBasedTrainLoop
from ..conftest import ROOT
from .conftest import jpeg


class Draws(Dataset):
    """8 samples, each a draw of Python's, NumPy's and torch's global
    generators."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == 7:
            raise RuntimeError('unreadable sample')
        draws = random.random(), np.random.random(), torch.rand(()).item()
        return (index, *draws)


@pytest.fixture
def draws():
    return SampleSeededDataset(Draws)


def states():
    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def assert_same_states(a, b):
    assert a[0] == b[0]
    np.testing.assert_equal(a[1], b[1])
    assert torch.equal(a[2], b[2])


def test_a_sample_depends_on_seed_epoch_and_index_only(draws):
    first = draws[SeededIndex(3, seed=0, epoch=1)]
    random.seed(1)  # as another process or worker would stand
    np.random.seed(2)
    torch.manual_seed(3)
    draws[SeededIndex(4, seed=0, epoch=1)]
    assert draws[SeededIndex(3, seed=0, epoch=1)] == first
    # another seed, epoch or index
    for index, seed, epoch in ((3, 1, 1), (3, 0, 2), (2, 0, 1)):
        other = draws[SeededIndex(index, seed, epoch)]
        assert all(a != b for a, b in zip(first[1:], other[1:]))
    # each generator its own numbers
    assert len(set(first[1:])) == 3


def test_the_process_generators_are_as_they_were(draws):
    before = states()
    draws[SeededIndex(3, seed=0, epoch=1)]
    assert_same_states(states(), before)
    with pytest.raises(RuntimeError, match='unreadable'):
        draws[SeededIndex(7, seed=0, epoch=1)]
    assert_same_states(states(), before)


def test_a_plain_index_draws_from_the_process_generators(draws):
    assert draws[2][1:] != draws[2][1:]
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    expected = Draws()[2]
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    assert draws[2] == expected


def test_an_index_past_the_end_is_refused(draws):
    with pytest.raises(IndexError, match='index 8 is out of its 8 samples'):
        draws[SeededIndex(8, seed=0, epoch=0)]


@pytest.fixture(scope='module')
def demo_views(tmp_path_factory):
    """6 images under the demo config's DetCo views, wrapped."""
    root = tmp_path_factory.mktemp('images')
    for i in range(6):
        jpeg(root / f'img{i}.jpg', seed=i)
    pipeline = Config.fromfile(
        f'{ROOT}/configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
    ).train_pipeline
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield SampleSeededDataset(
            'CustomDataset',
            data_root=str(root),
            with_label=False,
            pipeline=pipeline)


def test_it_reads_as_the_wrapped_data_set(demo_views):
    assert len(demo_views) == 6
    assert type(demo_views.dataset).__name__ == 'CustomDataset'
    assert demo_views.metainfo == demo_views.dataset.metainfo
    assert demo_views.pipeline is demo_views.dataset.pipeline
    copy = pickle.loads(pickle.dumps(demo_views))  # as to spawned workers
    assert len(copy) == 6
    assert DATASETS.get('SampleSeededDataset') is SampleSeededDataset


def test_a_resumed_epoch_loads_the_views_of_the_uninterrupted_one(
        demo_views, monkeypatch):
    """The batches of ``ResumableEpochBasedTrainLoop`` resumed after 1 of
    3 are those of the whole epoch, views included, however the
    generators of the process stand."""
    monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (0, 1))
    sampler = EpochSeededSampler(demo_views, shuffle=True, seed=5)
    sampler.set_epoch(2)
    loader = DataLoader(
        demo_views,
        batch_size=2,
        sampler=sampler,
        collate_fn=lambda batch: [s['inputs'] for s in batch])
    epoch = list(loader)
    torch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    loop = SimpleNamespace(
        dataloader=loader,
        runner=SimpleNamespace(logger=logging.getLogger(__name__)),
        _epoch=2)
    resumed = list(ResumableEpochBasedTrainLoop._batches(loop, 1))
    assert len(resumed) == 2
    for a, b in zip(epoch[1:], resumed):
        for sample_a, sample_b in zip(a, b):
            for view_a, view_b in zip(sample_a, sample_b):
                assert torch.equal(view_a, view_b)
    sampler.set_epoch(3)  # another epoch, other views
    assert not torch.equal(list(loader)[0][0][0], epoch[0][0][0])


def test_the_runner_builds_it_with_the_run_seed():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(
            dict(
                batch_size=2,
                sampler=dict(type='EpochSeededSampler', shuffle=True),
                dataset=dict(type='SampleSeededDataset', dataset_type=Draws),
                collate_fn=dict(type='default_collate')),
            seed=11)
    assert isinstance(loader.dataset, SampleSeededDataset)
    assert all(i.seed == 11 for i in loader.sampler)
