# Copyright (c) mmdetco contributors. All rights reserved.
"""COCO person keypoints as an MMDetection dataset."""
from typing import List, Union

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

NUM_COCO_KEYPOINTS = 17


@DATASETS.register_module()
class CocoKeypointDataset(CocoDataset):
    """:class:`CocoDataset` whose instances also keep their keypoints.

    The COCO ``keypoints`` (``[x, y, v] * K``) of their annotation.

    Instances are exactly those of :class:`CocoDataset` (same filtering,
    same order); an annotation without keypoints gets ``K`` unlabelled
    ones (all zero). For training, images with fewer than
    ``min_keypoints_per_image`` labelled keypoints are dropped as well
    (detectron2's ``filter_images_with_few_keypoints`` with
    ``MIN_KEYPOINTS_PER_IMAGE``).

    Args:
        num_keypoints (int): ``K``. Defaults to 17 (COCO persons).
        min_keypoints_per_image (int): Defaults to 1 (detectron2's).
        **kwargs: Arguments of :class:`CocoDataset`.
    """

    def __init__(self,
                 *args,
                 num_keypoints: int = NUM_COCO_KEYPOINTS,
                 min_keypoints_per_image: int = 1,
                 **kwargs) -> None:
        self.num_keypoints = num_keypoints
        self.min_keypoints_per_image = min_keypoints_per_image
        super().__init__(*args, **kwargs)

    def filter_data(self) -> List[dict]:
        """Filter as CocoDataset, and drop images with too few keypoints.

        Not in test mode.
        """
        data_list = super().filter_data()
        if self.test_mode or self.min_keypoints_per_image <= 0:
            return data_list
        return [
            info for info in data_list
            if sum(v > 0 for inst in info['instances']
                   for v in inst['keypoints'][2::3]) >=
            self.min_keypoints_per_image
        ]

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        """Parse as CocoDataset, adding ``keypoints`` to each instance."""
        data_info = super().parse_data_info(raw_data_info)
        # the annotations that CocoDataset keeps, in its order: parse each
        # one alone with the same rules
        kept = [
            ann for ann in raw_data_info['raw_ann_info']
            if super(CocoKeypointDataset, self).parse_data_info(
                dict(raw_data_info, raw_ann_info=[ann]))['instances']
        ]
        assert len(kept) == len(data_info['instances'])
        for instance, ann in zip(data_info['instances'], kept):
            instance['keypoints'] = ann.get(
                'keypoints') or [0] * (3 * self.num_keypoints)
        return data_info
