# Copyright (c) mmdetco contributors. All rights reserved.
"""A cheap dense probe of a frozen backbone on the demo data: what is where.

Every image of a split is cut into ``grid x grid`` cells, each labelled with
the class that covers most of it (:func:`cell_labels`). A linear classifier
on frozen per-cell features (:func:`linear_probe`) is trained on the train
cells and scored on the val cells: :func:`dense_probe` for a ResNet
backbone (res2 to res5, each average-pooled to the grid, with BN statistics
of the train images), and :func:`pixel_probe` for the raw pixels of the
cells as a baseline. Everything is deterministic: the same inputs give the
same numbers.
"""
import copy
import json
import os.path as osp
from typing import Callable, Dict, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmdetco.compat import ResNet
from mmdetco.utils import cumulative_bn_stats, load_resnet_backbone

#: ImageNet mean and std of RGB images in 0-255, as the demo configs use.
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


def _cell_size(shape: Sequence[int], grid: int) -> Tuple[int, int]:
    """The height and width of a cell of ``(..., H, W)`` images."""
    height, width = shape[-2:]
    if height % grid or width % grid:
        raise ValueError(f'{height}x{width} images do not split into '
                         f'{grid}x{grid} equal cells.')
    return height // grid, width // grid


def cell_labels(ann_file: str, grid: int) -> torch.Tensor:
    """The class of every cell of every image of a COCO split.

    Args:
        ann_file (str): The COCO annotation file (masks as RLE or polygons).
        grid (int): Cells per side.

    Returns:
        torch.Tensor: ``(N, grid, grid)`` int64, images sorted by id: 0 when
        more than half of the cell is background, else ``1 + k`` for the
        ``k``-th category (by id) whose masks cover most of the cell.
    """
    from pycocotools.coco import COCO
    coco = COCO(ann_file)
    cat_ids = sorted(coco.getCatIds())
    maps = []
    for img_id in sorted(coco.getImgIds()):
        info = coco.loadImgs(img_id)[0]
        class_map = np.zeros((info['height'], info['width']), np.int64)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            class_map[coco.annToMask(ann) > 0] = \
                cat_ids.index(ann['category_id']) + 1
        cell_h, cell_w = _cell_size(class_map.shape, grid)
        cells = class_map.reshape(grid, cell_h, grid, cell_w).swapaxes(1, 2)
        # pixels of every class in every cell: (grid, grid, 1 + classes)
        counts = (cells.reshape(grid, grid, -1,
                                1) == np.arange(len(cat_ids) + 1)).sum(2)
        maps.append(
            np.where(2 * counts[..., 0] > cell_h * cell_w, 0,
                     counts[..., 1:].argmax(-1) + 1))
    return torch.from_numpy(np.stack(maps))


def load_images(img_dir: str, ann_file: str) -> torch.Tensor:
    """The images of a COCO split, sorted by id, as a normalised RGB float
    ``(N, 3, H, W)`` tensor (all images must have the same size)."""
    with open(ann_file, encoding='utf-8') as f:
        images = sorted(json.load(f)['images'], key=lambda img: img['id'])
    imgs = [
        np.asarray(
            Image.open(osp.join(img_dir, img['file_name'])).convert('RGB'))
        for img in images
    ]
    imgs = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float()
    return (imgs - MEAN) / STD


def load_backbone(checkpoint: str) -> nn.Module:
    """An MMPretrain ``ResNet`` (res2 to res5 out) with the query backbone
    of ``checkpoint``, of the depth its weights have (the checkpoints of
    :func:`~mmdetco.utils.load_resnet_backbone`)."""
    state_dict, depth = load_resnet_backbone(checkpoint)
    backbone = ResNet(depth=depth, out_indices=(0, 1, 2, 3))
    # the keys were checked; only num_batches_tracked may be missing
    backbone.load_state_dict(state_dict, strict=False)
    return backbone


