# Copyright (c) mmdetco contributors. All rights reserved.
"""The RoI head of Keypoint R-CNN: MMDetection's standard RoI head with a
keypoint branch."""
from typing import List, Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi, scale_boxes
from mmdet.utils import InstanceList, OptConfigType
from torch import Tensor


@MODELS.register_module()
class KeypointRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` with the keypoint branch of Keypoint R-CNN.

    The keypoint branch is trained on the positive proposals of the box
    sampler (like the mask branch) and predicts on the final detections,
    stored as ``pred_instances.keypoints`` ``(N, K, 2)`` and
    ``pred_instances.keypoint_scores`` ``(N, K)``.

    Args:
        keypoint_roi_extractor (dict, optional): RoI extractor of the
            keypoint branch (detectron2: RoIAlign, output 14).
        keypoint_head (dict, optional): The keypoint head, e.g.
            :class:`KeypointRCNNHead`.
        **kwargs: Arguments of :class:`StandardRoIHead`.
    """

    def __init__(self,
                 keypoint_roi_extractor: OptConfigType = None,
                 keypoint_head: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
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

        Args:
            x (tuple[Tensor]): Multi-level image features.
            sampling_results (list[:obj:`SamplingResult`]): Sampling
                results.
            batch_gt_instances (list[:obj:`InstanceData`]): Ground truths.

        Returns:
            dict: ``keypoint_preds``, ``loss_keypoint`` (a dict of losses)
            and ``keypoint_targets``.
        """
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        keypoint_preds = self._keypoint_forward(x, pos_rois)
        results = self.keypoint_head.loss_and_target(
            keypoint_preds, sampling_results, batch_gt_instances)
        results.update(keypoint_preds=keypoint_preds)
        return results

    def predict_keypoints(self, x: Tuple[Tensor], batch_img_metas: List[dict],
                          results_list: InstanceList,
                          rescale: bool = False) -> InstanceList:
        """Keypoints of the detections (boxes in network input
        coordinates); with ``rescale``, keypoints in the original image.

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
