# Copyright (c) mmdetco contributors. All rights reserved.
from .coco_instance_crops import CocoInstanceCrops
from .epoch_seeded_sampler import EpochSeededSampler, SeededIndex
from .sample_seeded_dataset import SampleSeededDataset, seeded_generators
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all

__all__ = [
    'CocoInstanceCrops', 'EpochSeededSampler', 'SampleSeededDataset',
    'SeededIndex', 'seeded_generators', *_transforms_all
]
