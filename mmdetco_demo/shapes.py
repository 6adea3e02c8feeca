# Copyright (c) mmdetco contributors. All rights reserved.
"""The shapes of the demo images: their outlines and rasterised masks."""
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw

#: The shape classes, in label order (COCO category id = label + 1).
CLASSES = ('circle', 'square', 'triangle', 'ring', 'cross', 'star', 'ellipse',
           'bar')


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


def shape_mask(rng: np.random.Generator,
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
