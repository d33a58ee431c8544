"""Drawing the surface race with plotext: contour + trajectories, loss curves, the sweep heatmap.

The drawing functions take a plotext figure (textual-plotext's `PlotextPlot.plt`, or a bare
`textual_plotext.plot.Plot` in the benchmark) and the panel's Race; they never run the optimizer.
Contour lines and paths arrive as braille-dot centres, so a redraw costs the same at step 10
and at step 10 million.
"""

from __future__ import annotations

import math

from rich.text import Text

TRACK_POINTS = 2000      # stored points per run a redraw looks at
LOSS_POINTS = 400        # points per loss curve


def plot_dots(width: int, height: int) -> tuple[int, int]:
    """Braille dots across the data area of a plot of width x height cells (minus ticks and frame)."""
    return max(2 * (width - 9), 2), max(4 * (height - 3), 4)


def draw_race(plt, race, width: int, height: int) -> None:
    """The surface's contour lines, each run's path and current point, the minima as '+'."""
    dots_w, dots_h = plot_dots(width, height)
    x0, x1, y0, y1 = race.surface.window()
    plt.clear_figure()
    cx, cy = race.contour_points(dots_w, dots_h)
    plt.scatter(cx, cy, marker="braille", color="gray")
    for mx, my in race.surface.minima():
        if x0 <= mx <= x1 and y0 <= my <= y1:
            plt.scatter([mx], [my], marker="+", color="white")
    with race.lock:
        for lane in race.lanes:
            px, py = race.trajectory_points(lane, dots_w, dots_h, TRACK_POINTS)
            plt.scatter(px, py, marker="braille", color=lane.colour)
            hx, hy = lane.history.last_xy
            if x0 <= hx <= x1 and y0 <= hy <= y1:
                plt.scatter([hx], [hy], marker="✗" if lane.run.diverged else "●", color=lane.colour)
    plt.xlim(x0, x1)
    plt.ylim(y0, y1)
    plt.xticks([x0, (x0 + x1) / 2, x1])
    plt.yticks([y0, (y0 + y1) / 2, y1])


def draw_losses(plt, race, log_scale: bool) -> str:
    """Every run's loss against its step; log scale plots the gap to the best minimum's loss.
    Returns the y axis' meaning (for the plot's title)."""
    plt.clear_figure()
    floor = race.optimum_loss() if log_scale else None
    if log_scale and floor is None:
        log_scale = False
    with race.lock:
        for lane in race.lanes:
            steps, _, loss = lane.history.series(LOSS_POINTS)
            values = [v - floor for v in loss.tolist()] if log_scale else loss.tolist()
            values = [clip_value(v, log_scale) for v in values]
            plt.plot(steps.tolist(), values, marker="braille", color=lane.colour)
    if log_scale:
        plt.yscale("log")
        return "loss − f* (log scale)"
    return "loss"


def clip_value(v: float, log_scale: bool) -> float:
    """Keep a plotted loss drawable: log scale needs it positive, and huge values ruin the axis."""
    if not math.isfinite(v):
        return 1e12
    if log_scale:
        return min(max(v, 1e-16), 1e12)
    return max(min(v, 1e12), -1e12)


HEAT_CHARS = ".,:;-=+*#@"
HEAT_COLOURS = ("green", "green", "bright_green", "yellow", "yellow", "bright_yellow", "magenta", "magenta",
                "red", "red")


def heatmap_text(sweep: dict, width: int) -> Text:
    """The stability map: one cell per (a, b) pair, darker = lower final loss; 'x' = diverged.

    Columns are axis_a's values, rows axis_b's; a shade and a colour both carry the value, so it
    reads in 16 colours and in monochrome.
    """
    import numpy as np

    loss = sweep["final_loss"]
    finite = np.isfinite(loss)
    text = Text()
    text.append(f"final loss after {sweep['steps']} steps: ", style="bold")
    text.append("low ")
    for ch, colour in zip(HEAT_CHARS[::-1], HEAT_COLOURS):
        text.append(ch * 2, style=colour)
    text.append(" high   ")
    text.append("xx", style="bold red")
    text.append(" diverged\n")
    if finite.any():
        logs = np.log10(np.maximum(loss[finite], 1e-300))
        lo, hi = float(logs.min()), float(logs.max())
    else:
        lo = hi = 0.0
    cell = max(1, min(3, (width - 12) // max(loss.shape[0], 1)))
    values_a, values_b = sweep["values_a"], sweep["values_b"]
    for j in range(len(values_b) - 1, -1, -1):
        text.append(f"{values_b[j]:>9.3g} │", style="dim")
        for i in range(len(values_a)):
            v = loss[i, j]
            if not math.isfinite(v):
                text.append("x" * cell, style="bold red")
                continue
            level = 0 if hi == lo else (math.log10(max(v, 1e-300)) - lo) / (hi - lo)
            k = len(HEAT_CHARS) - 1 - min(int(level * len(HEAT_CHARS)), len(HEAT_CHARS) - 1)
            text.append(HEAT_CHARS[k] * cell, style=HEAT_COLOURS[len(HEAT_CHARS) - 1 - k])
        text.append("\n")
    text.append(" " * 10 + "└" + "─" * (cell * len(values_a)) + "\n", style="dim")
    text.append(f"{'':10} {values_a[0]:<.3g} … {values_a[-1]:.3g}  ({sweep['axis_a']} →, {sweep['axis_b']} ↑)\n")
    if finite.any():
        best = np.unravel_index(np.argmin(np.where(finite, loss, np.inf)), loss.shape)
        text.append(f"best: {sweep['axis_a']}={values_a[best[0]]:.4g}, {sweep['axis_b']}={values_b[best[1]]:.4g}"
                    f" → loss {loss[best]:.4g};  diverged cells: {int((~finite).sum())} of {loss.size}")
    return text
