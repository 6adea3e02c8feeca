# Copyright (c) mmdetco contributors. All rights reserved.
"""A deterministic synthetic detection data set for the embedded demo.

Every detection image is a cluttered scene: a textured background
(low-frequency sinusoids and smoothed noise in muted colours, crossed by thin
distractor strokes that are not objects) with 2 to 6 shaded, textured shapes
of the classes in :data:`CLASSES` on top of it. Later shapes occlude earlier
ones; the stored instance mask is the visible part of a shape, and its box is
the tight box of that mask. The pre-training images are object-centric (one
dominant shape on a shared background, as ImageNet is to COCO) or scenes.

:func:`generate_demo_data` writes unlabelled images for self-supervised
pre-training and two COCO-format splits for detection fine-tuning. It only
needs NumPy, Pillow and pycocotools (for the RLE masks) and downloads
nothing. The same arguments always give byte-identical files.
"""
import colorsys
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

#: The object classes, in label order (COCO category id = label + 1).
CLASSES = ('circle', 'square', 'triangle', 'ring', 'cross', 'star', 'ellipse',
           'bar')

#: Version of the files written by :func:`generate_demo_data`; bump it when
#: the rendering or the layout changes, so that stale folders are noticed.
FORMAT_VERSION = 1

#: A shape is dropped (not drawn, or not annotated) when less than this
#: fraction of its full area or fewer than this many pixels stay visible.
MIN_VISIBLE_FRACTION = 0.3
MIN_VISIBLE_PIXELS = 40

#: The side of the dominant shape of an object-centric pre-training image,
#: as a fraction of the image side (:func:`render_object_image`).
OBJECT_SCALE = (0.45, 0.8)
#: The kinds of pre-training image (``generate_demo_data(pretrain_images=)``).
PRETRAIN_IMAGES = ('scenes', 'objects')
#: The background pool of the object-centric images, unless given.
OBJECT_BACKGROUNDS = 32

