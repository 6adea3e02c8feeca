# Copyright (c) mmdetco contributors. All rights reserved.
"""The RoI head of Keypoint R-CNN: the standard one with a keypoint branch.
"""
import copy
from typing import List, Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi, get_box_tensor, scale_boxes
from mmdet.utils import InstanceList, OptConfigType
from torch import Tensor

# the attributes of a SamplingResult indexed by its positives
_POS_FIELDS = ('pos_inds', 'pos_priors', 'pos_is_gt', 'pos_assigned_gt_inds',
               'pos_gt_labels', 'pos_gt_bboxes')


def select_proposals_with_visible_keypoints(
        sampling_result: SamplingResult, keypoints: Tensor) -> SamplingResult:
    """The positive proposals with a visible keypoint of their ground truth.

    detectron2's ``select_proposals_with_visible_keypoints``: the keypoint
    lies inside the proposal.

    A keypoint ``(x, y, v)`` is inside the box ``(x1, y1, x2, y2)`` if
    ``x1 <= x <= x2`` and ``y1 <= y <= y2``, and visible if ``v > 0``.

    Args:
        sampling_result (:obj:`SamplingResult`): Sampling result of an
            image.
        keypoints (Tensor): ``(G, K, 3)`` keypoints of its ground truths.

    Returns:
        :obj:`SamplingResult`: A shallow copy of ``sampling_result`` whose
        positive attributes (``pos_priors``, ``pos_assigned_gt_inds``, ...)
        and ``num_pos`` cover the selected proposals only.
    """
    boxes = get_box_tensor(sampling_result.pos_priors)
    kpts = keypoints[sampling_result.pos_assigned_gt_inds].to(boxes)
    x, y = kpts[..., 0], kpts[..., 1]
    inside = (x >= boxes[:, 0:1]) & (x <= boxes[:, 2:3]) & (
        y >= boxes[:, 1:2]) & (y <= boxes[:, 3:4])
    keep = (inside & (kpts[..., 2] > 0)).any(1).nonzero().squeeze(1)
    selected = copy.copy(sampling_result)
    for key in _POS_FIELDS:
        setattr(selected, key, getattr(sampling_result, key)[keep])
    selected.num_pos = max(keep.numel(), 1)
    return selected


