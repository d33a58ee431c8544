"""The inspected step's pieces on the surface contour: where the gradient points (downhill,
-g_t), where the momentum / first moment points (-m_t, -a_t, -b_t), and the step actually
taken, all drawn from W_t. Directions are drawn at a fixed length (a fraction of the window) so
they read at any scale; the step is drawn at its true length when that is visible."""

from __future__ import annotations

import math

import numpy as np

ARROWS = (("gradient", "g", "bright_red"), ("momentum", "m", "bright_blue"), ("step", "Δ", "bright_white"))
LEGEND = {"gradient": "-g (downhill)", "momentum": "-m (momentum)", "step": "step"}
DIRECTION_SPAN = 0.15       # a direction's length, as a fraction of the window's width
SHORTEST_STEP = 0.03        # a step shorter than this fraction of the window is drawn at it (direction only)


def draw_step(plot, writer, w) -> None:
    """Add the arrows of `writer` (an explained surface step), starting at W_t = w, to a canvas Plot."""
    if writer is None or not writer.arrows or w is None:
        return
    x0, x1, y0, y1 = plot.window
    drawn = []
    for name, char, style in ARROWS:
        vector = writer.arrows.get(name)
        if vector is None:
            continue
        # lengths in window units, measured per axis so a wide window does not squash an arrow
        scaled = np.array([vector[0] / (x1 - x0), vector[1] / (y1 - y0)])
        size = float(np.hypot(*scaled))
        if not math.isfinite(size) or size == 0.0:
            continue
        if name == "step":
            factor = max(size, SHORTEST_STEP) / size
        else:
            factor = DIRECTION_SPAN / size
        tip = (w[0] + vector[0] * factor, w[1] + vector[1] * factor)
        plot.line(np.array([w[0], tip[0]]), np.array([w[1], tip[1]]), style)
        plot.mark(tip[0], tip[1], char, f"bold {style}")
        drawn.append((f" {char} {LEGEND[name]}", f"bold {style}"))
    plot.key = plot.key + drawn
