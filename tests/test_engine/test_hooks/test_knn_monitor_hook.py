# Copyright (c) mmdetco contributors. All rights reserved.
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmdetco.engine import KNNMonitorHook
from mmdetco.evaluation import all_gather_by_index, knn_predict


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


def constant_backbone_model():
    """A model whose data loaders' batches come preprocessed."""
    model = torch.nn.Module()
    model.backbone = _ConstantBackbone()
    model.data_preprocessor = lambda data, training: data
    return model


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
                    DataSample(metainfo=dict(
                        sample_idx=j)).set_gt_label(int(labels[j]))
                    for j in range(i, i + 8)
                ]) for i in range(0, len(labels), 8)
        ]

    logged = []
    runner = SimpleNamespace(
        model=constant_backbone_model(),
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


def test_samples_without_index_are_named():
    hook = KNNMonitorHook(dataloader=dict())
    hook.dataloader = [
        dict(
            inputs=torch.zeros(2, 3, 8, 8),
            data_samples=[DataSample().set_gt_label(0)] * 2)
    ]
    with pytest.raises(ValueError, match="'sample_idx' in the `meta_keys`"):
        hook.evaluate(SimpleNamespace(model=constant_backbone_model()))


def test_rows_are_put_in_data_set_order_each_once():
    """As a padded, shuffled shard comes: out of order, one sample twice."""
    indices = torch.tensor([3, 1, 3, 0, 2])
    feats = torch.tensor([[30.], [10.], [31.], [0.], [20.]])
    labels = indices * 2
    indices, (feats, labels) = all_gather_by_index(indices, feats, labels)
    assert indices.tolist() == [0, 1, 2, 3]
    assert feats.flatten().tolist() == [0., 10., 20., 30.]
    assert labels.tolist() == [0, 2, 4, 6]


def write_image_folder(root, per_class, size=16, seed=0):
    """A labelled image folder (one sub-folder per class, as MMPretrain's
    ``CustomDataset`` reads it): a colour per class plus noise drawn with
    ``seed``."""
    colours = np.random.default_rng(0).integers(0, 256, (len(per_class), 3))
    rng = np.random.default_rng(seed)
    for label, count in enumerate(per_class):
        for i in range(count):
            noise = rng.normal(0, 60, (size, size, 3))
            image = np.clip(colours[label] + noise, 0, 255).astype(np.uint8)
            mmcv.imwrite(image, f'{root}/class{label}/{i}.png')
    return str(root)


def image_folder_loader(root, shuffle=False):
    """A dataloader config of the image folder at ``root``."""
    return dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        collate_fn=dict(type='default_collate'),
        dataset=dict(
            type='CustomDataset',
            data_root=root,
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackInputs')]))


def missing_split_runner():
    """A runner that builds data loaders and records warnings; it has no
    model, so an evaluation fails."""
    warnings = []
    return SimpleNamespace(
        seed=0,
        iter=0,
        build_dataloader=Runner.build_dataloader,
        logger=SimpleNamespace(warning=warnings.append)), warnings


def test_missing_split_turns_the_monitor_off(tmp_path):
    """ImageNet with ``train/`` only: the val split the monitor reads is
    missing."""
    (tmp_path / 'train').mkdir()
    imagenet_val = dict(
        image_folder_loader(''),
        dataset=dict(
            type='ImageNet', data_root=str(tmp_path), split='val',
            pipeline=[]))
    runner, warnings = missing_split_runner()
    hook = KNNMonitorHook(dataloader=imagenet_val)
    hook.before_train(runner)
    assert len(warnings) == 1
    assert f'{tmp_path}/val (read by its `dataloader`) does not exist' \
        in warnings[0]
    assert 'custom_hooks' in warnings[0]
    assert hook.dataloader is None
    hook.after_train_epoch(runner)  # does not evaluate
    with pytest.raises(FileNotFoundError):
        KNNMonitorHook(
            dataloader=imagenet_val,
            skip_if_missing=False).before_train(runner)


def test_missing_query_split_turns_the_monitor_off(tmp_path):
    bank = write_image_folder(tmp_path / 'bank', per_class=[1, 1])
    runner, warnings = missing_split_runner()
    hook = KNNMonitorHook(
        dataloader=image_folder_loader(bank),
        query_dataloader=image_folder_loader(str(tmp_path / 'query')))
    hook.before_train(runner)
    assert f'{tmp_path}/query (read by its `query_dataloader`) does not ' \
        'exist' in warnings[0]
    assert hook.dataloader is hook.query_dataloader is None
