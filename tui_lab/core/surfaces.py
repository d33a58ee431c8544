"""The 2-D loss surfaces: exact formulas of the spec, analytic gradients, default starts,
known minima and a plot window each.

`value_grad(sid, x, y, prm)` evaluates an analytic surface; `linreg` is data-driven and is
evaluated by `linreg_value_grad` over a subset of its data points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numba import njit

from ..i18n import N_
from .kernels import kernel
from .rng import normal, stream_key, uniform

(ROSENBROCK, BEALE, HIMMELBLAU, BOOTH, RASTRIGIN, ACKLEY, QUADRATIC, SADDLE,
 GOLDSTEIN_PRICE, STYBLINSKI_TANG, LINREG) = range(11)

_TWO_PI = 2.0 * math.pi


@njit(cache=True, nogil=True)
def value_grad(sid, x, y, prm):
    """(f, df/dx, df/dy) of an analytic surface; prm holds its parameters in spec order."""
    if sid == ROSENBROCK:
        a, b = prm[0], prm[1]
        r = y - x * x
        return (a - x) * (a - x) + b * r * r, -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r
    if sid == BEALE:
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y * y
        t3 = 2.625 - x + x * y * y * y
        f = t1 * t1 + t2 * t2 + t3 * t3
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y * y - 1.0) + t3 * (y * y * y - 1.0))
        gy = 2.0 * (t1 * x + t2 * 2.0 * x * y + t3 * 3.0 * x * y * y)
        return f, gx, gy
    if sid == HIMMELBLAU:
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        return u * u + v * v, 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v
    if sid == BOOTH:
        u = x + 2.0 * y - 7.0
        v = 2.0 * x + y - 5.0
        return u * u + v * v, 2.0 * u + 4.0 * v, 4.0 * u + 2.0 * v
    if sid == RASTRIGIN:
        A = prm[0]
        f = 2.0 * A + x * x - A * math.cos(_TWO_PI * x) + y * y - A * math.cos(_TWO_PI * y)
        return f, 2.0 * x + _TWO_PI * A * math.sin(_TWO_PI * x), 2.0 * y + _TWO_PI * A * math.sin(_TWO_PI * y)
    if sid == ACKLEY:
        r = math.sqrt(0.5 * (x * x + y * y))
        e1 = math.exp(-0.2 * r)
        e2 = math.exp(0.5 * (math.cos(_TWO_PI * x) + math.cos(_TWO_PI * y)))
        f = -20.0 * e1 - e2 + math.e + 20.0
        # d/dx of -20 exp(-0.2 r) is 2 x exp(-0.2 r) / r; at r = 0 the subgradient 0 is used.
        c = 2.0 * e1 / r if r > 0.0 else 0.0
        return f, c * x + math.pi * math.sin(_TWO_PI * x) * e2, c * y + math.pi * math.sin(_TWO_PI * y) * e2
    if sid == QUADRATIC:
        kappa = prm[0]
        return 0.5 * (x * x + kappa * y * y), x, kappa * y
    if sid == SADDLE:
        return x * x - y * y, 2.0 * x, -2.0 * y
    if sid == GOLDSTEIN_PRICE:
        s = x + y + 1.0
        q1 = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
        A = 1.0 + s * s * q1
        d = 2.0 * x - 3.0 * y
        q2 = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
        B = 30.0 + d * d * q2
        Ax = 2.0 * s * q1 + s * s * (-14.0 + 6.0 * x + 6.0 * y)
        Ay = 2.0 * s * q1 + s * s * (-14.0 + 6.0 * x + 6.0 * y)
        Bx = 4.0 * d * q2 + d * d * (-32.0 + 24.0 * x - 36.0 * y)
        By = -6.0 * d * q2 + d * d * (48.0 - 36.0 * x + 54.0 * y)
        return A * B, Ax * B + A * Bx, Ay * B + A * By
    if sid == STYBLINSKI_TANG:
        # integer powers written as the products Numba compiles them to, so interpreted runs match
        x2, y2 = x * x, y * y
        f = 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x + y2 * y2 - 16.0 * y2 + 5.0 * y)
        return f, 2.0 * (x * x * x) - 16.0 * x + 2.5, 2.0 * (y * y * y) - 16.0 * y + 2.5
    return math.nan, math.nan, math.nan


@njit(cache=True, nogil=True)
def linreg_value_grad(w, b, xs, ys, idx, start, stop):
    """Mean squared error of w*x + b over the points idx[start:stop], and its gradient."""
    f = 0.0
    gw = 0.0
    gb = 0.0
    for k in range(start, stop):
        i = idx[k]
        r = w * xs[i] + b - ys[i]
        f += r * r
        gw += r * xs[i]
        gb += r
    m = stop - start
    return f / m, 2.0 * gw / m, 2.0 * gb / m


@njit(cache=True, nogil=True)
def grid_values(sid, prm, xs, ys, data_x, data_y, out):
    """The surface on a grid: out[j, i] = f(xs[i], ys[j]) (for contours and heatmaps)."""
    idx = np.arange(data_x.shape[0])
    for j in range(ys.shape[0]):
        for i in range(xs.shape[0]):
            if sid == LINREG:
                out[j, i] = linreg_value_grad(xs[i], ys[j], data_x, data_y, idx, 0, idx.shape[0])[0]
            else:
                out[j, i] = value_grad(sid, xs[i], ys[j], prm)[0]


@njit(cache=True, nogil=True)
def make_linreg_data(seed, n, noise, slope, intercept, xs, ys):
    """x ~ U(-1, 3) (its non-zero mean makes the (w, b) valley tilted), y = slope x + intercept + noise."""
    key = stream_key(seed, 7001)
    for i in range(n):
        xs[i] = -1.0 + 4.0 * uniform(key, i)
        ys[i] = slope * xs[i] + intercept + noise * normal(key, n + i)


@dataclass(frozen=True)
class SurfaceSpec:
    name: str
    sid: int
    formula: str
    start: tuple[float, float]
    window: tuple[float, float, float, float]          # x_min, x_max, y_min, y_max
    params: dict[str, float] = field(default_factory=dict)
    minima: Callable[[dict], list[list[float]]] = lambda prm: []
    data_driven: bool = False


SURFACES: dict[str, SurfaceSpec] = {s.name: s for s in (
    SurfaceSpec("rosenbrock", ROSENBROCK, "(a-x)^2 + b(y-x^2)^2", (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0),
                {"a": 1.0, "b": 100.0}, lambda p: [[p["a"], p["a"] ** 2]]),
    SurfaceSpec("beale", BEALE, "(1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2", (1.0, 1.5),
                (-4.5, 4.5, -4.5, 4.5), minima=lambda p: [[3.0, 0.5]]),
    SurfaceSpec("himmelblau", HIMMELBLAU, "(x^2+y-11)^2 + (x+y^2-7)^2", (0.0, 0.0), (-5.0, 5.0, -5.0, 5.0),
                minima=lambda p: [[3.0, 2.0], [-2.805118086952745, 3.131312518250573],
                                  [-3.779310253377747, -3.283185991286170], [3.584428340330492, -1.848126526964404]]),
    SurfaceSpec("booth", BOOTH, "(x+2y-7)^2 + (2x+y-5)^2", (-6.0, -4.0), (-10.0, 10.0, -10.0, 10.0),
                minima=lambda p: [[1.0, 3.0]]),
    SurfaceSpec("rastrigin", RASTRIGIN, "2A + x^2 - A cos(2 pi x) + y^2 - A cos(2 pi y)", (3.3, -2.6),
                (-5.12, 5.12, -5.12, 5.12), {"A": 10.0}, lambda p: [[0.0, 0.0]]),
    SurfaceSpec("ackley", ACKLEY, "-20 exp(-0.2 sqrt(0.5(x^2+y^2))) - exp(0.5(cos 2 pi x + cos 2 pi y)) + e + 20",
                (3.5, -2.5), (-5.0, 5.0, -5.0, 5.0), minima=lambda p: [[0.0, 0.0]]),
    SurfaceSpec("quadratic", QUADRATIC, "0.5 (x^2 + kappa y^2)", (-4.0, 1.5), (-5.0, 5.0, -2.5, 2.5),
                {"kappa": 10.0}, lambda p: [[0.0, 0.0]]),
    SurfaceSpec("saddle", SADDLE, "x^2 - y^2", (-1.5, 0.01), (-2.0, 2.0, -2.0, 2.0)),
    SurfaceSpec("goldstein_price", GOLDSTEIN_PRICE, "Goldstein-Price", (0.5, 1.5), (-2.0, 2.0, -3.0, 1.0),
                minima=lambda p: [[0.0, -1.0]]),
    SurfaceSpec("styblinski_tang", STYBLINSKI_TANG, "0.5 (x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)", (0.5, 4.5),
                (-5.0, 5.0, -5.0, 5.0), minima=lambda p: [[-2.903534027771178, -2.903534027771178]]),
    SurfaceSpec("linreg", LINREG, N_("mean((w x + b - y)^2) over the data"), (-2.0, 3.0), (-3.0, 5.0, -4.0, 4.0),
                {"slope": 2.0, "intercept": -1.0}, data_driven=True),
)}

LINREG_DATA_DEFAULTS = {"n": 100, "noise": 0.5}


@dataclass
class Surface:
    """A surface with its parameters resolved (and, for linreg, its data drawn)."""

    spec: SurfaceSpec
    params: dict[str, float]
    start: tuple[float, float]
    data_x: np.ndarray
    data_y: np.ndarray

    @classmethod
    def build(cls, name: str, params: dict | None = None, start=None, seed: int = 0,
              n: int = LINREG_DATA_DEFAULTS["n"], noise: float = LINREG_DATA_DEFAULTS["noise"]) -> "Surface":
        spec = SURFACES[name]
        resolved = {**spec.params, **(params or {})}
        data_x = np.zeros(n if spec.data_driven else 0)
        data_y = np.zeros_like(data_x)
        if spec.data_driven:
            kernel(make_linreg_data)(seed, n, noise, resolved["slope"], resolved["intercept"], data_x, data_y)
        return cls(spec, resolved, tuple(start) if start is not None else spec.start, data_x, data_y)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def sid(self) -> int:
        return self.spec.sid

    @property
    def prm(self) -> np.ndarray:
        return np.array(list(self.params.values()) or [0.0], dtype=np.float64)

    def minima(self) -> list[list[float]]:
        if self.spec.data_driven:   # the least-squares fit of this data set
            design = np.column_stack([self.data_x, np.ones_like(self.data_x)])
            return [np.linalg.lstsq(design, self.data_y, rcond=None)[0].tolist()]
        return self.spec.minima(self.params)

    def window(self) -> tuple[float, float, float, float]:
        if not self.spec.data_driven:
            return self.spec.window
        (w, b), = self.minima()
        return (w - 4.0, w + 4.0, b - 4.0, b + 4.0)

    def grid(self, nx: int, ny: int, window=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x0, x1, y0, y1 = window or self.window()
        xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
        out = np.empty((ny, nx))
        kernel(grid_values)(self.sid, self.prm, xs, ys, self.data_x, self.data_y, out)
        return xs, ys, out

    def value_grad(self, x: float, y: float) -> tuple[float, float, float]:
        if self.spec.data_driven:
            idx = np.arange(self.data_x.shape[0])
            return kernel(linreg_value_grad)(x, y, self.data_x, self.data_y, idx, 0, idx.shape[0])
        return kernel(value_grad)(self.sid, x, y, self.prm)
