# Copyright (c) mmdetco contributors. All rights reserved.
"""tools/dataset_converters/make_coco_semi_splits.py: seeded, nested,
image-level splits of a COCO annotation file."""
import importlib.util
import json
import os.path as osp

import pytest

from ..conftest import ROOT

SPEC = importlib.util.spec_from_file_location(
    'make_coco_semi_splits',
    osp.join(ROOT, 'tools', 'dataset_converters', 'make_coco_semi_splits.py'))
splits = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(splits)


@pytest.fixture
def coco_file(tmp_path):
    """200 images with ids 1000, 1003, ... and 0 to 3 boxes each."""
    images = [
        dict(id=1000 + 3 * i, file_name=f'{i:06d}.jpg', width=64, height=48)
        for i in range(200)
    ]
    annotations = []
    for i, img in enumerate(images):
        for k in range(i % 4):
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=img['id'],
                    category_id=k + 1,
                    bbox=[1, 2, 10, 12],
                    area=120,
                    iscrowd=0))
    coco = dict(
        info=dict(description='test'),
        licenses=[dict(id=1, name='l')],
        images=images,
        annotations=annotations,
        categories=[dict(id=k, name=f'c{k}') for k in range(1, 6)])
    path = tmp_path / 'instances_train2017.json'
    path.write_text(json.dumps(coco))
    return str(path), coco


def _read(path):
    with open(path) as f:
        return json.load(f)


def test_splits(coco_file, tmp_path):
    path, coco = coco_file
    out = tmp_path / 'out'
    splits.main(
        [path,
         str(out), '--percents', '1', '2', '5', '10', '--seed', '1'])
    previous = set()
    all_ids = {img['id'] for img in coco['images']}
    for percent, num in ((1, 2), (2, 4), (5, 10), (10, 20)):
        split = _read(out / f'instances_train2017.1@{percent}.json')
        ids = [img['id'] for img in split['images']]
        assert len(ids) == len(set(ids)) == num
        assert set(ids) <= all_ids
        assert set(ids) >= previous  # nested
        previous = set(ids)
        # entries unchanged, in the original order
        assert split['images'] == [
            img for img in coco['images'] if img['id'] in set(ids)
        ]
        assert split['annotations'] == [
            a for a in coco['annotations'] if a['image_id'] in set(ids)
        ]
        assert split['categories'] == coco['categories']
        assert split['info'] == coco['info']
        assert split['licenses'] == coco['licenses']


def test_deterministic_and_seeded(coco_file, tmp_path):
    path, _ = coco_file
    for run in ('a', 'b'):
        splits.make_splits(path, str(tmp_path / run), [10], seed=1)
    splits.make_splits(path, str(tmp_path / 'c'), [10], seed=2)
    name = 'instances_train2017.1@10.json'
    first = (tmp_path / 'a' / name).read_bytes()
    assert first == (tmp_path / 'b' / name).read_bytes()
    other = _read(tmp_path / 'c' / 'instances_train2017.2@10.json')
    assert {i['id']
            for i in _read(tmp_path / 'a' / name)['images']
            } != {i['id']
                  for i in other['images']}


def test_unlabeled_complement_and_errors(coco_file, tmp_path):
    path, coco = coco_file
    written = splits.make_splits(
        path, str(tmp_path), [0.5], seed=3, unlabeled=True)
    assert [osp.basename(p) for p in written] == [
        'instances_train2017.3@0.5.json',
        'instances_train2017.3@0.5-unlabeled.json'
    ]
    labeled, unlabeled = (_read(p) for p in written)
    assert len(labeled['images']) == 1
    ids = {i['id'] for i in labeled['images']}
    rest = {i['id'] for i in unlabeled['images']}
    assert not ids & rest and len(ids | rest) == len(coco['images'])
    with pytest.raises(ValueError, match='Percents'):
        splits.make_splits(path, str(tmp_path), [0], seed=1)
