# Copyright (c) mmdetco contributors. All rights reserved.
"""detectron2's keypoint head of Keypoint R-CNN for MMDetection."""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn


def keypoints_to_heatmap(keypoints: Tensor, rois: Tensor,
                         heatmap_size: int) -> Tuple[Tensor, Tensor]:
    """The flat heatmap index of each keypoint in its RoI.

    detectron2's ``keypoints_to_heatmap``.

    A keypoint at ``(x, y)`` (continuous image coordinates) falls into the
    cell ``floor((x - x1) * S / (x2 - x1))`` of the ``S x S`` grid of the
    RoI (a keypoint on the right or bottom border into the last cell); it
    is valid if that cell lies inside the grid and the keypoint is visible.

    Args:
        keypoints (Tensor): ``(N, K, 3)`` keypoints ``(x, y, v)``.
        rois (Tensor): ``(N, 4)`` boxes ``(x1, y1, x2, y2)``.
        heatmap_size (int): ``S``.

    Returns:
        tuple[Tensor, Tensor]: the ``(N, K)`` indices ``y * S + x`` (0 where
        invalid) and the ``(N, K)`` validity (long, 0 or 1).
    """
    if rois.numel() == 0:
        empty = rois.new_zeros(keypoints.shape[:2], dtype=torch.long)
        return empty, empty
    offset_x = rois[:, 0:1]
    offset_y = rois[:, 1:2]
    scale_x = heatmap_size / (rois[:, 2:3] - rois[:, 0:1])
    scale_y = heatmap_size / (rois[:, 3:4] - rois[:, 1:2])

    x = keypoints[..., 0]
    y = keypoints[..., 1]
    x_boundary = x == rois[:, 2:3]
    y_boundary = y == rois[:, 3:4]

    x = ((x - offset_x) * scale_x).floor().long()
    y = ((y - offset_y) * scale_y).floor().long()
    x[x_boundary] = heatmap_size - 1
    y[y_boundary] = heatmap_size - 1

    valid_loc = (x >= 0) & (y >= 0) & (x < heatmap_size) & (
        y < heatmap_size)
    valid = (valid_loc & (keypoints[..., 2] > 0)).long()
    return (y * heatmap_size + x) * valid, valid


def heatmaps_to_keypoints(maps: Tensor, rois: Tensor) -> Tensor:
    """Keypoints from heatmaps (detectron2's ``heatmaps_to_keypoints``).

    Each RoI's heatmaps are resized (bicubic) to the RoI size rounded up;
    the keypoint is the centre of the arg-max pixel, mapped back into the
    RoI; its score is the exponential of the logit there, normalised by the
    sum of the exponentials over the *low resolution* heatmap (so that
    scores of RoIs of different sizes are comparable).

    Args:
        maps (Tensor): ``(N, K, S, S)`` heatmap logits.
        rois (Tensor): ``(N, 4)`` boxes ``(x1, y1, x2, y2)``.

    Returns:
        Tensor: ``(N, K, 3)``: ``x``, ``y`` (continuous image coordinates)
        and the score of each keypoint.
    """
    maps = maps.detach()
    rois = rois.detach()
    num_rois, num_keypoints = maps.shape[:2]
    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    widths_ceil = widths.ceil()
    heights_ceil = heights.ceil()
    width_corrections = widths / widths_ceil
    height_corrections = heights / heights_ceil
    keypoints_idx = torch.arange(num_keypoints, device=maps.device)
    preds = maps.new_zeros(num_rois, num_keypoints, 3)
    for i in range(num_rois):
        size = (int(heights_ceil[i]), int(widths_ceil[i]))
        roi_map = F.interpolate(
            maps[[i]], size=size, mode='bicubic', align_corners=False)[0]
        flat = roi_map.view(num_keypoints, -1)
        max_score, pos = flat.max(1)
        max_score = max_score.view(num_keypoints, 1, 1)
        full = (roi_map - max_score).exp()
        pool = (maps[i] - max_score).exp()
        scores = full / pool.sum((1, 2), keepdim=True)
        w = roi_map.shape[2]
        x_int = pos % w
        y_int = torch.div(pos - x_int, w, rounding_mode='floor')
        preds[i, :, 0] = (x_int.float() + 0.5) * width_corrections[i] + \
            rois[i, 0]
        preds[i, :, 1] = (y_int.float() + 0.5) * height_corrections[i] + \
            rois[i, 1]
        preds[i, :, 2] = scores[keypoints_idx, y_int, x_int]
    return preds


