"""The seeded data sets of the train and validate kinds, and the train / validation / test split.

Regression sets have one input, so the fit can be drawn as a curve: y = truth(x) + noise * N(0, 1)
with x uniform on [-1, 1] ([-3, 3] for exp_cos, the course's practice data). Classification sets have two inputs (points in the plane); `noise`
is the standard deviation of Gaussian jitter added to the points after they are labelled.
Every set is a pure function of (name, n, noise, seed, options): NumPy's PCG64 generator
seeded with (seed, DATA_STREAM), so the same arguments give the same arrays, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..i18n import tr

REGRESSION = ("linear", "sine", "poly", "exp_cos")
CLASSIFICATION = ("moons", "circles", "spirals", "xor", "blobs")
IMAGES = ("digits", "shapes")   # image sets (x of shape N x 1 x H x W): core/image_data.py
DATASETS = REGRESSION + CLASSIFICATION + IMAGES

# Sets whose number of classes is a choice (the `classes` option); the others have two.
MULTICLASS = ("spirals", "blobs")
DEFAULT_CLASSES = {"spirals": 2, "blobs": 3}
MAX_CLASSES = 10

DATA_STREAM = 0x5EED_DA7A     # seed stream of the data points
SPLIT_STREAM = 0x5EED_5917    # seed stream of the split's shuffle

# The noiseless generating functions of the regression sets (on x in [-1, 1]).
TRUTHS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: 1.5 * x + 0.5,
    "sine": lambda x: np.sin(math.pi * x),
    "poly": lambda x: 2.0 * x ** 3 - x,
    "exp_cos": lambda x: np.exp(-x ** 2) * np.cos(10.0 * x),
}
FORMULAS = {"linear": "y = 1.5 x + 0.5", "sine": "y = sin(pi x)", "poly": "y = 2 x^3 - x",
            "exp_cos": "y = exp(-x^2) cos(10 x)"}
X_RANGE = {"exp_cos": 3.0}    # x ~ U(-r, r); 1 for the sets not listed


@dataclass
class Dataset:
    name: str
    x: np.ndarray                   # (n, features) float64 inputs
    y: np.ndarray                   # (n,) float64: target, or class index as a float
    n_classes: int                  # 0 = regression, 2 or more = classification
    noise: float
    truth: Callable[[np.ndarray], np.ndarray] | None = None   # regression: the noiseless y of x

    @property
    def features(self) -> int:
        return self.x.shape[1]

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def is_regression(self) -> bool:
        return self.n_classes == 0


def n_classes_of(name: str, classes: int | None = None) -> int:
    """How many classes a set has (0 for regression) before building it."""
    if name in REGRESSION:
        return 0
    if name in IMAGES:
        from .image_data import IMAGE_CLASSES     # image_data builds on this module
        return IMAGE_CLASSES[name]
    if name in MULTICLASS:
        return DEFAULT_CLASSES[name] if classes is None else classes
    return 2


def make_dataset(name: str, n: int, noise: float, seed: int, *, classes: int | None = None) -> Dataset:
    """The data set `name` with n points; `classes` applies to spirals and blobs."""
    if name not in DATASETS:
        raise ValueError(tr("unknown data set {name}", name=repr(name)))
    if name in IMAGES:
        from .image_data import image_set     # image_data builds on this module
        return image_set(name, n, noise, seed)
    rng = np.random.default_rng([seed, DATA_STREAM])
    if name in REGRESSION:
        reach = X_RANGE.get(name, 1.0)
        x = rng.uniform(-reach, reach, n)
        truth = TRUTHS[name]
        y = truth(x) + noise * rng.standard_normal(n)
        return Dataset(name, x[:, None], y, 0, noise, truth)
    k = n_classes_of(name, classes)
    label = np.arange(n) % k                     # balanced classes
    points = _POINTS[name](rng, label, k)
    points = points + noise * rng.standard_normal(points.shape)
    return Dataset(name, points, label.astype(np.float64), k, noise)


def _moons(rng, label, k):
    # Two interleaving half circles, centred on the origin.
    t = rng.uniform(0.0, math.pi, label.size)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return np.where(label[:, None] == 0, upper, lower) - np.array([0.5, 0.25])


def _circles(rng, label, k):
    # Class 0 on the unit circle, class 1 on the circle of radius 0.5 inside it.
    t = rng.uniform(0.0, 2.0 * math.pi, label.size)
    radius = np.where(label == 0, 1.0, 0.5)
    return radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)


def _spirals(rng, label, k):
    # k interleaved arms, each turning 1.5 times around the origin as the radius grows.
    r = rng.uniform(0.05, 1.0, label.size)
    angle = 2.0 * math.pi * label / k + 3.0 * math.pi * r
    return r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _xor(rng, label, k):
    # Uniform on the square; class 1 where the coordinates share their sign (the labels are re-drawn
    # from the points, so the classes are only nearly balanced).
    points = rng.uniform(-1.0, 1.0, (label.size, 2))
    label[:] = (points[:, 0] * points[:, 1] > 0.0)
    return points


def _blobs(rng, label, k):
    # Round Gaussian blobs (std 0.25 plus the noise) centred on the unit circle.
    angle = 2.0 * math.pi * label / k
    centres = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + 0.25 * rng.standard_normal((label.size, 2))


_POINTS = {"moons": _moons, "circles": _circles, "spirals": _spirals, "xor": _xor, "blobs": _blobs}


def split_sizes(n: int, split) -> tuple[int, int, int]:
    """(train, validation, test) sizes: validation and test rounded from their fractions, train the rest."""
    n_val = int(round(n * split[1]))
    n_test = int(round(n * split[2]))
    return n - n_val - n_test, n_val, n_test


def split_indices(n: int, split, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded shuffle of 0..n-1 cut into (train, validation, test) index arrays by the fractions."""
    n_train, n_val, _ = split_sizes(n, split)
    order = np.random.default_rng([seed, SPLIT_STREAM]).permutation(n)
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