JPEG_QUALITY = 92
SPLITS = ('pretrain', 'train', 'val')
_SPLIT_IDS = {name: i for i, name in enumerate(SPLITS)}
_MAX_TRIES = 20


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """An HSV colour (all in ``[0, 1]``) as an RGB float array in 0-255."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v)) * 255.0


def _smooth_noise(rng: np.random.Generator, size: int,
                  grid: int) -> np.ndarray:
    """Noise in ``[0, 1]`` that varies on a scale of ``size / grid``."""
    coarse = rng.random((grid + 1, grid + 1)).astype(np.float32)
    field = Image.fromarray(coarse).resize((size, size), Image.BICUBIC)
    field = np.asarray(field, dtype=np.float32)
    lo, hi = field.min(), field.max()
    return (field - lo) / max(float(hi - lo), 1e-6)


def _sinusoids(rng: np.random.Generator, xx: np.ndarray, yy: np.ndarray,
               num: int, max_cycles: float) -> np.ndarray:
    """A sum of ``num`` random plane waves, scaled to ``[0, 1]``."""
    field = np.zeros_like(xx)
    for _ in range(num):
        theta = rng.uniform(0, 2 * np.pi)
        cycles = rng.uniform(0.5, max_cycles)
        phase = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(0.3, 1.0)
        field += amp * np.sin(2 * np.pi * cycles *
                              (np.cos(theta) * xx + np.sin(theta) * yy) +
                              phase)
    lo, hi = field.min(), field.max()
    return (field - lo) / max(float(hi - lo), 1e-6)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A textured, cluttered background as a float ``(size, size, 3)``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    num_colours = int(rng.integers(3, 5))
    hue0 = rng.random()
    weights, colours = [], []
    for i in range(num_colours):
        if rng.random() < 0.5:
            field = _sinusoids(rng, xx, yy, int(rng.integers(2, 4)), 3.0)
        else:
            field = _smooth_noise(rng, size, int(rng.integers(2, 6)))
        weights.append(field**rng.uniform(1.5, 3.0) + 1e-3)
        colours.append(
            _hsv(hue0 + rng.normal(0, 0.25), rng.uniform(0.05, 0.45),
                 rng.uniform(0.25, 0.85)))
    weights = np.stack(weights)
    weights /= weights.sum(0, keepdims=True)
    img = np.tensordot(weights, np.stack(colours), axes=(0, 0))
    # Soft, irregular stains: clutter that is none of the classes.
    for _ in range(int(rng.integers(2, 6))):
        num_pts = int(rng.integers(6, 11))
        radii = rng.uniform(0.35, 1.0, num_pts) * rng.uniform(0.06, 0.22)
        ang = np.sort(rng.uniform(0, 2 * np.pi, num_pts))
        centre = rng.uniform(0, 1, 2)
        pts = (centre + radii[:, None] *
               np.stack([np.cos(ang), np.sin(ang)], axis=1)) * size
        stain = Image.new('L', (size, size), 0)
        ImageDraw.Draw(stain).polygon([(float(x), float(y)) for x, y in pts],
                                      fill=255)
        stain = stain.filter(ImageFilter.GaussianBlur(rng.uniform(1, 3)))
        alpha = np.asarray(stain, np.float32)[..., None] / 255 * \
            rng.uniform(0.25, 0.6)
        colour = _hsv(rng.random(), rng.uniform(0.05, 0.5),
                      rng.uniform(0.15, 0.9))
        img = img * (1 - alpha) + colour * alpha
    # Fine grain, like paper or fabric.
    grain = _smooth_noise(rng, size, max(size // 6, 4)) - 0.5
    img += grain[..., None] * rng.uniform(15, 40)
    grain = _smooth_noise(rng, size, max(size // 3, 4)) - 0.5
    img += grain[..., None] * rng.uniform(5, 20)

    # Distractor strokes: thin lines and arcs, part of the background.
    canvas = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(4, 12))):
        colour = tuple(
            int(c) for c in _hsv(rng.random(), rng.uniform(0, 0.7),
                                 rng.uniform(0.1, 0.95)))
        width = int(rng.integers(1, 4))
        if rng.random() < 0.6:
            num_pts = int(rng.integers(2, 6))
            pts = [rng.uniform(-0.1, 1.1, 2) * size]
            for _ in range(num_pts - 1):
                pts.append(pts[-1] + rng.normal(0, 0.25, 2) * size)
            draw.line([(float(x), float(y)) for x, y in pts],
                      fill=colour,
                      width=width,
                      joint='curve')
        else:
            cx, cy = rng.uniform(0, size, 2)
            r = rng.uniform(0.08, 0.5) * size
            start = rng.uniform(0, 360)
            draw.arc([cx - r, cy - r, cx + r, cy + r],
                     start,
                     start + rng.uniform(40, 200),
                     fill=colour,
                     width=width)
    return np.asarray(canvas, dtype=np.float32)


def _regular(num: int, radius: float = 1.0, start: float = 0.0) -> np.ndarray:
    """``num`` points evenly spaced on a circle, as a ``(num, 2)`` array."""
    ang = start + np.arange(num) * 2 * np.pi / num
    return radius * np.stack([np.cos(ang), np.sin(ang)], axis=1)


def _shape_polygons(rng: np.random.Generator,
                    name: str) -> List[Tuple[np.ndarray, int]]:
    """The polygons of one shape in unit coordinates (radius about 1).

    Returns a list of ``(points, fill)``: ``fill`` 255 adds the polygon to
    the shape, 0 cuts it out (the hole of a ring).
    """
    if name == 'circle':
        return [(_regular(48), 255)]
    if name == 'square':
        return [(np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.72, 255)]
    if name == 'triangle':
        return [(_regular(3, start=-np.pi / 2), 255)]
    if name == 'ring':
        hole = rng.uniform(0.45, 0.62)
        return [(_regular(48), 255), (_regular(48, hole), 0)]
    if name == 'cross':
        t = rng.uniform(0.24, 0.34)
        pts = [[t, -1], [t, -t], [1, -t], [1, t], [t, t], [t, 1], [-t, 1],
               [-t, t], [-1, t], [-1, -t], [-t, -t], [-t, -1]]
        return [(np.array(pts, dtype=np.float64), 255)]
    if name == 'star':
        outer = _regular(5, 1.0, -np.pi / 2)
        inner = _regular(5, rng.uniform(0.4, 0.5), -np.pi / 2 + np.pi / 5)
        pts = np.stack([outer, inner], axis=1).reshape(-1, 2)
        return [(pts, 255)]
    if name == 'ellipse':
        return [(_regular(48) * [1.0, rng.uniform(0.42, 0.65)], 255)]
    if name == 'bar':
        w = rng.uniform(0.2, 0.3)
        return [(np.array([[-1, -w], [1, -w], [1, w], [-1, w]]), 255)]
    raise ValueError(f'Unknown shape {name!r}.')


def _shape_mask(rng: np.random.Generator,
                name: str,
                size: int,
                scale: float,
                centre: Optional[Tuple[float, float]] = None
                ) -> Tuple[np.ndarray, int, dict]:
    """Rasterise a random instance of shape ``name`` (at a random centre
    unless ``centre`` is given).

    Returns the mask inside the image, the full area of the shape (also the
    part outside the image) and its geometry (centre, scale, angle).
    """
    pad = int(np.ceil(scale)) + 2
    half = scale / 2
    cx, cy = rng.uniform(half * 0.4, size - half * 0.4, 2) \
        if centre is None else centre
    angle = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(angle), -np.sin(angle)],
                    [np.sin(angle), np.cos(angle)]])
    canvas = Image.new('L', (size + 2 * pad, size + 2 * pad), 0)
    draw = ImageDraw.Draw(canvas)
    for pts, fill in _shape_polygons(rng, name):
        pts = pts @ rot.T * half + [cx + pad, cy + pad]
        draw.polygon([(float(x), float(y)) for x, y in pts], fill=fill)
    full = np.asarray(canvas) > 127
    mask = full[pad:pad + size, pad:pad + size]
    geom = dict(cx=cx, cy=cy, half=half, angle=angle)
    return mask, int(full.sum()), geom


def _shade(rng: np.random.Generator, mask: np.ndarray, geom: dict,
           colour: np.ndarray) -> np.ndarray:
    """The shaded, textured appearance of one object, ``(H, W, 3)``."""
    size = mask.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = xx - geom['cx'], yy - geom['cy']
    half = max(geom['half'], 1.0)
    light = rng.uniform(0, 2 * np.pi)
    ramp = np.clip((np.cos(light) * dx + np.sin(light) * dy) / half, -1, 1)
    shade = 1.0 + rng.uniform(0.15, 0.35) * ramp
    pattern = int(rng.integers(0, 4))
    if pattern == 1:  # stripes
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(3.5, 8.0)
        wave = np.sin(2 * np.pi * (np.cos(theta) * dx + np.sin(theta) * dy) /
                      period)
        shade = shade * (1.0 - rng.uniform(0.15, 0.35) * (wave > 0))
    elif pattern == 2:  # mottled
        spots = _smooth_noise(rng, size, max(size // 8, 4))
        shade = shade * (0.8 + 0.4 * spots)
    elif pattern == 3:  # glossy highlight
        hx, hy = rng.uniform(-0.4, 0.4, 2) * half
        d2 = ((dx - hx)**2 + (dy - hy)**2) / (0.35 * half)**2
        shade = shade + rng.uniform(0.25, 0.5) * np.exp(-d2)
    tex = colour[None, None, :] * shade[..., None]
    # A darker rim makes overlapping objects separable.
    inner = Image.fromarray(mask.astype(np.uint8) * 255)
    inner = np.asarray(inner.filter(ImageFilter.MinFilter(3))) > 127
    rim = mask & ~inner
    tex[rim] *= rng.uniform(0.45, 0.7)
    return tex


def _pick_colour(rng: np.random.Generator, img: np.ndarray,
                 mask: np.ndarray) -> np.ndarray:
    """A saturated colour, the best of a few at contrasting with ``img``."""
    local = img[mask].mean(0) if mask.any() else img.reshape(-1, 3).mean(0)
    best, best_dist = None, -1.0
    for _ in range(3):
        colour = _hsv(rng.random(), rng.uniform(0.55, 1.0),
                      rng.uniform(0.5, 1.0))
        dist = float(np.abs(colour - local).sum())
        if dist > best_dist:
            best, best_dist = colour, dist
    return best


def _tight_box(mask: np.ndarray) -> List[float]:
    """The ``[x, y, w, h]`` pixel box of a non-empty mask."""
    ys = np.flatnonzero(mask.any(1))
    xs = np.flatnonzero(mask.any(0))
    return [
        float(xs[0]),
        float(ys[0]),
        float(xs[-1] - xs[0] + 1),
        float(ys[-1] - ys[0] + 1)
    ]


def render_scene(rng: np.random.Generator,
                 size: int = 160,
                 background: Optional[np.ndarray] = None
                 ) -> Tuple[np.ndarray, List[dict]]:
    """Render one random scene.

    Objects are drawn one after the other, each hiding what is below it. A
    placement that would leave this or an earlier object with less than
    :data:`MIN_VISIBLE_FRACTION` of its full area (or fewer than
    :data:`MIN_VISIBLE_PIXELS` pixels) visible is tried again, and the
    object is left out when no placement works.

    Args:
        rng (np.random.Generator): The source of randomness; the scene is
            a pure function of its state.
        size (int): Width and height of the image. Object sizes scale with
            it (about 12 to 70 pixels at the default). Defaults to 160.
        background (np.ndarray, optional): A float ``(size, size, 3)``
            background to draw on (see :func:`background_pool`), shown
            under a random one of its 8 flips and quarter turns. Defaults
            to None: a new background drawn from ``rng``.

    Returns:
        tuple[np.ndarray, list[dict]]: The ``(size, size, 3)`` uint8 RGB
        image and its objects in drawing order, each a dict with ``label``
        (int, index into :data:`CLASSES`), ``bbox`` (``[x, y, w, h]``
        floats, the tight box of the mask) and ``mask`` (``(size, size)``
        bool, the visible pixels).
    """
    if size < 64:
        raise ValueError(f'render_scene: size must be >= 64, got {size}.')
    img = _background(rng, size) if background is None else \
        _posed(rng, background)
    lo, hi = max(8.0, 12.0 * size / 160), 70.0 * size / 160
    labels: List[int] = []
    visible: List[np.ndarray] = []
    full_areas: List[int] = []
    for _ in range(int(rng.integers(2, 7))):
        label = int(rng.integers(len(CLASSES)))
        for _ in range(_MAX_TRIES):
            scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
            if CLASSES[label] == 'bar':
                # At least ~5 px thick: thicker than any distractor stroke.
                scale = max(scale, 2 * lo)
            mask, full_area, geom = _shape_mask(rng, CLASSES[label], size,
                                                scale)
            if not _enough(int(mask.sum()), full_area):
                continue
            if all(
                    _enough(int((vis & ~mask).sum()), area)
                    for vis, area in zip(visible, full_areas)):
                break
        else:
            continue
        colour = _pick_colour(rng, img, mask)
        img[mask] = _shade(rng, mask, geom, colour)[mask]
        visible = [vis & ~mask for vis in visible]
        visible.append(mask)
        labels.append(label)
        full_areas.append(full_area)

    img = _with_noise(rng, img)
    objects = [
        dict(label=label, bbox=_tight_box(vis), mask=vis)
        for label, vis, area in zip(labels, visible, full_areas)
        if _enough(int(vis.sum()), area)
    ]
    return img, objects


def render_object_image(rng: np.random.Generator, size: int,
                        background: np.ndarray) -> np.ndarray:
    """Render one object-centric image, as ImageNet's: one dominant shape
    (:data:`OBJECT_SCALE` of the side, near the centre) of a random class,
    colour, texture and pose, in front of 0 to 2 small distractor shapes, on
    ``background`` (one of a shared pool, under a random flip or turn).

    Returns:
        np.ndarray: The ``(size, size, 3)`` uint8 RGB image.
    """
    img = _posed(rng, background)
    lo = max(8.0, 12.0 * size / 160)
    for _ in range(int(rng.integers(0, 3))):  # small distractors, behind
        name = CLASSES[int(rng.integers(len(CLASSES)))]
        mask, _, geom = _shape_mask(rng, name, size,
                                    rng.uniform(lo, 2 * lo))
        img[mask] = _shade(rng, mask, geom, _pick_colour(rng, img,
                                                         mask))[mask]
    name = CLASSES[int(rng.integers(len(CLASSES)))]
    scale = rng.uniform(*OBJECT_SCALE) * size
    centre = tuple(size / 2 + rng.uniform(-0.1, 0.1, 2) * size)
    mask, _, geom = _shape_mask(rng, name, size, scale, centre)
    img[mask] = _shade(rng, mask, geom, _pick_colour(rng, img, mask))[mask]
    return _with_noise(rng, img)


def _posed(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    """A copy of ``background`` under a random one of its 8 flips and
    quarter turns."""
    img = np.rot90(background, int(rng.integers(4)))
    return (img[:, ::-1] if rng.random() < 0.5 else img).copy()


def _with_noise(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """``img`` (float32, changed in place) with sensor noise, as uint8."""
    img += rng.normal(0, 2.5, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def background_pool(seed: int, num: int, size: int) -> List[np.ndarray]:
    """``num`` backgrounds of :func:`render_scene`, shared by the scenes
    of a split so that a scene's background does not identify it."""
    return [
        _background(np.random.default_rng([seed, len(SPLITS), index]), size)
        for index in range(num)
    ]


