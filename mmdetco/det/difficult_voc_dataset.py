# Copyright (c) mmdetco contributors. All rights reserved.
"""PASCAL VOC whose training boxes include the difficult ones."""
from typing import List

from mmdet.datasets import VOCDataset
from mmdet.registry import DATASETS


@DATASETS.register_module()
class DifficultAsGTVOCDataset(VOCDataset):
    """:class:`VOCDataset` that trains on the boxes marked ``difficult``.

    As detectron2's VOC loader (MMDetection's turns them into ignored
    instances). In test mode they stay ignored (the VOC protocol). Boxes
    ignored for ``filter_cfg.bbox_min_size`` stay ignored.
    """

    def _parse_instance_info(self, raw_ann_info, minus_one=True) -> List[dict]:
        """Parse as :class:`VOCDataset`, difficult boxes as ground truth.

        Outside test mode, a difficult box that is not too small is ground
        truth.
        """
        instances = super()._parse_instance_info(raw_ann_info, minus_one)
        if self.test_mode:
            return instances
        objects = [
            obj for obj in raw_ann_info.findall('object')
            if obj.find('name').text in self._metainfo['classes']
        ]
        min_size = self.bbox_min_size or 0
        for instance, obj in zip(instances, objects):
            x1, y1, x2, y2 = instance['bbox']
            if int(obj.findtext('difficult') or 0) and min(
                    x2 - x1, y2 - y1) >= min_size:
                instance['ignore_flag'] = 0
        return instances
