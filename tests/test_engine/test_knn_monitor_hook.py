# Copyright (c) mmdetco contributors. All rights reserved.
from types import SimpleNamespace

import pytest
import torch
from mmpretrain.structures import DataSample

from mmdetco.engine import KNNMonitorHook, knn_predict


def clusters(num_classes=8, per_class=25, dim=32, seed=0):
    """Well separated clusters: unit vectors around one centre per class."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.nn.functional.normalize(
        torch.randn(num_classes, dim, generator=g), dim=1)
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    feats = centres[labels] + 0.05 * torch.randn(len(labels), dim, generator=g)
    return torch.nn.functional.normalize(feats, dim=1), labels


def test_separable_features_are_classified_perfectly():
    bank, bank_labels = clusters(seed=0)
    queries, labels = clusters(seed=0, per_class=5)
    pred = knn_predict(bank, bank_labels, queries, num_classes=8)
    assert (pred == labels).all()
    # leave-one-out on the bank itself
    pred = knn_predict(bank, bank_labels, bank, 8, exclude_self=True)
    assert (pred == bank_labels).all()


def test_shuffled_labels_score_about_chance():
    bank, bank_labels = clusters(num_classes=8, per_class=100)
    shuffled = bank_labels[torch.randperm(
        len(bank_labels), generator=torch.Generator().manual_seed(1))]
    pred = knn_predict(bank, shuffled, bank, 8, exclude_self=True)
    accuracy = (pred == shuffled).float().mean().item()
    assert abs(accuracy - 1 / 8) < 0.06


def test_exclude_self_matters():
    # every sample its own class: only itself can name its label
    bank = torch.nn.functional.normalize(torch.randn(10, 4), dim=1)
    labels = torch.arange(10)
    assert (knn_predict(bank, labels, bank, 10, k=1) == labels).all()
    assert not (knn_predict(bank, labels, bank, 10, k=1, exclude_self=True)
                == labels).any()


def test_bad_arguments():
    with pytest.raises(ValueError, match='`k`'):
        KNNMonitorHook(dataloader=dict(), k=0)
    with pytest.raises(ValueError, match='temperature'):
        KNNMonitorHook(dataloader=dict(), temperature=0)


class _ConstantBackbone(torch.nn.Module):
    """Features that say nothing about the image."""

    def forward(self, x):
        return [torch.ones(x.shape[0], 4, 2, 2)]


def test_pixel_baseline_is_logged_once():
    """Class templates plus noise: raw pixels classify them, a backbone
    whose features ignore the image does not. The pixel figure is logged at
    the first evaluation only."""
    g = torch.Generator().manual_seed(0)
    templates = torch.randn(4, 3, 8, 8, generator=g)

    def loader(per_class):
        labels = torch.arange(4).repeat_interleave(per_class)
        images = templates[labels] + 0.5 * torch.randn(
            len(labels), 3, 8, 8, generator=g)
        return [
            dict(
                inputs=images[i:i + 8],
                data_samples=[
                    DataSample().set_gt_label(int(y)) for y in labels[i:i + 8]
                ]) for i in range(0, len(labels), 8)
        ]

    model = torch.nn.Module()
    model.backbone = _ConstantBackbone()
    model.data_preprocessor = lambda data, training: data
    logged = []
    runner = SimpleNamespace(
        model=model,
        iter=0,
        epoch=0,
        timestamp='t',
        logger=SimpleNamespace(info=lambda msg: None),
        visualizer=SimpleNamespace(
            add_scalars=lambda scalars, **kwargs: logged.append(scalars)))
    hook = KNNMonitorHook(dataloader=dict(), pixel_baseline=True)
    hook.dataloader, hook.query_dataloader = loader(16), None
    top1 = hook.evaluate(runner)
    hook.evaluate(runner)
    assert logged[0]['knn/top1_pixels'] == 100.0
    assert top1 == logged[0]['knn/top1'] <= 50.0
    assert 'knn/top1_pixels' not in logged[1]
