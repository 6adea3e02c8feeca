# Copyright (c) mmdetco contributors. All rights reserved.
"""A RetinaNet head with detectron2's running loss normaliser."""
from typing import List

from mmdet.models.dense_heads import RetinaHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptInstanceList
from torch import Tensor


@MODELS.register_module()
class EMANormRetinaHead(RetinaHead):
    """:class:`RetinaHead` with detectron2's loss normaliser.

    The summed classification and box losses are divided by an exponential
    moving average of the number of positive anchors instead of the count
    of the batch. At each loss computation (once per training step) the
    normaliser becomes ``m * normaliser + (1 - m) * max(num_pos, 1)``,
    ``num_pos`` being the number of positive anchors of the images on this
    process (it is not all-reduced, as in detectron2). The normaliser is a
    plain attribute, ``loss_normalizer``: it is not saved in checkpoints
    (nor is it in detectron2).

    Args:
        *args: Arguments of :class:`RetinaHead`.
        loss_normalizer_momentum (float): The momentum ``m``, in
            ``[0, 1)``. Defaults to 0.9 (detectron2's).
        loss_normalizer_init (float): The initial normaliser, positive.
            Defaults to 100 (detectron2's).
        **kwargs: Keyword arguments of :class:`RetinaHead`.
    """

    def __init__(self,
                 *args,
                 loss_normalizer_momentum: float = 0.9,
                 loss_normalizer_init: float = 100.,
                 **kwargs) -> None:
        if not 0 <= loss_normalizer_momentum < 1:
            raise ValueError('loss_normalizer_momentum must be in [0, 1), '
                             f'got {loss_normalizer_momentum}')
        if not loss_normalizer_init > 0:
            raise ValueError('loss_normalizer_init must be positive, got '
                             f'{loss_normalizer_init}')
        super().__init__(*args, **kwargs)
        self.loss_normalizer_momentum = loss_normalizer_momentum
        self.loss_normalizer = float(loss_normalizer_init)

    def get_targets(self,
                    anchor_list: List[List[Tensor]],
                    valid_flag_list: List[List[Tensor]],
                    batch_gt_instances: InstanceList,
                    batch_img_metas: List[dict],
                    batch_gt_instances_ignore: OptInstanceList = None,
                    unmap_outputs: bool = True,
                    return_sampling_results: bool = False) -> tuple:
        """The targets of :meth:`RetinaHead.get_targets`.

        With the updated running normaliser as ``avg_factor``.

        Called once per loss computation (by :meth:`loss_by_feat`), it
        updates ``loss_normalizer`` with the number of positive anchors of
        the batch.

        Args:
            anchor_list (list[list[Tensor]]): Multi-level anchors of each
                image.
            valid_flag_list (list[list[Tensor]]): Multi-level valid flags
                of each image.
            batch_gt_instances (list[:obj:`InstanceData`]): Ground truths.
            batch_img_metas (list[dict]): Meta information of the images.
            batch_gt_instances_ignore (list[:obj:`InstanceData`],
                optional): Ignored ground truths.
            unmap_outputs (bool): Map the targets back to all anchors.
            return_sampling_results (bool): Also return the sampling
                results.

        Returns:
            tuple: As :meth:`RetinaHead.get_targets`; ``avg_factor`` (the
            fifth element) is the updated ``loss_normalizer``.
        """
        results = super().get_targets(
            anchor_list,
            valid_flag_list,
            batch_gt_instances,
            batch_img_metas,
            batch_gt_instances_ignore=batch_gt_instances_ignore,
            unmap_outputs=unmap_outputs,
            return_sampling_results=True)
        # SamplingResult.num_pos (and avg_factor) is at least 1 per image:
        # count the positive anchors themselves
        num_pos = sum(res.pos_inds.numel() for res in results[5])
        m = self.loss_normalizer_momentum
        self.loss_normalizer = m * self.loss_normalizer + \
            (1 - m) * max(num_pos, 1)
        rest = results[5:] if return_sampling_results else results[6:]
        return results[:4] + (self.loss_normalizer, ) + rest
