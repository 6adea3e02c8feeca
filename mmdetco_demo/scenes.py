# Copyright (c) mmdetco contributors. All rights reserved.
"""A deterministic synthetic detection data set for the embedded demo.

Every detection image is a cluttered scene (:func:`.render.render_scene`):
a textured background (low-frequency sinusoids and smoothed noise in muted
colours, crossed by thin distractor strokes that are not objects) with 2 to 6
shaded, textured shapes of the classes in :data:`CLASSES` on top of it. Later
shapes occlude earlier ones; the stored instance mask is the visible part of
a shape, and its box is the tight box of that mask. The pre-training images
are object-centric (one dominant shape on a shared background, as ImageNet
is to COCO) or scenes.

:func:`generate_demo_data` writes unlabelled images for self-supervised
pre-training and two COCO-format splits for detection fine-tuning. It only
needs NumPy, Pillow and pycocotools (for the RLE masks) and downloads
nothing. The same arguments always give byte-identical files.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from .render import render_object_image, render_scene
from .shapes import CLASSES
from .textures import draw_background

#: Version of the files written by :func:`generate_demo_data`; bump it when
#: the rendering or the layout changes, so that stale folders are noticed.
FORMAT_VERSION = 1
#: The kinds of pre-training image (``generate_demo_data(pretrain_images=)``).
PRETRAIN_IMAGES = ('scenes', 'objects')
#: The background pool of the object-centric images, unless given.
OBJECT_BACKGROUNDS = 32

JPEG_QUALITY = 92
SPLITS = ('pretrain', 'train', 'val')
_SPLIT_IDS = {name: i for i, name in enumerate(SPLITS)}
#: The folders of the data set under ``out_dir``.
_DATA_DIRS = ('pretrain', 'train', 'val', 'annotations')


def background_pool(seed: int, num: int, size: int) -> List[np.ndarray]:
    """``num`` backgrounds of :func:`.render.render_scene`, shared by the
    scenes of a split so that a scene's background does not identify it."""
    return [
        draw_background(
            np.random.default_rng([seed, len(SPLITS), index]), size)
        for index in range(num)
    ]


def data_layout(out_dir: str) -> Dict[str, str]:
    """The paths written under ``out_dir``."""
    return dict(
        out_dir=out_dir,
        pretrain_dir=osp.join(out_dir, 'pretrain', 'images'),
        train_img_dir=osp.join(out_dir, 'train'),
        val_img_dir=osp.join(out_dir, 'val'),
        train_ann_file=osp.join(out_dir, 'annotations',
                                'instances_train.json'),
        val_ann_file=osp.join(out_dir, 'annotations', 'instances_val.json'),
        meta_file=osp.join(out_dir, 'meta.json'))


def generate_demo_data(out_dir: str,
                       num_pretrain: int = 512,
                       num_train: int = 256,
                       num_val: int = 256,
                       size: int = 160,
                       seed: int = 0,
                       num_backgrounds: Optional[int] = None,
                       pretrain_images: str = 'objects',
                       overwrite: bool = False) -> dict:
    """Generate the synthetic demo data set, or reuse an identical one.

    Layout under ``out_dir``::

        pretrain/images/000000.jpg ...   unlabelled, for pre-training
        train/000000.jpg ...             detection training images
        val/000000.jpg ...               detection validation images
        annotations/instances_train.json COCO boxes and RLE masks
        annotations/instances_val.json
        meta.json                        parameters and statistics

    The pre-training images suit MMPretrain's ``CustomDataset(data_root=
    out_dir, data_prefix='pretrain/images', with_label=False)``, the splits
    MMDetection's ``CocoDataset`` with ``metainfo=dict(classes=CLASSES)``.
    Image ``index`` of a split is rendered from
    ``np.random.default_rng([seed, split_id, index])``, so the splits are
    independent and the same arguments give byte-identical files.

    ``meta.json`` is written last. When ``out_dir`` already holds a
    complete data set made with the same parameters it is reused as is.

    Args:
        out_dir (str): The folder to write to.
        num_pretrain (int): Number of unlabelled images. Defaults to 512.
        num_train (int): Number of annotated training images.
            Defaults to 256.
        num_val (int): Number of annotated validation images.
            Defaults to 256.
        size (int): Width and height of every image, at least 64.
            Defaults to 160.
        seed (int): The seed of the whole data set. Defaults to 0.
        num_backgrounds (int, optional): The pre-training images share a
            pool of this many backgrounds (:func:`background_pool`), so
            that no background identifies an image; the detection splits
            keep a background of their own per scene. Defaults to None: a
            background of its own for every scene, a pool of
            :data:`OBJECT_BACKGROUNDS` for object-centric images.
        pretrain_images (str): ``'objects'``, object-centric images (as
            ImageNet, :func:`.render.render_object_image`), or
            ``'scenes'``, cluttered scenes as the detection splits (as COCO);
            see docs/en/demo.md. The detection splits are the same for both.
            Defaults to ``'objects'``.
        overwrite (bool): Replace the data set (``pretrain/``, ``train/``,
            ``val/``, ``annotations/`` and ``meta.json``; other files in
            ``out_dir`` are kept) if it exists with other parameters or is
            incomplete, instead of raising. Defaults to False.

    Returns:
        dict: The paths written (``out_dir``, ``pretrain_dir``,
        ``train_img_dir``, ``val_img_dir``, ``train_ann_file``,
        ``val_ann_file``, ``meta_file``), ``classes``, the number of images
        per split, the number of instances of the train and val splits
        (``num_train_instances``, ``num_val_instances``) and ``reused``,
        True when an existing identical data set was kept.

    Raises:
        FileExistsError: ``out_dir`` holds a data set made with other
            parameters, an incomplete one, or other files in the data set
            folders, and ``overwrite`` is False.
    """
    params = _check_args(num_pretrain, num_train, num_val, size, seed,
                         num_backgrounds, pretrain_images)
    paths = data_layout(str(out_dir))
    meta = _reusable(out_dir, paths, params, overwrite)
    reused = meta is not None
    if not reused:
        _remove_data_set(paths)
        meta = _write_data_set(paths, params)
    return dict(
        paths,
        num_pretrain=num_pretrain,
        num_train=num_train,
        num_val=num_val,
        num_train_instances=meta['stats']['num_train_instances'],
        num_val_instances=meta['stats']['num_val_instances'],
        classes=CLASSES,
        reused=reused)


