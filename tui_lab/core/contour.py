"""Contour lines of a sampled surface, for terminal plots, in plain NumPy.

`contour_segments` runs marching squares over a grid of values (once per surface and window),
`rasterise_segments` sets the cells a set of segments crosses in a boolean grid, and
`raster_points` turns segments into the centres of those cells. All of it is vectorised NumPy
rather than compiled code, so the first picture of a fresh install needs no compiler.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .surfaces import grid_values, linreg_value_grad, value_grad


def _cross(v0: np.ndarray, v1: np.ndarray, level: float) -> np.ndarray:
    """Where between two corners (0..1) the value reaches level (0.5 where they are equal)."""
    d = v1 - v0
    same = d == 0.0
    return np.where(same, 0.5, (level - v0) / np.where(same, 1.0, d))


def sample_surface(surface, nx: int, ny: int, window=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z) with z[j, i] = f(xs[i], ys[j]) over the window, as `Surface.grid` gives it; while
    the compiled kernels are still building (first start) an analytic surface is evaluated on the
    whole grid at once with NumPy, so the first contour does not wait for them."""
    if kernels.ready(grid_values):
        return surface.grid(nx, ny, window)
    x0, x1, y0, y1 = window or surface.window()
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    gx, gy = np.meshgrid(xs, ys)
    try:
        with np.errstate(all="ignore"):
            if surface.spec.data_driven:
                idx = np.arange(surface.data_x.shape[0])
                z = kernels.vectorised(linreg_value_grad)(gx, gy, surface.data_x, surface.data_y, idx, 0, idx.shape[0])[0]
            else:
                z = kernels.vectorised(value_grad)(surface.sid, gx, gy, surface.prm)[0]
            z = np.broadcast_to(z, gx.shape)
    except (ValueError, TypeError):            # a surface that branches on x, y: point by point
        return surface.grid(nx, ny, window)
    return xs, ys, np.array(z, dtype=np.float64)


def contour_segments(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: np.ndarray,
                     max_segments: int = 400_000) -> np.ndarray:
    """Line segments (x0, y0, x1, y1, level index) of z (shape ny x nx over ys x xs) at each level.

    Corners of cell (i, j): a=(i, j), b=(i, j+1), c=(i+1, j+1), d=(i+1, j) with z[i, j] at
    (xs[j], ys[i]). Crossings are taken on the edges bottom (a-b), right (b-c), top (d-c), left
    (a-d), in that order; saddle cells are split by the cell's mean value. Cells with a
    non-finite corner are skipped.
    """
    xs, ys, z = np.asarray(xs, np.float64), np.asarray(ys, np.float64), np.asarray(z, np.float64)
    va, vb, vc, vd = z[:-1, :-1], z[:-1, 1:], z[1:, 1:], z[1:, :-1]
    finite = np.isfinite(va) & np.isfinite(vb) & np.isfinite(vc) & np.isfinite(vd)
    x0, x1 = xs[None, :-1], xs[None, 1:]
    y0, y1 = ys[:-1, None], ys[1:, None]
    out = []
    count = 0
    with np.errstate(invalid="ignore", over="ignore"):
        for li, lev in enumerate(np.asarray(levels, np.float64)):
            ha, hb, hc, hd = va > lev, vb > lev, vc > lev, vd > lev
            flags = np.stack([ha != hb, hb != hc, hd != hc, ha != hd]) & finite
            n = flags.sum(axis=0)
            if not n.any():
                continue
            ex = np.stack([x0 + _cross(va, vb, lev) * (x1 - x0), np.broadcast_to(x1, va.shape),
                           x0 + _cross(vd, vc, lev) * (x1 - x0), np.broadcast_to(x0, va.shape)])
            ey = np.stack([np.broadcast_to(y0, va.shape), y0 + _cross(vb, vc, lev) * (y1 - y0),
                           np.broadcast_to(y1, va.shape), y0 + _cross(va, vd, lev) * (y1 - y0)])
            order = np.argsort(~flags, axis=0, kind="stable")        # crossing edges first, in edge order
            px = np.take_along_axis(ex, order, axis=0)
            py = np.take_along_axis(ey, order, axis=0)
            two = n == 2
            four = n == 4
            centre_high = 0.25 * (va + vb + vc + vd) > lev
            joined = four & (centre_high == ha)     # a and c connect through the centre
            apart = four & ~joined
            pieces = [(two, 0, 1), (joined, 0, 1), (joined, 2, 3), (apart, 0, 3), (apart, 1, 2)]
            for where, p, q in pieces:
                if where.any():
                    seg = np.column_stack([px[p][where], py[p][where], px[q][where], py[q][where],
                                           np.full(int(where.sum()), float(li))])
                    out.append(seg)
                    count += len(seg)
            if count >= max_segments:
                break
    if not out:
        return np.empty((0, 5))
    return np.concatenate(out)[:max_segments]


