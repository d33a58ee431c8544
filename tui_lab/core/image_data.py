"""Image data sets: the shipped `digits` (UCI optical recognition of handwritten digits, 8x8 grey) and
the generated `shapes` (squares, discs and plus signs of random size and place, 12x12).

The images ship in tui_lab/data/digits.npz as pixel counts 0..16 (uint8); the lab scales them to
[0, 1] (count / 16), so 0 is blank paper and 1 a fully inked cell. `n` below the 1,797 available
takes a seeded random subset; `noise` adds seeded Gaussian noise of that standard deviation to every
pixel (0 by default for image sets). x has shape N x 1 x H x W; y the digit as a float, like the
other classification sets. Licence: CC BY 4.0, see tui_lab/data/LICENSE-digits.txt.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from .datasets import DATA_STREAM, Dataset

IMAGE_SETS = ("digits", "shapes")
IMAGE_SHAPES = {"digits": (1, 8, 8), "shapes": (1, 12, 12)}
IMAGE_SIZES = {"digits": 1797, "shapes": 600}           # default n
IMAGE_MAX_N = {"digits": 1797, "shapes": 20_000}        # digits: the images shipped; shapes: generated
IMAGE_NOISE = {"digits": 0.0, "shapes": 0.1}            # default noise
IMAGE_CLASSES = {"digits": 10, "shapes": 3}
CLASS_NAMES = {"digits": tuple("0123456789"), "shapes": ("square", "disc", "plus")}
PIXEL_MAX = 16.0


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    with resources.files("tui_lab").joinpath("data/digits.npz").open("rb") as fh, np.load(fh) as archive:
        return archive["images"].copy(), archive["labels"].copy()


def image_set(name: str, n: int, noise: float, seed: int) -> Dataset:
    """The image set `name` with n images, x of shape (n, 1, H, W): for digits a seeded subset when fewer
    than all, for shapes n freshly drawn ones."""
    rng = np.random.default_rng([seed, DATA_STREAM])
    if name == "shapes":
        x, labels = _shapes(rng, n)
    else:
        images, digits = _digits()
        pick = np.arange(images.shape[0]) if n >= images.shape[0] else np.sort(rng.permutation(images.shape[0])[:n])
        x, labels = images[pick, None].astype(np.float64) / PIXEL_MAX, digits[pick]
    if noise > 0.0:
        x = x + noise * rng.standard_normal(x.shape)
    return Dataset(name, np.ascontiguousarray(x), labels.astype(np.float64), IMAGE_CLASSES[name], noise)


def _shapes(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """12x12 images of one white shape on black, classes in turn: 0 a square outline, 1 a filled disc,
    2 a plus sign; each of a random side from 4 to 8 pixels at a random place where it fits whole."""
    _, h, w = IMAGE_SHAPES["shapes"]
    labels = np.arange(n) % 3
    x = np.zeros((n, 1, h, w))
    sides = rng.integers(4, 9, n)
    for i, (label, side) in enumerate(zip(labels, sides)):
        top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        y, xx = np.mgrid[0:side, 0:side]
        if label == 0:
            mask = (y == 0) | (y == side - 1) | (xx == 0) | (xx == side - 1)
        elif label == 1:
            centre = (side - 1) / 2
            mask = (y - centre) ** 2 + (xx - centre) ** 2 <= (side / 2) ** 2
        else:
            mask = (y == side // 2) | (xx == side // 2)
        x[i, 0, top:top + side, left:left + side] = mask
    return x, labels


def flattened(data: Dataset) -> Dataset:
    """The same images as rows of H*W*C features, as a dense model (mlp, logistic) sees them."""
    return Dataset(data.name, np.ascontiguousarray(data.x.reshape(data.n, -1)), data.y, data.n_classes, data.noise)


__all__ = ["CLASS_NAMES", "IMAGE_CLASSES", "IMAGE_MAX_N", "IMAGE_NOISE", "IMAGE_SETS", "IMAGE_SHAPES", "IMAGE_SIZES",
           "flattened", "image_set"]