def _check_args(num_pretrain: int, num_train: int, num_val: int, size: int,
                seed: int, num_backgrounds: Optional[int],
                pretrain_images: str) -> dict:
    """Check the arguments of :func:`generate_demo_data`; return the
    parameters that its ``meta.json`` stores."""
    args = dict(
        num_pretrain=num_pretrain,
        num_train=num_train,
        num_val=num_val,
        seed=seed,
        size=size)
    if num_backgrounds is not None:
        args['num_backgrounds'] = num_backgrounds
    for name, value in args.items():
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f'generate_demo_data: {name} must be a '
                             f'non-negative int, got {value!r}.')
    if size < 64:
        raise ValueError(f'generate_demo_data: size must be >= 64, got '
                         f'{size}.')
    if pretrain_images not in PRETRAIN_IMAGES:
        raise ValueError(f'generate_demo_data: pretrain_images must be one '
                         f'of {PRETRAIN_IMAGES}, got {pretrain_images!r}.')
    if pretrain_images == 'objects' and num_backgrounds is None:
        num_backgrounds = OBJECT_BACKGROUNDS
    params = dict(
        format_version=FORMAT_VERSION,
        seed=int(seed),
        size=int(size),
        num_pretrain=int(num_pretrain),
        num_train=int(num_train),
        num_val=int(num_val),
        classes=list(CLASSES))
    if num_backgrounds is not None:
        if num_backgrounds < 1:
            raise ValueError('generate_demo_data: num_backgrounds must be '
                             f'>= 1 or None, got {num_backgrounds}.')
        params['num_backgrounds'] = int(num_backgrounds)
    if pretrain_images != 'scenes':
        params['pretrain_images'] = pretrain_images
    return params


def _reusable(out_dir: str, paths: Dict[str, str], params: dict,
              overwrite: bool) -> Optional[dict]:
    """The ``meta.json`` of the data set in ``out_dir`` if that is complete
    and made with ``params``, else None (nothing there, or ``overwrite``).

    Raises:
        FileExistsError: ``out_dir`` holds a data set made with other
            parameters, an incomplete one, or other files in the data set
            folders, and ``overwrite`` is False.
    """
    if not osp.isfile(paths['meta_file']):
        leftovers = [
            osp.join(out_dir, name) for name in _DATA_DIRS
            if osp.exists(osp.join(out_dir, name))
        ]
        if leftovers and not overwrite:
            raise FileExistsError(
                f'{out_dir!r} has no meta.json but already contains '
                f'{leftovers} (an interrupted generation or other data). '
                'Delete them, choose another output folder, or pass '
                'overwrite=True (--overwrite).')
        return None
    meta = _read_meta(paths['meta_file'])
    if meta.get('params') == params and _complete(paths, params):
        return meta
    if not overwrite:
        raise FileExistsError(
            f'The demo data set in {out_dir!r} '
            f'{_mismatch(meta.get("params"), params)}. Delete the '
            'folder, choose another output folder, or pass '
            'overwrite=True (--overwrite) to regenerate it.')
    return None


def _read_meta(path: str) -> dict:
    """The content of a ``meta.json``; ``{}`` if it is no JSON object."""
    try:
        with open(path, encoding='utf-8') as f:
            meta = json.load(f)
    except ValueError:  # not JSON: not made here
        return {}
    return meta if isinstance(meta, dict) else {}


