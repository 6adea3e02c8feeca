# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp
from typing import List

import numpy as np
from mmengine.fileio import load

from ..compat import DATASETS, BaseDataset


@DATASETS.register_module()
class CocoInstanceCrops(BaseDataset):
    """The objects of a COCO-format detection split as a labelled data set.

    Every non-crowd instance whose box is at least ``min_size`` pixels on
    both sides becomes one sample: the image path, the box
    (``crop_bbox``, ``x1, y1, x2, y2``) and the label of its category
    (categories in id order). Put :class:`CropToBox` after
    ``LoadImageFromFile`` in the pipeline to cut the object out. Used as the
    labelled split of :class:`KNNMonitorHook` on detection data, e.g. the
    demo's.

    Args:
        ann_file (str): The COCO json file.
        data_root (str): Prefix of ``ann_file`` and of the image folder.
            Defaults to ''.
        data_prefix (str | dict): The image folder, relative to
            ``data_root``. Defaults to ''.
        min_size (int): Smallest box side kept, in pixels. Defaults to 8.
        **kwargs: Other arguments of the codebase's ``BaseDataset``
            (:mod:`mmdetco.compat`).
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: str = '',
                 min_size: int = 8,
                 **kwargs) -> None:
        self.min_size = min_size
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the instances of ``ann_file``."""
        coco = load(self.ann_file)
        for field in ('images', 'annotations', 'categories'):
            if field not in coco:
                raise ValueError(f'CocoInstanceCrops: {self.ann_file} has no '
                                 f'"{field}": not a COCO detection file.')
        categories = sorted(coco['categories'], key=lambda c: c['id'])
        labels = {c['id']: i for i, c in enumerate(categories)}
        self._metainfo.setdefault('classes',
                                  tuple(c['name'] for c in categories))
        files = {im['id']: im['file_name'] for im in coco['images']}
        prefix = self.data_prefix['img_path']
        data_list = []
        for ann in coco['annotations']:
            x, y, w, h = ann['bbox']
            if ann.get('iscrowd', 0) or min(w, h) < self.min_size:
                continue
            data_list.append(
                dict(
                    img_path=osp.join(prefix, files[ann['image_id']]),
                    gt_label=labels[ann['category_id']],
                    crop_bbox=np.array([x, y, x + w, y + h],
                                       dtype=np.float32)))
        if not data_list:
            raise ValueError(
                f'CocoInstanceCrops: {self.ann_file} has no instance of at '
                f'least {self.min_size} pixels.')
        return data_list