@MODELS.register_module()
class KeypointRCNNHead(BaseModule):
    """detectron2's ``KRCNNConvDeconvUpsampleHead``.

    ``num_convs`` 3x3 convolutions (with ReLU) on the RoI features, a
    transposed convolution (kernel 4, stride 2) to ``num_keypoints``
    channels and a bilinear x2 upsampling: 14x14 RoI features give 56x56
    heatmaps. The loss is a cross entropy over the ``56 * 56`` positions of
    each visible keypoint that falls into its RoI, divided by the number of
    such keypoints in the batch (``keypoint_rcnn_loss`` with
    ``NORMALIZE_LOSS_BY_VISIBLE_KEYPOINTS``).

    Args:
        num_keypoints (int): Number of keypoints ``K``. Defaults to 17.
        in_channels (int): Channels of the RoI features. Defaults to 256.
        conv_out_channels (int): Channels of the convolutions.
            Defaults to 512.
        num_convs (int): Number of convolutions. Defaults to 8.
        roi_feat_size (int): Size of the RoI features. Defaults to 14.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to detectron2's: Kaiming normal (fan out), zero bias.
    """

    def __init__(self,
                 num_keypoints: int = 17,
                 in_channels: int = 256,
                 conv_out_channels: int = 512,
                 num_convs: int = 8,
                 roi_feat_size: int = 14,
                 loss_weight: float = 1.0,
                 init_cfg: OptMultiConfig = dict(
                     type='Kaiming',
                     mode='fan_out',
                     nonlinearity='relu',
                     distribution='normal',
                     bias=0,
                     layer=['Conv2d', 'ConvTranspose2d'])) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_keypoints = num_keypoints
        self.loss_weight = loss_weight
        # the deconvolution and the upsampling each double the size
        self.heatmap_size = roi_feat_size * 4
        layers = []
        for i in range(num_convs):
            layers += [
                nn.Conv2d(
                    in_channels if i == 0 else conv_out_channels,
                    conv_out_channels,
                    3,
                    padding=1),
                nn.ReLU(inplace=True)
            ]
        self.convs = nn.Sequential(*layers)
        self.score_lowres = nn.ConvTranspose2d(
            conv_out_channels if num_convs else in_channels,
            num_keypoints,
            4,
            stride=2,
            padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, 14, 14)`` RoI features -> ``(N, K, 56, 56)`` logits."""
        x = self.score_lowres(self.convs(x))
        return F.interpolate(
            x, scale_factor=2, mode='bilinear', align_corners=False)

    def get_targets(self, sampling_results: List[SamplingResult],
                    batch_gt_instances: InstanceList) -> Tuple[Tensor, Tensor]:
        """Heatmap indices and validity of the positive RoIs' keypoints.

        See :func:`keypoints_to_heatmap`; concatenated over the batch in the
        order of the positive RoIs.

        Args:
            sampling_results (list[:obj:`SamplingResult`]): Sampling
                results of the images.
            batch_gt_instances (list[:obj:`InstanceData`]): Ground truths
                of the images, with ``keypoints`` ``(G, K, 3)``.

        Returns:
            tuple[Tensor, Tensor]: ``(P, K)`` indices and validity.
        """
        targets = [
            keypoints_to_heatmap(
                gt.keypoints[res.pos_assigned_gt_inds].to(res.pos_priors),
                res.pos_priors, self.heatmap_size)
            for res, gt in zip(sampling_results, batch_gt_instances)
        ]
        return (torch.cat([t[0] for t in targets]),
                torch.cat([t[1] for t in targets]))

    def loss_and_target(self, keypoint_preds: Tensor,
                        sampling_results: List[SamplingResult],
                        batch_gt_instances: InstanceList) -> dict:
        """The keypoint loss (detectron2's ``keypoint_rcnn_loss``).

        Args:
            keypoint_preds (Tensor): ``(P, K, S, S)`` logits of the
                positive RoIs.
            sampling_results (list[:obj:`SamplingResult`]): Sampling
                results of the images.
            batch_gt_instances (list[:obj:`InstanceData`]): Ground truths
                with ``keypoints``.

        Returns:
            dict: ``loss_keypoint`` (in a dict under the same key, as the
            mask head of MMDetection returns it) and the targets.
        """
        targets, valid = self.get_targets(sampling_results,
                                          batch_gt_instances)
        valid = valid.flatten().nonzero().squeeze(1)
        logits = keypoint_preds.flatten(2).flatten(0, 1)
        if valid.numel() == 0:
            loss = keypoint_preds.sum() * 0
        else:
            loss = F.cross_entropy(
                logits[valid], targets.flatten()[valid],
                reduction='sum') / valid.numel()
        return dict(
            loss_keypoint=dict(loss_keypoint=loss * self.loss_weight),
            keypoint_targets=(targets, valid))

    def predict_by_feat(self, keypoint_preds: Sequence[Tensor],
                        results_list: InstanceList,
                        batch_img_metas: List[dict],
                        rescale: bool = False) -> InstanceList:
        """Add keypoints and their scores to the detections of each image.

        ``keypoints`` ``(N, K, 2)`` and ``keypoint_scores`` ``(N, K)``.

        Args:
            keypoint_preds (Sequence[Tensor]): ``(N, K, S, S)`` logits of
                the detections of each image.
            results_list (list[:obj:`InstanceData`]): Detections, boxes in
                the coordinates of the network input.
            batch_img_metas (list[dict]): Meta information of the images.
            rescale (bool): Map the keypoints into the original image
                (divide by ``scale_factor``). The boxes are left as given.

        Returns:
            list[:obj:`InstanceData`]: ``results_list``, with keypoints.
        """
        for preds, results, meta in zip(keypoint_preds, results_list,
                                        batch_img_metas):
            keypoints = heatmaps_to_keypoints(preds, results.bboxes)
            if rescale:
                keypoints[..., :2] /= keypoints.new_tensor(
                    meta['scale_factor'])
            results.keypoints = keypoints[..., :2]
            results.keypoint_scores = keypoints[..., 2]
        return results_list
