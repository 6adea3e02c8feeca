# Copyright (c) mmdetco contributors. All rights reserved.
"""The dense probe on tiny demo data: raw pixels fail it, a random ResNet-18
passes it without saturating it, shuffled labels score chance."""
import json

import numpy as np
import pytest
import torch

from mmdetco.compat import ResNet
from mmdetco_demo.dense_probe import (cell_labels, dense_probe, load_backbone,
                                      pixel_probe, softmax_loss_and_grads,
                                      with_bn_stats)
from mmdetco_demo.scenes import generate_demo_data

mask_utils = pytest.importorskip('pycocotools.mask')

# 6400 train cells: a probe takes seconds (16 px cells of 160 px images)
GRID = 10


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('probe') / 'data')
    return generate_demo_data(
        out_dir, num_pretrain=0, num_train=64, num_val=32)


@pytest.fixture(scope='module')
def backbone():
    torch.manual_seed(0)
    return ResNet(depth=18, out_indices=(0, 1, 2, 3))


@pytest.fixture(scope='module')
def random_result(data, backbone):
    return dense_probe(backbone, data, GRID)


@pytest.fixture(scope='module')
def pixel_result(data):
    return pixel_probe(data, GRID)


@pytest.fixture(scope='module')
def chance_miou(data):
    """The mIoU of predicting background everywhere."""
    labels = cell_labels(data['val_ann_file'], GRID)
    background = (labels == 0).double().mean().item()
    return 100 * background / len(labels.unique())


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=rle['size'], counts=rle['counts'].decode('ascii'))


def test_cell_labels(tmp_path):
    # 40 x 40 px in 4 x 4 cells of 10 x 10 px
    masks = {
        1: np.zeros((40, 40), bool),
        2: np.zeros((40, 40), bool),
        3: np.zeros((40, 40), bool)
    }
    masks[1][10:30, 10:30] = True  # the 4 central cells
    masks[3][0:10, 30:34] = True  # 40% of cell (0, 3): background
    masks[2][30:40, 0:6] = True  # 60% of cell (3, 0)
    # cell (3, 3): 20% of 1, 40% of 3, 40% background: not a majority
    masks[1][30:40, 30:32] = True
    masks[3][30:40, 32:36] = True
    coco = dict(
        images=[
            dict(id=2, file_name='b.jpg', width=40, height=40),
            dict(id=1, file_name='a.jpg', width=40, height=40)
        ],
        annotations=[
            dict(
                id=i,
                image_id=2,
                category_id=cat,
                iscrowd=0,
                segmentation=_rle(mask),
                area=float(mask.sum()),
                bbox=[0, 0, 40, 40])
            for i, (cat, mask) in enumerate(masks.items(), 1)
        ],
        categories=[dict(id=i, name=str(i)) for i in (1, 2, 3)])
    ann_file = tmp_path / 'ann.json'
    ann_file.write_text(json.dumps(coco))

    labels = cell_labels(str(ann_file), 4)
    expected = torch.zeros(2, 4, 4, dtype=torch.int64)  # image 1: empty
    expected[1, 1:3, 1:3] = 1
    expected[1, 3, 0] = 2
    expected[1, 3, 3] = 3
    assert torch.equal(labels, expected)
    with pytest.raises(ValueError, match='equal cells'):
        cell_labels(str(ann_file), 3)


def test_pixels_fail_and_a_random_backbone_does_not_saturate(
        random_result, pixel_result, chance_miou):
    # measured: chance 10.1, pixels 12.2, random ResNet-18 15.0
    assert random_result['miou'] > chance_miou + 3
    assert pixel_result['miou'] < random_result['miou'] - 2
    assert random_result['miou'] < 60


def test_shuffled_labels_score_chance(data, backbone, chance_miou):
    shuffled = dense_probe(backbone, data, GRID, shuffle_labels=True)
    assert abs(shuffled['miou'] - chance_miou) < 1  # measured: 10.1


def test_softmax_loss_and_grads_match_autograd():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(50, 7, generator=generator)
    y = torch.randint(0, 4, (50, ), generator=generator)
    weight = torch.randn(7, 4, generator=generator, requires_grad=True)
    bias = torch.randn(4, generator=generator, requires_grad=True)
    loss, grad_weight, grad_bias = softmax_loss_and_grads(
        x, y, weight, bias, l2=0.1)
    # by hand: mean negative log-likelihood plus the L2 term
    logits = x @ weight.detach() + bias.detach()
    nll = -logits.log_softmax(1)[torch.arange(50), y].mean()
    expected = nll + 0.05 * weight.detach().pow(2).sum()
    torch.testing.assert_close(loss, expected)
    autograd_loss = torch.nn.functional.cross_entropy(
        x @ weight + bias, y) + 0.05 * weight.pow(2).sum()
    autograd_loss.backward()
    torch.testing.assert_close(grad_weight, weight.grad)
    torch.testing.assert_close(grad_bias, bias.grad)
    assert grad_weight.is_contiguous()


def test_with_bn_stats_uses_the_images_and_leaves_the_backbone(backbone):
    imgs = torch.randn(6, 3, 32, 32) * 3 + 1
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    estimated = with_bn_stats(backbone, imgs, batch_size=2)
    with torch.no_grad():
        stem = backbone.conv1(imgs)
    means = torch.stack([s.mean((0, 2, 3)) for s in stem.split(2)]).mean(0)
    torch.testing.assert_close(estimated.bn1.running_mean, means)
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_deterministic(data, pixel_result):
    assert pixel_probe(data, GRID) == pixel_result


def test_checkpoint_gives_the_result_of_the_module(tmp_path, data, backbone,
                                                   random_result):
    path = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': backbone.state_dict()}, path)
    assert dense_probe(path, data, GRID) == random_result


def test_load_backbone_of_a_detco_checkpoint(tmp_path):
    """The query backbone of a DetCo training checkpoint, exactly."""
    from mmpretrain.registry import MODELS

    from ..conftest import tiny_detco_cfg
    torch.manual_seed(1)
    model = MODELS.build(tiny_detco_cfg())
    path = str(tmp_path / 'detco.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    loaded = load_backbone(path).state_dict()
    assert loaded.keys() == model.backbone.state_dict().keys()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(loaded[key], value), key


def test_cli_prints_a_line_per_backbone(tmp_path, data, backbone,
                                        random_result, pixel_result, capsys):
    from ..conftest import load_tool
    cli = load_tool('tools/analysis_tools/dense_probe.py')
    path = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': backbone.state_dict()}, path)
    cli.main([
        path, '--data-root', data['out_dir'], '--grid',
        str(GRID), '--pixels'
    ])
    # (pycocotools prints its progress on stdout too)
    lines = [
        json.loads(line) for line in capsys.readouterr().out.split('\n')
        if line.startswith('{')
    ]
    assert lines == [
        dict(backbone=path, grid=GRID, **random_result),
        dict(backbone='pixels', grid=GRID, **pixel_result)
    ]