def contour_levels(z: np.ndarray, count: int = 12) -> np.ndarray:
    """Levels at evenly spaced quantiles of the finite values: lines stay evenly spread over the
    picture whether the surface is a gentle bowl or has walls a million times higher than its floor."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.empty(0)
    levels = np.unique(np.quantile(finite, np.linspace(0.01, 0.92, count) ** 2))
    return levels


def rasterise_segments(ax, ay, bx, by, mask: np.ndarray) -> np.ndarray:
    """Set the cells of mask (rows x columns, coordinates in cells) along segments (ax, ay)-(bx, by).

    Segments are first clipped to the grid (Liang-Barsky, vectorised), so a diverging path's last,
    enormous segment costs no more than one across the picture; non-finite segments are skipped."""
    height, width = mask.shape
    ax, ay, bx, by = (np.asarray(v, dtype=np.float64) for v in (ax, ay, bx, by))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = np.isfinite(ax) & np.isfinite(ay) & np.isfinite(bx) & np.isfinite(by)
        ax, ay, bx, by = ax[ok], ay[ok], bx[ok], by[ok]
        dx, dy = bx - ax, by - ay
        t0 = np.zeros_like(ax)
        t1 = np.ones_like(ax)
        for p, q in ((-dx, ax), (dx, width - ax), (-dy, ay), (dy, height - ay)):
            parallel = p == 0
            t1 = np.where(parallel & (q < 0), -1.0, t1)
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
        keep = t0 <= t1
        ax, ay, dx, dy, t0, t1 = ax[keep], ay[keep], dx[keep], dy[keep], t0[keep], t1[keep]
        sx, sy = ax + t0 * dx, ay + t0 * dy
        ex, ey = dx * (t1 - t0), dy * (t1 - t0)
    counts = (np.maximum(np.abs(ex), np.abs(ey)) * 2.0).astype(np.int64) + 1     # two samples a cell
    total = int(counts.sum())
    if total == 0:
        return mask
    seg = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    f = (np.arange(total) - first) / np.repeat(np.maximum(counts - 1, 1), counts)
    cx = np.floor(sx[seg] + f * ex[seg]).astype(np.int64)
    cy = np.floor(sy[seg] + f * ey[seg]).astype(np.int64)
    inside = (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)
    mask[cy[inside], cx[inside]] = True
    return mask


def raster_points(segs: np.ndarray, window, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres (x, y) of the cells of a width x height grid over window that the segments cross."""
    x0, x1, y0, y1 = window
    width, height = max(width, 1), max(height, 1)
    mask = np.zeros((height, width), dtype=np.bool_)
    sx, sy = width / (x1 - x0), height / (y1 - y0)
    rasterise_segments((segs[:, 0] - x0) * sx, (segs[:, 1] - y0) * sy, (segs[:, 2] - x0) * sx,
                       (segs[:, 3] - y0) * sy, mask)
    iy, ix = np.nonzero(mask)
    return x0 + (ix + 0.5) * (x1 - x0) / width, y0 + (iy + 0.5) * (y1 - y0) / height
