# Copyright (c) mmdetco contributors. All rights reserved.
import inspect
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

from mmdetco_demo.render import render_scene
from mmdetco_demo.scenes import (OBJECT_BACKGROUNDS, background_pool,
                                 generate_demo_data)
from mmdetco_demo.shapes import CLASSES
from ..conftest import ROOT, load_tool

mask_utils = pytest.importorskip('pycocotools.mask')
coco_api = pytest.importorskip('pycocotools.coco')

# Tiny, so that the whole file runs in a few seconds.
SMALL = dict(num_pretrain=8, num_train=6, num_val=4, size=128)


def _read_tree(root):
    """All files under ``root``: relative path -> bytes."""
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


@pytest.fixture(scope='module')
def demo_dir(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('demo') / 'data')
    info = generate_demo_data(out_dir, seed=0, **SMALL)
    assert not info['reused']
    return out_dir


def test_deterministic(demo_dir, tmp_path):
    same = str(tmp_path / 'same')
    generate_demo_data(same, seed=0, **SMALL)
    files, same_files = _read_tree(demo_dir), _read_tree(same)
    num_imgs = sum(SMALL[f'num_{s}'] for s in ('pretrain', 'train', 'val'))
    # Images, two annotation files and meta.json.
    assert len(files) == num_imgs + 3
    assert files.keys() == same_files.keys()
    for path, data in files.items():
        assert data == same_files[path], path

    other = str(tmp_path / 'other')
    generate_demo_data(other, seed=1, **SMALL)
    other_files = _read_tree(other)
    assert other_files.keys() == files.keys()
    for path, data in files.items():
        if path.endswith('.jpg'):
            assert data != other_files[path], path


def test_splits_are_independent(tmp_path):
    # More training images do not change the validation split.
    out = str(tmp_path / 'more')
    generate_demo_data(out, **dict(SMALL, num_pretrain=2, num_train=8))
    ref = str(tmp_path / 'ref')
    generate_demo_data(ref, **dict(SMALL, num_pretrain=2))
    for name in sorted(os.listdir(osp.join(ref, 'val'))):
        with open(osp.join(out, 'val', name), 'rb') as f1, \
                open(osp.join(ref, 'val', name), 'rb') as f2:
            assert f1.read() == f2.read()


