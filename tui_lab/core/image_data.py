"""Image data sets: the shipped `digits` (UCI optical recognition of handwritten digits, 8x8 grey).

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

IMAGE_SETS = ("digits",)
IMAGE_SHAPES = {"digits": (1, 8, 8)}
IMAGE_SIZES = {"digits": 1797}          # images available
IMAGE_CLASSES = {"digits": 10}
CLASS_NAMES = {"digits": tuple("0123456789")}
PIXEL_MAX = 16.0


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    with resources.files("tui_lab").joinpath("data/digits.npz").open("rb") as fh, np.load(fh) as archive:
        return archive["images"].copy(), archive["labels"].copy()


def image_set(name: str, n: int, noise: float, seed: int) -> Dataset:
    """The image set `name` with n images (a seeded subset when fewer than all), x of shape (n, 1, H, W)."""
    images, labels = _digits()
    rng = np.random.default_rng([seed, DATA_STREAM])
    pick = np.arange(images.shape[0]) if n >= images.shape[0] else np.sort(rng.permutation(images.shape[0])[:n])
    x = images[pick, None].astype(np.float64) / PIXEL_MAX
    if noise > 0.0:
        x = x + noise * rng.standard_normal(x.shape)
    return Dataset(name, np.ascontiguousarray(x), labels[pick].astype(np.float64), IMAGE_CLASSES[name], noise)


def flattened(data: Dataset) -> Dataset:
    """The same images as rows of H*W*C features, as a dense model (mlp, logistic) sees them."""
    return Dataset(data.name, np.ascontiguousarray(data.x.reshape(data.n, -1)), data.y, data.n_classes, data.noise)


__all__ = ["CLASS_NAMES", "IMAGE_CLASSES", "IMAGE_SETS", "IMAGE_SHAPES", "IMAGE_SIZES", "flattened", "image_set"]
