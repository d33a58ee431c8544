"""Contour lines of a sampled surface, for terminal plots.

`contour_segments` runs marching squares over a grid of values (once per surface and window);
`raster_points` turns the segments into the centres of the braille dots they cross (once per
plot size), so a plot draws a few thousand points however fine the grid is.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _cross(v0, v1, level):
    """Where between two corners (0..1) the value reaches level."""
    d = v1 - v0
    if d == 0.0:
        return 0.5
    return (level - v0) / d


@njit(cache=True, nogil=True)
def _march(xs, ys, z, levels, out):
    """Marching squares; writes segments (x0, y0, x1, y1, level index) to out, returns the count.

    Corners: a=(i, j), b=(i, j+1), c=(i+1, j+1), d=(i+1, j) with z[i, j] at (xs[j], ys[i]).
    Saddle cells are split by the cell's mean value. Non-finite cells are skipped.
    """
    ny, nx = z.shape
    count = 0
    ex = np.empty(4)
    ey = np.empty(4)
    for li in range(levels.shape[0]):
        lev = levels[li]
        for i in range(ny - 1):
            y0, y1 = ys[i], ys[i + 1]
            for j in range(nx - 1):
                x0, x1 = xs[j], xs[j + 1]
                va, vb, vc, vd = z[i, j], z[i, j + 1], z[i + 1, j + 1], z[i + 1, j]
                if not (np.isfinite(va) and np.isfinite(vb) and np.isfinite(vc) and np.isfinite(vd)):
                    continue
                code = (va > lev) * 1 + (vb > lev) * 2 + (vc > lev) * 4 + (vd > lev) * 8
                if code == 0 or code == 15:
                    continue
                # crossing points on the four edges: bottom (a-b), right (b-c), top (d-c), left (a-d)
                n = 0
                if (va > lev) != (vb > lev):
                    ex[n] = x0 + _cross(va, vb, lev) * (x1 - x0)
                    ey[n] = y0
                    n += 1
                if (vb > lev) != (vc > lev):
                    ex[n] = x1
                    ey[n] = y0 + _cross(vb, vc, lev) * (y1 - y0)
                    n += 1
                if (vd > lev) != (vc > lev):
                    ex[n] = x0 + _cross(vd, vc, lev) * (x1 - x0)
                    ey[n] = y1
                    n += 1
                if (va > lev) != (vd > lev):
                    ex[n] = x0
                    ey[n] = y0 + _cross(va, vd, lev) * (y1 - y0)
                    n += 1
                if count + 2 > out.shape[0]:
                    return count
                if n == 2:
                    out[count, 0], out[count, 1], out[count, 2], out[count, 3] = ex[0], ey[0], ex[1], ey[1]
                    out[count, 4] = li
                    count += 1
                elif n == 4:
                    # saddle: join the crossings so the side of the mean value stays connected
                    centre_high = 0.25 * (va + vb + vc + vd) > lev
                    if centre_high == (va > lev):   # a and c connect through the centre: cut off b (bottom, right) and d (top, left)
                        out[count, 0], out[count, 1], out[count, 2], out[count, 3] = ex[0], ey[0], ex[1], ey[1]
                        out[count + 1, 0], out[count + 1, 1] = ex[2], ey[2]
                        out[count + 1, 2], out[count + 1, 3] = ex[3], ey[3]
                    else:
                        out[count, 0], out[count, 1], out[count, 2], out[count, 3] = ex[0], ey[0], ex[3], ey[3]
                        out[count + 1, 0], out[count + 1, 1] = ex[1], ey[1]
                        out[count + 1, 2], out[count + 1, 3] = ex[2], ey[2]
                    out[count, 4] = li
                    out[count + 1, 4] = li
                    count += 2
    return count


def contour_segments(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: np.ndarray,
                     max_segments: int = 400_000) -> np.ndarray:
    """Line segments (x0, y0, x1, y1, level index) of z (shape ny x nx over ys x xs) at each level."""
    out = np.empty((max_segments, 5))
    count = _march(np.asarray(xs, np.float64), np.asarray(ys, np.float64), np.asarray(z, np.float64),
                   np.asarray(levels, np.float64), out)
    return out[:count].copy()


def contour_levels(z: np.ndarray, count: int = 12) -> np.ndarray:
    """Levels at evenly spaced quantiles of the finite values: lines stay evenly spread over the
    picture whether the surface is a gentle bowl or has walls a million times higher than its floor."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.empty(0)
    levels = np.unique(np.quantile(finite, np.linspace(0.01, 0.92, count) ** 2))
    return levels


@njit(cache=True, nogil=True, inline="always")
def _clip(ax, ay, bx, by, width, height):
    """Liang-Barsky: the part of segment a-b inside [0, width] x [0, height] as (t0, t1), t0 > t1 if none.
    Keeps a diverging path's last, enormous segment from costing billions of sub-steps."""
    t0, t1 = 0.0, 1.0
    dx, dy = bx - ax, by - ay
    for p, q in ((-dx, ax), (dx, width - ax), (-dy, ay), (dy, height - ay)):
        if p == 0.0:
            if q < 0.0:
                return 1.0, 0.0
        else:
            r = q / p
            if p < 0.0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
    return t0, t1


@njit(cache=True, nogil=True)
def _raster(segs, x0, x1, y0, y1, width, height, mask):
    sx = width / (x1 - x0)
    sy = height / (y1 - y0)
    for s in range(segs.shape[0]):
        ax, ay = (segs[s, 0] - x0) * sx, (segs[s, 1] - y0) * sy
        bx, by = (segs[s, 2] - x0) * sx, (segs[s, 3] - y0) * sy
        if not (np.isfinite(ax) and np.isfinite(ay) and np.isfinite(bx) and np.isfinite(by)):
            continue
        t0, t1 = _clip(ax, ay, bx, by, width, height)
        if t0 > t1:
            continue
        ax, ay, bx, by = ax + t0 * (bx - ax), ay + t0 * (by - ay), ax + t1 * (bx - ax), ay + t1 * (by - ay)
        n = int(max(abs(bx - ax), abs(by - ay)) * 2.0) + 1
        for k in range(n + 1):
            f = k / n
            cx = int(ax + f * (bx - ax))
            cy = int(ay + f * (by - ay))
            if 0 <= cx < width and 0 <= cy < height:
                mask[cy, cx] = True


def raster_points(segs: np.ndarray, window, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres (x, y) of the cells of a width x height grid over window that the segments cross."""
    x0, x1, y0, y1 = window
    mask = np.zeros((max(height, 1), max(width, 1)), dtype=np.bool_)
    _raster(segs, x0, x1, y0, y1, width, height, mask)
    iy, ix = np.nonzero(mask)
    return x0 + (ix + 0.5) * (x1 - x0) / width, y0 + (iy + 0.5) * (y1 - y0) / height