@torch.no_grad()
def with_bn_stats(backbone: nn.Module,
                  imgs: torch.Tensor,
                  batch_size: int = 32) -> nn.Module:
    """A copy of ``backbone`` whose BN running statistics are the mean and
    variance of its features over ``imgs``, as ``BackboneBNStatsHook`` sets
    them for the frozen detector probe: a backbone is judged by what its
    weights compute, not by where its statistics came from."""
    backbone = copy.deepcopy(backbone)
    layers = [
        m for m in backbone.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]
    with cumulative_bn_stats(layers):
        for batch in imgs.split(batch_size):
            backbone(batch)
    return backbone


@torch.no_grad()
def backbone_features(backbone: nn.Module,
                      imgs: torch.Tensor,
                      grid: int,
                      batch_size: int = 32) -> torch.Tensor:
    """Per-cell features: every output of ``backbone`` (put in eval mode)
    average-pooled to ``grid x grid``, channels concatenated, as
    ``(N, grid, grid, C)``."""
    backbone.eval()
    feats = []
    for batch in imgs.split(batch_size):
        outs = [F.adaptive_avg_pool2d(out, grid) for out in backbone(batch)]
        feats.append(torch.cat(outs, 1).permute(0, 2, 3, 1))
    return torch.cat(feats)


def pixel_features(imgs: torch.Tensor, grid: int) -> torch.Tensor:
    """Per-cell features: the cell's pixels, flattened, as
    ``(N, grid, grid, 3 * cell * cell)``."""
    cell_h, cell_w = _cell_size(imgs.shape, grid)
    cells = imgs.reshape(len(imgs), 3, grid, cell_h, grid, cell_w)
    return cells.permute(0, 2, 4, 1, 3, 5).reshape(len(imgs), grid, grid, -1)


@torch.no_grad()
def softmax_loss_and_grads(
        x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor,
        bias: torch.Tensor,
        l2: float) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The loss of :func:`linear_probe` (mean cross-entropy of
    ``x @ weight + bias`` against ``y`` plus ``l2 / 2`` times the squared
    weights) and its gradients for ``weight`` and ``bias``, by hand:
    autograd computes ``x.T @ grad`` for the weights, over ten times slower
    on CPU than ``(grad.T @ x).T`` for features of the demo's size."""
    logits = x @ weight + bias
    loss = F.cross_entropy(logits, y) + l2 / 2 * weight.pow(2).sum()
    grad_logits = logits.softmax(1)
    grad_logits[torch.arange(len(y)), y] -= 1
    grad_logits /= len(y)
    grad_weight = (grad_logits.T @ x).T.contiguous() + l2 * weight
    return loss, grad_weight, grad_logits.sum(0)


def linear_probe(train_x: torch.Tensor,
                 train_y: torch.Tensor,
                 val_x: torch.Tensor,
                 val_y: torch.Tensor,
                 num_classes: int,
                 l2: float = 1e-3,
                 max_iter: int = 100) -> Dict[str, float]:
    """Train a linear softmax classifier on the train cells, score it on
    the val cells.

    Features are standardised with the train mean and std of every channel.
    The classifier starts from zero weights and bias and is trained
    full-batch with L-BFGS (``max_iter`` iterations at most, strong Wolfe
    line search) on the mean cross-entropy plus ``l2 / 2`` times the
    squared weights: no randomness, so the result is deterministic. On the
    demo data 100 iterations bring the loss within 0.2% of its minimum.

    Args:
        train_x (torch.Tensor): ``(..., C)`` features of the train cells.
        train_y (torch.Tensor): ``(...)`` their labels in
            ``[0, num_classes)``.
        val_x (torch.Tensor): ``(..., C)`` features of the val cells.
        val_y (torch.Tensor): ``(...)`` their labels.
        num_classes (int): The number of classes, background included.
        l2 (float): The L2 penalty of the weights. Defaults to 1e-3.
        max_iter (int): L-BFGS iterations. Defaults to 100.

    Returns:
        dict: ``miou``, the mean IoU (in %) on the val cells over the
        classes present in the ground truth or the prediction, and
        ``cell_acc``, the accuracy (in %) on the val cells.
    """
    train_x = train_x.reshape(-1, train_x.shape[-1]).float()
    val_x = val_x.reshape(-1, val_x.shape[-1]).float()
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-6)
    train_x, val_x = (train_x - mean) / std, (val_x - mean) / std
    train_y, val_y = train_y.reshape(-1), val_y.reshape(-1)
    weight = torch.zeros(train_x.shape[1], num_classes)
    bias = torch.zeros(num_classes)
    optimizer = torch.optim.LBFGS([weight, bias],
                                  max_iter=max_iter,
                                  line_search_fn='strong_wolfe')

    def closure() -> torch.Tensor:
        loss, weight.grad, bias.grad = softmax_loss_and_grads(
            train_x, train_y, weight, bias, l2)
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        pred = (val_x @ weight + bias).argmax(1)
    confusion = torch.bincount(
        val_y * num_classes + pred,
        minlength=num_classes**2).view(num_classes, num_classes).double()
    hits = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - hits
    iou = hits[union > 0] / union[union > 0]
    return dict(
        miou=100 * iou.mean().item(),
        cell_acc=100 * (hits.sum() / confusion.sum()).item())


