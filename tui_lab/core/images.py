"""Small built-in pictures for the convolution lab, drawn procedurally (no image files to ship).

Each picture is an RGB array (3, H, W) of floats in [0, 1]; `gray` turns it into one channel.
They have flat areas, straight and curved edges and fine detail, so blur, sharpen, edge and Sobel
kernels each show something different.
"""

from __future__ import annotations

import numpy as np

HEIGHT, WIDTH = 24, 32


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return y, x


def scene(h: int = HEIGHT, w: int = WIDTH) -> np.ndarray:
    """A landscape: sky gradient, sun, a hill, a house with a door and a window."""
    y, x = _grid(h, w)
    rgb = np.empty((3, h, w))
    sky = y / h
    rgb[0], rgb[1], rgb[2] = 0.35 + 0.4 * sky, 0.55 + 0.35 * sky, 0.95 - 0.1 * sky
    sun = (y - 0.22 * h) ** 2 + (x - 0.8 * w) ** 2 < (0.14 * h) ** 2
    rgb[:, sun] = np.array([1.0, 0.9, 0.3])[:, None]
    hill = y > 0.62 * h - 0.12 * h * np.sin(np.pi * x / w)
    rgb[:, hill] = np.array([0.2, 0.6, 0.25])[:, None] * (0.8 + 0.2 * np.cos(x[hill] * 0.9))
    top, left, size = int(0.42 * h), int(0.18 * w), int(0.3 * h)
    house = (y >= top) & (y < top + size) & (x >= left) & (x < left + size)
    rgb[:, house] = np.array([0.8, 0.25, 0.2])[:, None]
    roof = (y < top) & (y >= top - size // 2) & (np.abs(x - (left + size / 2 - 0.5)) <= (y - top + size // 2) * 1.0)
    rgb[:, roof] = np.array([0.35, 0.2, 0.15])[:, None]
    door = house & (x >= left + size // 2 - 1) & (x < left + size // 2 + 1) & (y >= top + size // 2)
    rgb[:, door] = 0.15
    window = house & (x >= left + 1) & (x < left + 3) & (y >= top + 1) & (y < top + 3)
    rgb[:, window] = np.array([0.9, 0.95, 1.0])[:, None]
    return rgb


def checker(h: int = HEIGHT, w: int = WIDTH, cell: int = 4) -> np.ndarray:
    """Black and white squares: sharp horizontal and vertical edges."""
    y, x = _grid(h, w)
    value = ((y // cell + x // cell) % 2).astype(np.float64)
    return np.repeat(value[None], 3, axis=0)


def rings(h: int = HEIGHT, w: int = WIDTH) -> np.ndarray:
    """Concentric rings, coloured by angle: edges in every direction."""
    y, x = _grid(h, w)
    r = np.hypot(y - h / 2, x - w / 2)
    angle = np.arctan2(y - h / 2, x - w / 2)
    shade = 0.5 + 0.5 * np.cos(r * 1.2)
    return np.stack([shade * (0.6 + 0.4 * np.cos(angle)), shade * (0.6 + 0.4 * np.sin(angle)), shade])


PICTURES = {"scene": scene, "checker": checker, "rings": rings}


def picture(name: str) -> np.ndarray:
    """The named picture as RGB (3, H, W) in [0, 1]."""
    return np.clip(PICTURES[name](), 0.0, 1.0)


def gray(rgb: np.ndarray) -> np.ndarray:
    """Luminance (Rec. 601 weights) of an RGB (3, H, W) array: (H, W)."""
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
