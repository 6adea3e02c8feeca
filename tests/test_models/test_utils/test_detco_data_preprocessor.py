# Copyright (c) mmdetco contributors. All rights reserved.
"""``DetCoDataPreprocessor`` without device augmentation is MMPretrain's
``SelfSupDataPreprocessor``, for lists of views and single-image batches."""
import pytest
import torch
from mmpretrain.models.utils import SelfSupDataPreprocessor

from mmdetco.models.utils import DetCoDataPreprocessor

NORM = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])


def _batch(views):
    torch.manual_seed(0)
    images = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    if views is None:
        return dict(inputs=images, data_samples=None)
    return dict(inputs=[images] * views, data_samples=None)


@pytest.mark.parametrize('views', [None, 4])
@pytest.mark.parametrize('training', [False, True])
def test_same_as_selfsup_data_preprocessor(views, training):
    """A batch of single images (``views=None``, e.g. the kNN monitor's)
    comes back as one tensor, a batch of views as a list, as from
    MMPretrain's preprocessor."""
    ours = DetCoDataPreprocessor(**NORM, bgr_to_rgb=True)
    theirs = SelfSupDataPreprocessor(**NORM, bgr_to_rgb=True)
    expected = theirs(_batch(views), training)['inputs']
    actual = ours(_batch(views), training)['inputs']
    assert type(actual) is type(expected)
    if views is None:
        assert torch.equal(actual, expected)
    else:
        assert len(actual) == views
        for a, b in zip(actual, expected):
            assert torch.equal(a, b)


def test_augmentation_needs_rgb():
    with pytest.raises(ValueError, match='set `bgr_to_rgb=True`'):
        DetCoDataPreprocessor(**NORM, augmentation=dict(grayscale=None))