def _probe(features: Callable[[torch.Tensor, torch.Tensor],
                              Tuple[torch.Tensor, torch.Tensor]], data: dict,
           grid: int, shuffle_labels: bool) -> Dict[str, float]:
    """:func:`linear_probe` on the demo splits with the features that
    ``features(train_imgs, val_imgs)`` returns for both."""
    train_y = cell_labels(data['train_ann_file'], grid)
    if shuffle_labels:
        order = torch.randperm(
            train_y.numel(), generator=torch.Generator().manual_seed(0))
        train_y = train_y.reshape(-1)[order]
    train_x, val_x = features(
        load_images(data['train_img_dir'], data['train_ann_file']),
        load_images(data['val_img_dir'], data['val_ann_file']))
    return linear_probe(train_x, train_y, val_x,
                        cell_labels(data['val_ann_file'], grid),
                        len(data['classes']) + 1)


def dense_probe(backbone: Union[nn.Module, str],
                data: dict,
                grid: int = 20,
                shuffle_labels: bool = False) -> Dict[str, float]:
    """The dense probe of a frozen backbone on the demo data.

    A copy of the backbone gets BN statistics of the train images
    (:func:`with_bn_stats`); its features of the train and val cells then go
    to :func:`linear_probe`.

    Args:
        backbone (nn.Module | str): A backbone whose outputs are feature
            maps (e.g. MMPretrain's ``ResNet`` with ``out_indices=(0, 1, 2,
            3)``), or a checkpoint for :func:`load_backbone`.
        data (dict): The dict returned by
            :func:`~mmdetco_demo.generate_demo_data`.
        grid (int): Cells per image side. Defaults to 20.
        shuffle_labels (bool): Train on the train labels shuffled over all
            cells (a fixed permutation): a control that should score about
            as predicting the majority class. Defaults to False.

    Returns:
        dict: ``miou`` and ``cell_acc`` (in %) of :func:`linear_probe`.
    """
    if isinstance(backbone, str):
        backbone = load_backbone(backbone)

    def features(train_imgs, val_imgs):
        net = with_bn_stats(backbone, train_imgs)
        return (backbone_features(net, train_imgs, grid),
                backbone_features(net, val_imgs, grid))

    return _probe(features, data, grid, shuffle_labels)


def pixel_probe(data: dict,
                grid: int = 20,
                shuffle_labels: bool = False) -> Dict[str, float]:
    """The dense probe of the raw pixels: the baseline of
    :func:`dense_probe`, with the same arguments and result."""
    return _probe(
        lambda train_imgs, val_imgs:
        (pixel_features(train_imgs, grid), pixel_features(val_imgs, grid)),
        data, grid, shuffle_labels)
