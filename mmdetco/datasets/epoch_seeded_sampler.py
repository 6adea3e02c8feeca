# Copyright (c) mmdetco contributors. All rights reserved.
from numbers import Integral
from typing import Iterator

from mmengine.dataset import DefaultSampler

from ..compat import DATA_SAMPLERS


def _check(name: str, value) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) \
            or value < 0:
        raise ValueError(f'SeededIndex: `{name}` must be a non-negative '
                         f'integer, got {value!r}.')
    return int(value)


class SeededIndex(int):
    """A data set index that carries the run's seed and the epoch.

    It is the index (an ``int`` of the same value, which any data set
    takes), with ``seed`` and ``epoch`` attributes that
    :class:`SampleSeededDataset` seeds the sample's random draws from. It
    keeps them when it is pickled to a data-loader worker.

    Args:
        index (int): The index in the data set.
        seed (int): The run's seed (the sampler's).
        epoch (int): The epoch, counted from 0.
    """

    def __new__(cls, index: int, seed: int, epoch: int) -> 'SeededIndex':
        self = super().__new__(cls, _check('index', index))
        self.seed = _check('seed', seed)
        self.epoch = _check('epoch', epoch)
        return self

    def __reduce__(self):
        return SeededIndex, (int(self), self.seed, self.epoch)

    def __repr__(self) -> str:
        return (f'SeededIndex({int(self)}, seed={self.seed}, '
                f'epoch={self.epoch})')


@DATA_SAMPLERS.register_module()
class EpochSeededSampler(DefaultSampler):
    """:class:`DefaultSampler` whose indices carry the seed and the epoch.

    Each index is a :class:`SeededIndex`.

    The same indices, in the same order, for each process and epoch; with
    :class:`SampleSeededDataset` each sample's augmentations are drawn from
    the seed, the epoch and the index alone. With any other data set it
    samples as :class:`DefaultSampler`.

    Args:
        dataset (Sized): The data set.
        shuffle (bool): Whether to shuffle the data set. Defaults to True.
        seed (int, optional): The seed of the shuffle and of the samples'
            draws, the same in every process; the runner passes the run's.
            Defaults to None (one drawn and shared by the processes).
        round_up (bool): Whether to repeat samples so that every process
            has as many. Defaults to True.
    """

    def __iter__(self) -> Iterator[SeededIndex]:
        """Iterate the indices of this process in this epoch."""
        return (SeededIndex(index, self.seed, self.epoch)
                for index in super().__iter__())
