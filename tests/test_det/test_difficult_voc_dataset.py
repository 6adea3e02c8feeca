# Copyright (c) mmdetco contributors. All rights reserved.
"""DifficultAsGTVOCDataset: difficult boxes are ground truth in training
and stay ignored in test mode."""
import os
import os.path as osp
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip('mmdet')
from mmdet.datasets import VOCDataset  # noqa: E402

from mmdetco.det import DifficultAsGTVOCDataset  # noqa: E402

# (name, box, difficult): the second person is difficult and 12 px wide
OBJECTS = [('dog', (10, 20, 110, 140), 0), ('person', (40, 50, 52, 90), 1),
           ('cow', (60, 70, 160, 190), 1)]


def write_voc(root: str) -> None:
    """A VOC2007-layout folder with one image and ``OBJECTS``."""
    for folder in ('Annotations', 'ImageSets/Main', 'JPEGImages'):
        path = osp.join(root, 'VOC2007', folder)
        os.makedirs(path, exist_ok=True)
    ann = ET.Element('annotation')
    size = ET.SubElement(ann, 'size')
    for key, value in (('width', 200), ('height', 200), ('depth', 3)):
        ET.SubElement(size, key).text = str(value)
    for name, box, difficult in OBJECTS:
        obj = ET.SubElement(ann, 'object')
        ET.SubElement(obj, 'name').text = name
        ET.SubElement(obj, 'difficult').text = str(difficult)
        bnd = ET.SubElement(obj, 'bndbox')
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), box):
            ET.SubElement(bnd, key).text = str(value)
    ET.ElementTree(ann).write(
        osp.join(root, 'VOC2007', 'Annotations', '000001.xml'))
    with open(osp.join(root, 'VOC2007', 'ImageSets', 'Main', 'x.txt'),
              'w') as f:
        f.write('000001\n')


def instances(cls, root, **kwargs):
    dataset = cls(
        data_root=root,
        ann_file='VOC2007/ImageSets/Main/x.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        pipeline=[],
        **kwargs)
    (info, ) = [dataset.get_data_info(i) for i in range(len(dataset))]
    return [(inst['bbox'], inst['ignore_flag']) for inst in info['instances']]


def test_difficult_boxes_are_trained_on(tmp_path):
    write_voc(str(tmp_path))
    ours = instances(DifficultAsGTVOCDataset, str(tmp_path))
    stock = instances(VOCDataset, str(tmp_path))
    # same boxes; MMDetection ignores the difficult ones, we do not
    assert [box for box, _ in ours] == [box for box, _ in stock]
    assert [flag for _, flag in stock] == [0, 1, 1]
    assert [flag for _, flag in ours] == [0, 0, 0]


def test_test_mode_and_small_boxes_stay_ignored(tmp_path):
    write_voc(str(tmp_path))
    test = instances(DifficultAsGTVOCDataset, str(tmp_path), test_mode=True)
    assert [flag for _, flag in test] == [0, 1, 1]
    # the 12 px difficult person is below bbox_min_size: still ignored
    small = instances(
        DifficultAsGTVOCDataset,
        str(tmp_path),
        filter_cfg=dict(bbox_min_size=16))
    assert [flag for _, flag in small] == [0, 1, 0]
