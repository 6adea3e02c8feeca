# Copyright (c) mmdetco contributors. All rights reserved.
import random
from contextlib import contextmanager
from typing import Iterator, Union

import numpy as np
import torch
from torch.utils.data import Dataset

from ..compat import DATASETS
from .epoch_seeded_sampler import SeededIndex


@contextmanager
def seeded_generators(seed: int, epoch: int, index: int) -> Iterator[None]:
    """Seed the global generators from ``(seed, epoch, index)``.

    Python's ``random``, NumPy's global generator and torch's CPU generator
    are seeded from a hash of the three and set back to their states before
    on exit.

    The CUDA generators are left alone.
    """
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    # 64 bits for each generator, different ones: Python's and NumPy's
    # Mersenne twisters seeded with the same words draw the same numbers
    python, numpy, torch_seed = np.random.SeedSequence(
        [seed, epoch, index]).generate_state(3, np.uint64).tolist()
    random.seed(python)
    np.random.seed([numpy & 0xFFFFFFFF, numpy >> 32])
    torch.default_generator.manual_seed(torch_seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


@DATASETS.register_module()
class SampleSeededDataset(Dataset):
    """A data set whose samples draw their augmentations from own seeds.

    Each sample's seed is the run's seed, the epoch and the sample's index.

    An index from :class:`EpochSeededSampler` (:class:`SeededIndex`) loads
    its sample under :func:`seeded_generators`, so the sample is the same
    whichever process or data-loader worker loads it, and whatever was
    loaded before; the generators of the process are as they were after
    it. A plain index (as tools that browse a data set use) loads the
    sample with the generators as they are.

    The wrapped data set's arguments sit beside ``dataset_type``, so that a
    config's ``train_dataloader.dataset.data_root``, ``pipeline``, ... keep
    their keys; its attributes (``metainfo``, ``pipeline``, ...) are read
    through this one.

    Args:
        dataset_type (str | type): The type of the data set, e.g.
            ``'ImageNet'``.
        **kwargs: Its arguments.
    """

    def __init__(self, dataset_type: Union[str, type], **kwargs) -> None:
        self.dataset = DATASETS.build(dict(type=dataset_type, **kwargs))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        """The sample at ``index``, seeded if it is a :class:`SeededIndex`.
        """
        if not isinstance(index, SeededIndex):
            return self.dataset[index]
        if index >= len(self):
            raise IndexError(
                f'SampleSeededDataset: index {int(index)} is out of its '
                f'{len(self)} samples.')
        with seeded_generators(index.seed, index.epoch, index):
            return self.dataset[int(index)]

    def __getattr__(self, name: str):
        # only for what this class lacks; `dataset` itself is missing only
        # while an instance is unpickled
        if name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)