def _enough(num_visible: int, full_area: int) -> bool:
    """Whether an object with this visible and full area is kept."""
    return (num_visible >= MIN_VISIBLE_PIXELS
            and num_visible >= MIN_VISIBLE_FRACTION * full_area)


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


def _count_jpgs(folder: str) -> int:
    if not osp.isdir(folder):
        return 0
    return sum(1 for name in os.listdir(folder) if name.endswith('.jpg'))


def generate_demo_data(out_dir: str,
                       num_pretrain: int = 512,
                       num_train: int = 256,
                       num_val: int = 64,
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
            Defaults to 64.
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
            ImageNet, :func:`render_object_image`), or ``'scenes'``,
            cluttered scenes as the detection splits (as COCO); see
            docs/en/demo.md. The detection splits are the same for both.
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
    paths = data_layout(str(out_dir))

    def counts_of(stats: dict) -> dict:
        """The image and instance counts of the returned dict."""
        return dict(
            num_pretrain=num_pretrain,
            num_train=num_train,
            num_val=num_val,
            num_train_instances=stats['num_train_instances'],
            num_val_instances=stats['num_val_instances'])

    counts = dict(
        pretrain_dir=num_pretrain,
        train_img_dir=num_train,
        val_img_dir=num_val)

    if osp.isfile(paths['meta_file']):
        try:
            with open(paths['meta_file'], encoding='utf-8') as f:
                meta = json.load(f)
        except ValueError:  # not JSON: not made here
            meta = None
        if not isinstance(meta, dict):
            meta = {}
        complete = all(
            _count_jpgs(paths[key]) == num for key, num in counts.items()) \
            and osp.isfile(paths['train_ann_file']) \
            and osp.isfile(paths['val_ann_file'])
        if meta.get('params') == params and complete:
            return dict(
                paths,
                **counts_of(meta['stats']),
                classes=CLASSES,
                reused=True)
        if not overwrite:
            old = meta.get('params')
            if not isinstance(old, dict):
                what = 'has an unknown meta.json'
            elif old != params:
                diff = ', '.join(f'{key}={old.get(key)!r} (requested '
                                 f'{value!r})'
                                 for key, value in params.items()
                                 if old.get(key) != value)
                what = f'was made with other parameters: {diff}'
            else:
                what = 'is incomplete (files are missing or were added)'
            raise FileExistsError(
                f'The demo data set in {out_dir!r} {what}. Delete the '
                'folder, choose another output folder, or pass '
                'overwrite=True (--overwrite) to regenerate it.')
    else:
        leftovers = [
            osp.join(out_dir, name)
            for name in ('pretrain', 'train', 'val', 'annotations')
            if osp.exists(osp.join(out_dir, name))
        ]
        if leftovers and not overwrite:
            raise FileExistsError(
                f'{out_dir!r} has no meta.json but already contains '
                f'{leftovers} (an interrupted generation or other data). '
                'Delete them, choose another output folder, or pass '
                'overwrite=True (--overwrite).')

    # Start from a clean slate, so that no stale files mix in.
    if osp.isfile(paths['meta_file']):
        os.remove(paths['meta_file'])
    for name in ('pretrain', 'train', 'val', 'annotations'):
        if osp.isdir(osp.join(out_dir, name)):
            shutil.rmtree(osp.join(out_dir, name))

    os.makedirs(paths['pretrain_dir'], exist_ok=True)
    pool = None if num_backgrounds is None else \
        background_pool(seed, num_backgrounds, size)
    for index in range(num_pretrain):
        rng = _scene_rng(seed, 'pretrain', index)
        background = None if pool is None else \
            pool[int(rng.integers(len(pool)))]
        img = render_object_image(rng, size, background) \
            if pretrain_images == 'objects' else \
            render_scene(rng, size, background)[0]
        _save_jpg(img, osp.join(paths['pretrain_dir'], f'{index:06d}.jpg'))
    num_train_inst, train_per_class = _write_coco_split(
        out_dir, 'train', num_train, size, seed)
    num_val_inst, val_per_class = _write_coco_split(out_dir, 'val', num_val,
                                                    size, seed)
    stats = dict(
        num_train_instances=num_train_inst,
        num_val_instances=num_val_inst,
        train_instances_per_class=dict(zip(CLASSES, train_per_class)),
        val_instances_per_class=dict(zip(CLASSES, val_per_class)))
    _dump_json(
        dict(
            format_version=FORMAT_VERSION,
            generator='mmdetco.demo.scenes',
            params=params,
            stats=stats),
        paths['meta_file'],
        indent=2)
    return dict(paths, **counts_of(stats), classes=CLASSES, reused=False)