@MODELS.register_module()
class KeypointRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` with the keypoint branch of Keypoint R-CNN.

    The keypoint branch is trained on the positive proposals of the box
    sampler (like the mask branch), by default only on those whose ground
    truth has a visible keypoint inside the proposal (see
    :func:`select_proposals_with_visible_keypoints`), and predicts on the
    final detections, stored as ``pred_instances.keypoints`` ``(N, K, 2)``
    and ``pred_instances.keypoint_scores`` ``(N, K)``.

    Args:
        keypoint_roi_extractor (dict, optional): RoI extractor of the
            keypoint branch (detectron2: RoIAlign, output 14).
        keypoint_head (dict, optional): The keypoint head, e.g.
            :class:`KeypointRCNNHead`.
        visible_keypoint_proposals (bool): Train the keypoint branch only
            on the positive proposals with a visible keypoint of their
            ground truth inside (detectron2's behaviour); if False, on all
            positive proposals. Defaults to True.
        **kwargs: Arguments of :class:`StandardRoIHead`.
    """

    def __init__(self,
                 keypoint_roi_extractor: OptConfigType = None,
                 keypoint_head: OptConfigType = None,
                 visible_keypoint_proposals: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.visible_keypoint_proposals = visible_keypoint_proposals
        if keypoint_head is not None:
            self.keypoint_roi_extractor = MODELS.build(keypoint_roi_extractor)
            self.keypoint_head = MODELS.build(keypoint_head)

    @property
    def with_keypoint(self) -> bool:
        """bool: whether the head has a keypoint branch."""
        return getattr(self, 'keypoint_head', None) is not None

    def _keypoint_forward(self, x: Tuple[Tensor], rois: Tensor) -> Tensor:
        """Heatmap logits of ``rois`` ``(n, 5)``."""
        feats = self.keypoint_roi_extractor(
            x[:self.keypoint_roi_extractor.num_inputs], rois)
        return self.keypoint_head(feats)

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Losses of the box, mask and keypoint branches.

        Args:
            x (tuple[Tensor]): Multi-level image features.
            rpn_results_list (list[:obj:`InstanceData`]): Proposals.
            batch_data_samples (list[:obj:`DetDataSample`]): The batch
                data samples; ``gt_instances`` have ``keypoints``.

        Returns:
            dict[str, Tensor]: The losses.
        """
        batch_gt_instances, batch_gt_instances_ignore, _ = \
            unpack_gt_instances(batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(
                rpn_results, batch_gt_instances[i],
                batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(
                    assign_result,
                    rpn_results,
                    batch_gt_instances[i],
                    feats=[lvl_feat[i][None] for lvl_feat in x]))

        losses = dict()
        bbox_results = self.bbox_loss(x, sampling_results)
        losses.update(bbox_results['loss_bbox'])
        if self.with_mask:
            losses.update(
                self.mask_loss(x, sampling_results,
                               bbox_results['bbox_feats'],
                               batch_gt_instances)['loss_mask'])
        if self.with_keypoint:
            losses.update(
                self.keypoint_loss(x, sampling_results,
                                   batch_gt_instances)['loss_keypoint'])
        return losses

    def keypoint_loss(self, x: Tuple[Tensor],
                      sampling_results: List,
                      batch_gt_instances: InstanceList) -> dict:
        """Keypoint loss on the positive proposals.

        With ``visible_keypoint_proposals``, on those with a visible
        keypoint of their ground truth inside; if none remains, a zero loss
        that still depends on the keypoint head's parameters.

        Args:
            x (tuple[Tensor]): Multi-level image features.
            sampling_results (list[:obj:`SamplingResult`]): Sampling
                results.
            batch_gt_instances (list[:obj:`InstanceData`]): Ground truths.

        Returns:
            dict: ``keypoint_preds``, ``loss_keypoint`` (a dict of losses)
            and ``keypoint_targets``.
        """
        if self.visible_keypoint_proposals:
            sampling_results = [
                select_proposals_with_visible_keypoints(res, gt.keypoints)
                for res, gt in zip(sampling_results, batch_gt_instances)
            ]
        # with no RoI left, the head runs on an empty batch and the loss is
        # keypoint_preds.sum() * 0 (KeypointRCNNHead.loss_and_target)
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        keypoint_preds = self._keypoint_forward(x, pos_rois)
        results = self.keypoint_head.loss_and_target(
            keypoint_preds, sampling_results, batch_gt_instances)
        results.update(keypoint_preds=keypoint_preds)
        return results

    def predict_keypoints(self, x: Tuple[Tensor], batch_img_metas: List[dict],
                          results_list: InstanceList,
                          rescale: bool = False) -> InstanceList:
        """Predict the keypoints of the detections.

        The boxes are in network input coordinates; with ``rescale``, the
        keypoints are in the original image.

        Args:
            x (tuple[Tensor]): Multi-level image features.
            batch_img_metas (list[dict]): Meta information of the images.
            results_list (list[:obj:`InstanceData`]): Detections.
            rescale (bool): Keypoints in the original image.

        Returns:
            list[:obj:`InstanceData`]: detections with ``keypoints`` and
            ``keypoint_scores``.
        """
        rois = bbox2roi([res.bboxes for res in results_list])
        num_keypoints = self.keypoint_head.num_keypoints
        size = self.keypoint_head.heatmap_size
        if rois.shape[0] == 0:
            preds = rois.new_zeros(0, num_keypoints, size, size)
        else:
            preds = self._keypoint_forward(x, rois)
        preds = preds.split([len(res) for res in results_list], 0)
        return self.keypoint_head.predict_by_feat(preds, results_list,
                                                  batch_img_metas, rescale)

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False) -> InstanceList:
        """Detections (boxes, masks, keypoints) of the images.

        Args:
            x (tuple[Tensor]): Multi-level image features.
            rpn_results_list (list[:obj:`InstanceData`]): Proposals.
            batch_data_samples (list[:obj:`DetDataSample`]): The data
                samples (meta information).
            rescale (bool): Results in the original image.

        Returns:
            list[:obj:`InstanceData`]: The detections of each image.
        """
        if not self.with_keypoint:
            return super().predict(x, rpn_results_list, batch_data_samples,
                                   rescale)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        # keypoints (and masks) come from the boxes in input coordinates
        results_list = self.predict_bbox(
            x,
            batch_img_metas,
            rpn_results_list,
            rcnn_test_cfg=self.test_cfg,
            rescale=False)
        results_list = self.predict_keypoints(x, batch_img_metas,
                                              results_list, rescale)
        if self.with_mask:  # rescales the boxes as well
            return self.predict_mask(x, batch_img_metas, results_list,
                                     rescale)
        if rescale:
            for results, meta in zip(results_list, batch_img_metas):
                results.bboxes = scale_boxes(
                    results.bboxes, [1 / s for s in meta['scale_factor']])
        return results_list
