"""The inspected step's pieces on the surface contour: where the gradient points (downhill,
-g_t), where the momentum / first moment points (-m_t, -a_t, -b_t), and the step actually
taken, all drawn from W_t. Directions are drawn at a fixed length (a fraction of the window) so
they read at any scale; the step is drawn at its true length when that is visible."""

from __future__ import annotations

import math

import numpy as np
from rich.cells import cell_len

from ...i18n import N_, tr

ARROWS = (("gradient", "g", "bright_red"), ("momentum", "m", "bright_blue"), ("step", "Δ", "bright_white"))
LEGEND = {"gradient": N_("-g (downhill)"), "momentum": N_("-m (momentum)"), "step": N_("step")}
SHORT_LEGEND = {"gradient": "-g", "momentum": "-m", "step": N_("step")}
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
        drawn.append((name, char, f"bold {style}"))
    plot.key = arrows_key(plot, drawn)


def arrows_key(plot, drawn) -> list[tuple[str, str]]:
    """The title's key with the arrows' legend whole: the contour's own key shortens, then the
    legend (the arrows are what an inspecting student reads; a cut legend left Δ unexplained)."""
    room = plot.width - cell_len(plot.title)
    short_contour = [("+", "bold"), (tr(" min"), "")]
    for contour, legend in ((plot.key, LEGEND), (short_contour, LEGEND), (short_contour, SHORT_LEGEND)):
        key = contour + [(f" {char} {tr(legend[name])}", style) for name, char, style in drawn]
        if sum(cell_len(text) for text, _ in key) <= room:
            return key
    return key
