# Copyright (c) mmdetco contributors. All rights reserved.
"""RoIAlign whose backward pass is two matrix products: the CPU speed-up
of the demo's frozen-backbone probe (docs/en/demo.md)."""
from typing import Tuple

import torch
from mmcv.ops import RoIAlign
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from torch.autograd import Function
from torchvision.ops import roi_align


def axis_weights(start: torch.Tensor, length: torch.Tensor, bins: int,
                 sampling_ratio: int, size: int) -> torch.Tensor:
    """The bilinear weights of RoIAlign along one axis.

    Bin ``p`` of a RoI averages the feature map at ``grid`` sample points
    ``start + (p + (i + 0.5) / grid) * length / bins``, ``grid`` being
    ``sampling_ratio`` or, when it is 0, ``ceil(length / bins)`` for that
    RoI; a sample beyond one pixel outside the map counts as 0, one on the
    border half-pixel is clamped to it (torchvision's and mmcv's kernels).

    Args:
        start (torch.Tensor): ``(n,)`` RoI starts, in feature map pixels.
        length (torch.Tensor): ``(n,)`` RoI lengths.
        bins (int): Bins along the axis.
        sampling_ratio (int): Samples per bin, 0 for adaptive.
        size (int): The feature map's size along the axis.

    Returns:
        torch.Tensor: ``(n, bins, size)``; the weights of a RoI's bins along
        the other axis times these are its RoIAlign weights.
    """
    n = len(start)
    bin_size = length / bins
    grid = torch.full_like(length, sampling_ratio) if sampling_ratio > 0 \
        else torch.ceil(bin_size)
    max_grid = max(int(grid.max().item()) if n else 1, 1)
    i = torch.arange(max_grid, dtype=start.dtype, device=start.device)
    p = torch.arange(bins, dtype=start.dtype, device=start.device)
    # (n, bins, max_grid) sample coordinates
    pos = start[:, None, None] + bin_size[:, None, None] * (
        p[None, :, None] + (i[None, None, :] + 0.5) / grid[:, None, None])
    valid = (i[None, None, :] < grid[:, None, None]) & (pos >= -1) & (
        pos <= size)
    pos = pos.clamp(min=0)
    low = pos.floor().clamp(max=size - 1)
    frac = torch.where(low >= size - 1, torch.zeros_like(pos), pos - low)
    high = (low + 1).clamp(max=size - 1)
    scale = valid.to(pos.dtype) / grid.clamp(min=1)[:, None, None]
    weights = pos.new_zeros(n, bins, size)
    weights.scatter_add_(2, low.long(), (1 - frac) * scale)
    weights.scatter_add_(2, high.long(), frac * scale)
    return weights


def roi_align_input_grad(grad: torch.Tensor, rois: torch.Tensor,
                         input_shape: Tuple[int, int, int,
                                            int], spatial_scale: float,
                         sampling_ratio: int, aligned: bool) -> torch.Tensor:
    """The gradient of RoIAlign (average pooling) for its input.

    RoIAlign's bilinear weights are separable: ``out[r] = Wy[r] @ x[b_r] @
    Wx[r].T`` per channel, with ``Wy`` and ``Wx`` from :func:`axis_weights`,
    so ``grad_x[b] = sum over the RoIs of b of Wy[r].T @ grad[r] @ Wx[r]``:
    a batched product and one matrix product per image, where the kernels'
    backward passes visit every sample of every channel one at a time.

    Args:
        grad (torch.Tensor): ``(n, C, ph, pw)`` gradient of the output.
        rois (torch.Tensor): ``(n, 5)`` RoIs: image index, x1, y1, x2, y2.
        input_shape (tuple): ``(N, C, H, W)`` of the input.
        spatial_scale (float): Feature map pixels per image pixel.
        sampling_ratio (int): Samples per bin side, 0 for adaptive.
        aligned (bool): Shift the RoIs by half a pixel (``aligned=True``).

    Returns:
        torch.Tensor: ``(N, C, H, W)``.
    """
    num_imgs, channels, height, width = input_shape
    n, _, ph, pw = grad.shape
    boxes = rois[:, 1:].to(grad.dtype) * spatial_scale - (0.5
                                                          if aligned else 0.)
    sizes = boxes[:, 2:] - boxes[:, :2]
    if not aligned:
        sizes = sizes.clamp(min=1)
    wy = axis_weights(boxes[:, 1], sizes[:, 1], ph, sampling_ratio, height)
    wx = axis_weights(boxes[:, 0], sizes[:, 0], pw, sampling_ratio, width)
    # (n, ph * C, pw) @ (n, pw, W): the (n * ph, C * W) rows of every bin
    rows = torch.bmm(grad.transpose(1, 2).reshape(n, ph * channels, pw),
                     wx).reshape(n * ph, channels * width)
    # the rows of every image, summed: a sparse (N * H, n * ph) matrix of
    # the few non-zero weights of wy, times rows
    roi, bin_, y = wy.nonzero(as_tuple=True)
    index = rois[:, 0].long()
    wy_t = torch.sparse_coo_tensor(
        torch.stack([index[roi] * height + y, roi * ph + bin_]),
        wy[roi, bin_, y], (num_imgs * height, n * ph),
        check_invariants=False)
    grad_input = torch.sparse.mm(wy_t, rows)
    return grad_input.reshape(num_imgs, height, channels,
                              width).transpose(1, 2).contiguous()


class SeparableRoIAlignFunction(Function):
    """torchvision's ``roi_align`` forward, :func:`roi_align_input_grad`
    backward."""

    @staticmethod
    def forward(ctx, input: torch.Tensor, rois: torch.Tensor,
                output_size: Tuple[int, int], spatial_scale: float,
                sampling_ratio: int, aligned: bool) -> torch.Tensor:
        ctx.save_for_backward(rois)
        ctx.args = (tuple(input.shape), spatial_scale, sampling_ratio, aligned)
        return roi_align(input, rois, output_size, spatial_scale,
                         sampling_ratio, aligned)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        rois, = ctx.saved_tensors
        grad_input = roi_align_input_grad(grad.contiguous(), rois, *ctx.args)
        return grad_input, None, None, None, None, None


class SeparableRoIAlign(RoIAlign):
    """:class:`mmcv.ops.RoIAlign` (average pooling) with the backward pass
    of :func:`roi_align_input_grad`: the same values and gradients as
    mmcv's and torchvision's kernels, several times faster on a CPU core
    for a detector's RoIs."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.pool_mode != 'avg':
            raise ValueError('SeparableRoIAlign: pool_mode must be "avg", '
                             f'not "{self.pool_mode}".')

    def forward(self, input: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        return SeparableRoIAlignFunction.apply(input, rois, self.output_size,
                                               self.spatial_scale,
                                               self.sampling_ratio,
                                               self.aligned)


@MODELS.register_module()
class SeparableRoIExtractor(SingleRoIExtractor):
    """:class:`mmdet.models.roi_heads.SingleRoIExtractor` whose
    ``roi_layer`` may be ``dict(type='SeparableRoIAlign', ...)``
    (:class:`SeparableRoIAlign`)."""

    def build_roi_layers(self, layer_cfg, featmap_strides):
        cfg = dict(layer_cfg)
        if cfg['type'] == 'SeparableRoIAlign':
            cfg['type'] = SeparableRoIAlign
        return super().build_roi_layers(cfg, featmap_strides)
