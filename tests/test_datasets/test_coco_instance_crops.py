# Copyright (c) mmdetco contributors. All rights reserved.
import json

import numpy as np
import pytest
from PIL import Image

from mmdetco.datasets import CocoInstanceCrops


@pytest.fixture
def coco(tmp_path):
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / 'a.png')
    ann = dict(
        images=[dict(id=7, file_name='a.png', height=40, width=60)],
        categories=[dict(id=3, name='square'),
                    dict(id=1, name='circle')],
        annotations=[
            dict(id=1, image_id=7, category_id=3, bbox=[10, 5, 20, 10]),
            dict(id=2, image_id=7, category_id=1, bbox=[0, 0, 4, 30]),
            dict(
                id=3,
                image_id=7,
                category_id=1,
                bbox=[0, 0, 30, 30],
                iscrowd=1),
        ])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    return tmp_path


def test_instances_become_labelled_crops(coco):
    dataset = CocoInstanceCrops(
        ann_file='ann.json',
        data_root=str(coco),
        min_size=8,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='CropToBox', padding=0.1)
        ])
    # the 4 px wide box and the crowd box are left out
    assert len(dataset) == 1
    # categories in id order: circle (1) -> 0, square (3) -> 1
    assert dataset.metainfo['classes'] == ('circle', 'square')
    sample = dataset[0]
    assert sample['gt_label'] == 1
    # 20 x 10 box widened by 10 % on every side: x 8..32, y 4..16
    assert sample['img'].shape[:2] == (12, 24)


def test_errors_name_the_file(coco, tmp_path):
    (tmp_path / 'bad.json').write_text(json.dumps(dict(images=[])))
    with pytest.raises(ValueError, match='bad.json.*annotations'):
        CocoInstanceCrops(ann_file=str(tmp_path / 'bad.json'))
    with pytest.raises(ValueError, match='no instance'):
        CocoInstanceCrops(
            ann_file='ann.json', data_root=str(coco), min_size=100)
