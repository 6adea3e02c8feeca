# Copyright (c) mmdetco contributors. All rights reserved.
"""The colours and textures of the demo images: cluttered backgrounds and
the shaded, textured surface of an object."""
import colorsys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


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


def draw_background(rng: np.random.Generator, size: int) -> np.ndarray:
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


def object_texture(rng: np.random.Generator, mask: np.ndarray, geom: dict,
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


def pick_colour(rng: np.random.Generator, img: np.ndarray,
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
