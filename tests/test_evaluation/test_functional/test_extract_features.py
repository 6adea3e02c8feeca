# Copyright (c) mmdetco contributors. All rights reserved.
import pytest
import torch
from mmpretrain.structures import DataSample

from mmdetco.evaluation import extract_features


class _IdentityBackbone(torch.nn.Module):
    """One feature map: the image itself; records the mode it ran in."""

    def forward(self, x):
        self.ran_in_training = self.training
        return [x]


def model():
    module = torch.nn.Module()
    module.backbone = _IdentityBackbone()
    module.data_preprocessor = lambda data, training: data
    return module


def loader(order, sample_idx=True):
    """Batches of two images of samples ``order`` (data set indices):
    image ``i`` is filled with ``i``, its label is ``i % 3``."""
    batches = []
    for start in range(0, len(order), 2):
        idx = order[start:start + 2]
        batches.append(
            dict(
                inputs=torch.stack(
                    [torch.full((2, 2, 2), float(i)) for i in idx]),
                data_samples=[
                    DataSample(
                        metainfo=dict(
                            sample_idx=i) if sample_idx else {}).set_gt_label(
                                i % 3) for i in idx
                ]))
    return batches


def test_rows_in_data_set_order_each_once():
    """A shuffled shard padded with a repeat, as a sampler gives it."""
    net = model()
    rows = extract_features(net, loader([3, 0, 2, 1, 4, 3]), with_pixels=True)
    assert rows['features'].tolist() == [[i, i] for i in range(5)]
    assert rows['labels'].tolist() == [0, 1, 2, 0, 1]
    assert rows['pixels'].shape == (5, 8)
    assert rows['pixels'][:, 0].tolist() == [0, 1, 2, 3, 4]
    assert 'pixels' not in extract_features(net, loader([0, 1]))


def test_model_runs_in_eval_mode_and_keeps_its_mode():
    net = model().train()
    extract_features(net, loader([0, 1]))
    assert net.backbone.ran_in_training is False
    assert net.training


def test_samples_without_index_are_named():
    net = model().train()
    with pytest.raises(ValueError, match="'sample_idx' in the `meta_keys`"):
        extract_features(net, loader([0, 1], sample_idx=False))
    assert net.training