def _complete(paths: Dict[str, str], params: dict) -> bool:
    """Whether the images and annotation files of ``params`` are there,
    and no other images."""
    counts = dict(
        pretrain_dir=params['num_pretrain'],
        train_img_dir=params['num_train'],
        val_img_dir=params['num_val'])
    return all(
        _count_jpgs(paths[key]) == num for key, num in counts.items()) \
        and osp.isfile(paths['train_ann_file']) \
        and osp.isfile(paths['val_ann_file'])


def _count_jpgs(folder: str) -> int:
    if not osp.isdir(folder):
        return 0
    return sum(1 for name in os.listdir(folder) if name.endswith('.jpg'))


def _mismatch(old: Optional[dict], params: dict) -> str:
    """What keeps a data set whose ``meta.json`` has the parameters ``old``
    from being reused for ``params``."""
    if not isinstance(old, dict):
        return 'has an unknown meta.json'
    if old != params:
        diff = ', '.join(f'{key}={old.get(key)!r} (requested {value!r})'
                         for key, value in params.items()
                         if old.get(key) != value)
        return f'was made with other parameters: {diff}'
    return 'is incomplete (files are missing or were added)'


def _remove_data_set(paths: Dict[str, str]) -> None:
    """Delete ``meta.json`` and the data set folders, so that no stale files
    mix in."""
    if osp.isfile(paths['meta_file']):
        os.remove(paths['meta_file'])
    for name in _DATA_DIRS:
        if osp.isdir(osp.join(paths['out_dir'], name)):
            shutil.rmtree(osp.join(paths['out_dir'], name))


def _write_data_set(paths: Dict[str, str], params: dict) -> dict:
    """Render and write the data set of ``params``, ``meta.json`` last;
    return the content of ``meta.json``."""
    _write_pretrain(paths['pretrain_dir'], params)
    stats = {}
    for split in ('train', 'val'):
        num_instances, per_class = _write_coco_split(paths['out_dir'], split,
                                                     params[f'num_{split}'],
                                                     params['size'],
                                                     params['seed'])
        stats[f'num_{split}_instances'] = num_instances
        stats[f'{split}_instances_per_class'] = dict(zip(CLASSES, per_class))
    meta = dict(
        format_version=FORMAT_VERSION,
        generator='mmdetco_demo.scenes',
        params=params,
        stats=stats)
    _dump_json(meta, paths['meta_file'], indent=2)
    return meta


def _write_pretrain(pretrain_dir: str, params: dict) -> None:
    """Write the unlabelled pre-training images of ``params``."""
    os.makedirs(pretrain_dir, exist_ok=True)
    seed, size = params['seed'], params['size']
    num_backgrounds = params.get('num_backgrounds')
    pool = None if num_backgrounds is None else \
        background_pool(seed, num_backgrounds, size)
    objects = params.get('pretrain_images') == 'objects'
    for index in range(params['num_pretrain']):
        rng = _scene_rng(seed, 'pretrain', index)
        background = None if pool is None else \
            pool[int(rng.integers(len(pool)))]
        img = render_object_image(rng, size, background) if objects else \
            render_scene(rng, size, background)[0]
        _save_jpg(img, osp.join(pretrain_dir, f'{index:06d}.jpg'))


def _write_coco_split(out_dir: str, split: str, num: int, size: int,
                      seed: int) -> Tuple[int, List[int]]:
    """Write the images of ``split`` and their COCO annotation file.

    Returns the number of instances and the number per class.
    """
    os.makedirs(osp.join(out_dir, split), exist_ok=True)
    images, annotations = [], []
    per_class = [0] * len(CLASSES)
    for index in range(num):
        img, objects = render_scene(_scene_rng(seed, split, index), size)
        file_name = f'{index:06d}.jpg'
        _save_jpg(img, osp.join(out_dir, split, file_name))
        image_id = index + 1
        images.append(
            dict(id=image_id, file_name=file_name, width=size, height=size))
        for obj in objects:
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=obj['label'] + 1,
                    bbox=obj['bbox'],
                    area=float(obj['mask'].sum()),
                    iscrowd=0,
                    segmentation=_encode_rle(obj['mask'])))
            per_class[obj['label']] += 1
    coco = dict(
        info=dict(
            description=f'mmdetco synthetic demo scenes ({split})',
            version=str(FORMAT_VERSION)),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=[
            dict(id=i + 1, name=name, supercategory='shape')
            for i, name in enumerate(CLASSES)
        ])
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    _dump_json(coco, osp.join(out_dir, 'annotations',
                              f'instances_{split}.json'))
    return len(annotations), per_class


def _scene_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of image ``index`` of ``split``, independent of others."""
    return np.random.default_rng([seed, _SPLIT_IDS[split], index])


def _save_jpg(img: np.ndarray, path: str) -> None:
    Image.fromarray(img).save(
        path, format='JPEG', quality=JPEG_QUALITY, subsampling=0)


def _dump_json(obj: dict, path: str, indent: Optional[int] = None) -> None:
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        json.dump(obj, f, sort_keys=True, indent=indent)
        f.write('\n')


def _encode_rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(
        size=[int(s) for s in rle['size']],
        counts=rle['counts'].decode('ascii'))
