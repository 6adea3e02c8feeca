# Copyright (c) mmdetco contributors. All rights reserved.
"""The images of the demo data set: cluttered scenes of shapes, with the
visible mask and box of each object, and object-centric images."""
from typing import List, Optional, Tuple

import numpy as np

from .shapes import CLASSES, shape_mask
from .textures import draw_background, object_texture, pick_colour

#: A shape is dropped (not drawn, or not annotated) when less than this
#: fraction of its full area or fewer than this many pixels stay visible.
MIN_VISIBLE_FRACTION = 0.3
MIN_VISIBLE_PIXELS = 40

#: The side of the dominant shape of an object-centric pre-training image,
#: as a fraction of the image side (:func:`render_object_image`).
OBJECT_SCALE = (0.45, 0.8)
_MAX_TRIES = 20


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
            background to draw on (see
            :func:`mmdetco_demo.scenes.background_pool`), shown under a
            random one of its 8 flips and quarter turns. Defaults to None: a
            new background drawn from ``rng``.

    Returns:
        tuple[np.ndarray, list[dict]]: The ``(size, size, 3)`` uint8 RGB
        image and its objects in drawing order, each a dict with ``label``
        (int, index into :data:`CLASSES`), ``bbox`` (``[x, y, w, h]``
        floats, the tight box of the mask) and ``mask`` (``(size, size)``
        bool, the visible pixels).
    """
    if size < 64:
        raise ValueError(f'render_scene: size must be >= 64, got {size}.')
    img = draw_background(rng, size) if background is None else \
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
            mask, full_area, geom = shape_mask(rng, CLASSES[label], size,
                                               scale)
            if not _enough(int(mask.sum()), full_area):
                continue
            if all(
                    _enough(int((vis & ~mask).sum()), area)
                    for vis, area in zip(visible, full_areas)):
                break
        else:
            continue
        colour = pick_colour(rng, img, mask)
        img[mask] = object_texture(rng, mask, geom, colour)[mask]
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
        mask, _, geom = shape_mask(rng, name, size, rng.uniform(lo, 2 * lo))
        img[mask] = object_texture(rng, mask, geom,
                                   pick_colour(rng, img, mask))[mask]
    name = CLASSES[int(rng.integers(len(CLASSES)))]
    scale = rng.uniform(*OBJECT_SCALE) * size
    centre = tuple(size / 2 + rng.uniform(-0.1, 0.1, 2) * size)
    mask, _, geom = shape_mask(rng, name, size, scale, centre)
    img[mask] = object_texture(rng, mask, geom, pick_colour(rng, img,
                                                            mask))[mask]
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


def _enough(num_visible: int, full_area: int) -> bool:
    """Whether an object with this visible and full area is kept."""
    return (num_visible >= MIN_VISIBLE_PIXELS
            and num_visible >= MIN_VISIBLE_FRACTION * full_area)