@pytest.mark.parametrize('split', ['train', 'val'])
def test_coco_annotations(demo_dir, split):
    coco = coco_api.COCO(
        osp.join(demo_dir, 'annotations', f'instances_{split}.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == \
        list(CLASSES)
    assert len(coco.getImgIds()) == SMALL[f'num_{split}']
    assert len(coco.getAnnIds()) >= SMALL[f'num_{split}']
    size = SMALL['size']
    for img_id in coco.getImgIds():
        img_info = coco.loadImgs(img_id)[0]
        assert img_info['width'] == img_info['height'] == size
        with Image.open(osp.join(demo_dir, split,
                                 img_info['file_name'])) as img:
            assert img.size == (size, size) and img.mode == 'RGB'
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        covered = np.zeros((size, size), dtype=int)
        for ann in anns:
            assert 1 <= ann['category_id'] <= len(CLASSES)
            assert ann['iscrowd'] == 0
            x, y, w, h = ann['bbox']
            assert x >= 0 and y >= 0 and w > 0 and h > 0
            assert x + w <= size and y + h <= size
            mask = coco.annToMask(ann).astype(bool)
            assert mask.shape == (size, size) and mask.any()
            assert ann['area'] == mask.sum()
            ys, xs = np.nonzero(mask)
            tight = [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1
            ]
            np.testing.assert_allclose(ann['bbox'], tight, atol=1)
            covered += mask
        assert covered.max() <= 1


def test_reuse_and_mismatch(tmp_path):
    out = str(tmp_path / 'demo')
    params = dict(num_pretrain=2, num_train=2, num_val=2, size=64, seed=5)
    info = generate_demo_data(out, **params)
    assert not info['reused']
    with open(info['meta_file']) as f:
        meta = json.load(f)
    assert meta['params']['seed'] == 5 and meta['params']['size'] == 64
    assert meta['params']['num_train'] == 2
    assert meta['format_version'] == meta['params']['format_version']
    stamp = os.stat(info['train_ann_file']).st_mtime_ns

    # Same parameters: nothing is rewritten.
    again = generate_demo_data(out, **params)
    assert again['reused']
    assert again['num_train_instances'] == info['num_train_instances']
    assert os.stat(info['train_ann_file']).st_mtime_ns == stamp

    # Other parameters: an error, unless overwrite.
    with pytest.raises(FileExistsError, match='other parameters'):
        generate_demo_data(out, **dict(params, seed=6))
    with pytest.raises(FileExistsError, match='other parameters'):
        generate_demo_data(out, **dict(params, num_pretrain=3))
    info = generate_demo_data(out, overwrite=True, **dict(params, seed=6))
    assert not info['reused']
    with open(info['meta_file']) as f:
        assert json.load(f)['params']['seed'] == 6

    # Fewer images with overwrite: no stale files are left behind.
    generate_demo_data(
        out, overwrite=True, **dict(params, seed=6, num_pretrain=1))
    assert os.listdir(info['pretrain_dir']) == ['000000.jpg']

    # An incomplete data set is not reused.
    params = dict(params, seed=6, num_pretrain=1)
    os.remove(osp.join(out, 'val', '000001.jpg'))
    with pytest.raises(FileExistsError, match='incomplete'):
        generate_demo_data(out, **params)
    assert not generate_demo_data(out, overwrite=True, **params)['reused']

    # Left-overs without meta.json (e.g. an interrupted run).
    os.remove(info['meta_file'])
    with pytest.raises(FileExistsError, match='no meta.json'):
        generate_demo_data(out, **params)


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_demo_data(str(tmp_path / 'a'), size=32)
    with pytest.raises(ValueError):
        generate_demo_data(str(tmp_path / 'b'), num_train=-1)
    assert not osp.exists(tmp_path / 'a')


def test_mmpretrain_custom_dataset(demo_dir):
    datasets = pytest.importorskip('mmpretrain.datasets')
    dataset = datasets.CustomDataset(
        data_root=demo_dir, data_prefix='pretrain/images', with_label=False)
    assert len(dataset) == SMALL['num_pretrain']
    paths = sorted(
        dataset.get_data_info(i)['img_path'] for i in range(len(dataset)))
    assert paths == sorted(
        osp.join(demo_dir, 'pretrain', 'images', name)
        for name in os.listdir(osp.join(demo_dir, 'pretrain', 'images')))


def test_cli(tmp_path, monkeypatch, capsys):
    script = osp.join(ROOT, 'tools', 'dataset_converters',
                      'generate_demo_data.py')
    cli = load_tool(script)
    out = str(tmp_path / 'cli')
    argv = [
        script, '--out', out, '--size', '64', '--num-pretrain', '2',
        '--num-train', '1', '--num-val', '1', '--seed', '3'
    ]
    monkeypatch.setattr(sys, 'argv', argv)
    cli.main()
    assert 'Generated' in capsys.readouterr().out
    cli.main()
    assert 'Reused' in capsys.readouterr().out
    monkeypatch.setattr(sys, 'argv', argv[:-1] + ['4'])
    with pytest.raises(SystemExit, match='--overwrite'):
        cli.main()
    monkeypatch.setattr(sys, 'argv', argv[:-1] + ['4', '--overwrite'])
    cli.main()
    assert 'Generated' in capsys.readouterr().out


def test_shared_backgrounds(tmp_path):
    """With ``num_backgrounds`` the pre-training scenes are drawn on a pool
    of backgrounds: away from the objects, a scene is its pool background
    under one of the 8 flips and quarter turns (plus noise); the detection
    splits are those of the default data set."""
    pool = background_pool(0, 2, 128)
    img, objects = render_scene(np.random.default_rng(3), 128, pool[1])
    free = ~np.any([o['mask'] for o in objects], axis=0)
    errors = []
    for turns in range(4):
        for flip in (False, True):
            bg = np.rot90(pool[1], turns)
            bg = bg[:, ::-1] if flip else bg
            errors.append(np.abs(img[free] - bg[free]).mean())
    assert min(errors) < 4 < sorted(errors)[1]

    shared = generate_demo_data(
        str(tmp_path / 'shared'),
        num_backgrounds=2,
        pretrain_images='scenes',
        **SMALL)
    plain = generate_demo_data(
        str(tmp_path / 'plain'), pretrain_images='scenes', **SMALL)
    with open(shared['meta_file']) as f:
        assert json.load(f)['params']['num_backgrounds'] == 2
    for split in ('train', 'val'):
        name = f'annotations/instances_{split}.json'
        assert (tmp_path / 'shared' / name).read_bytes() == \
            (tmp_path / 'plain' / name).read_bytes()
    assert (tmp_path / 'shared/pretrain/images/000000.jpg').read_bytes() != \
        (tmp_path / 'plain/pretrain/images/000000.jpg').read_bytes()
    assert plain['reused'] is False
    with pytest.raises(ValueError, match='num_backgrounds'):
        generate_demo_data(str(tmp_path / 'c'), num_backgrounds=0, **SMALL)


def test_object_centric_pretraining_keeps_the_detection_splits(tmp_path):
    """Object-centric pre-training images (the default) leave the detection
    splits byte-identical to those of scenes."""
    objects = generate_demo_data(str(tmp_path / 'objects'), **SMALL)
    generate_demo_data(
        str(tmp_path / 'plain'), pretrain_images='scenes', **SMALL)
    with open(objects['meta_file']) as f:
        params = json.load(f)['params']
    assert params['pretrain_images'] == 'objects'
    assert params['num_backgrounds'] == OBJECT_BACKGROUNDS
    for split in ('train', 'val'):
        assert _read_tree(tmp_path / 'objects' / split) == \
            _read_tree(tmp_path / 'plain' / split)
        name = f'annotations/instances_{split}.json'
        assert (tmp_path / 'objects' / name).read_bytes() == \
            (tmp_path / 'plain' / name).read_bytes()
    assert _read_tree(tmp_path / 'objects' / 'pretrain') != \
        _read_tree(tmp_path / 'plain' / 'pretrain')
    with pytest.raises(FileExistsError, match='pretrain_images'):
        generate_demo_data(
            str(tmp_path / 'plain'), pretrain_images='objects', **SMALL)
    with pytest.raises(ValueError, match='pretrain_images'):
        generate_demo_data(str(tmp_path / 'c'), pretrain_images='x', **SMALL)


def test_cli_defaults_are_those_of_the_function(monkeypatch):
    """``make demo`` (the function) and the converter write the same data
    set by default."""
    script = osp.join(ROOT, 'tools', 'dataset_converters',
                      'generate_demo_data.py')
    monkeypatch.setattr(sys, 'argv', [script])
    args = vars(load_tool(script).parse_args())
    defaults = inspect.signature(generate_demo_data).parameters
    for name, parameter in defaults.items():
        if name != 'out_dir':
            assert args[name] == parameter.default, name
    assert defaults['num_val'].default == 256
