"""The lab's figures: the surface race (contour + paths), loss curves, the sweep heatmap, and the
two plot widgets every panel draws with.

The race and its loss curves are drawn on the lab's own braille canvas (canvas.py): the contour
layer is cached per surface, window and size, paths are rasterised with NumPy, so a redraw costs
the same at step 10 and at step 10 million. Other panels draw with plotext through `SafePlot`.
Both widgets draw from scratch on every render and never raise: data that cannot be drawn (log
of non-positive values, NaN, nothing yet) becomes a one-line note in the frame.
"""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.padding import Padding
from rich.text import Text
from textual.widget import Widget
from textual_plotext import PlotextPlot

from ..i18n import tr
from .canvas import DIVERGED_MARK, GRID_STYLE, RUN_COLOURS, RUN_MARKERS, Plot, nice_ticks, note_plot, tick_labels

TRACK_POINTS = 2000      # stored points per run a redraw looks at
LOSS_POINTS = 400        # points per loss curve
SAFE_MIN = (24, 7)       # the smallest plotext plot (columns, rows) whose axes do not overprint
LINEAR_CLIP = 3.0        # a linear loss axis ends at 3x the largest starting loss (above the best value)
_contour_masks: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def marker_of(colour: str) -> str:
    """The marker that goes with a run colour (runs differ in colour and in shape)."""
    return RUN_MARKERS[RUN_COLOURS.index(colour) % len(RUN_MARKERS)] if colour in RUN_COLOURS else "●"


def plotext_colour(colour: str) -> str | tuple[int, int, int]:
    """plotext's form of a colour (#ff5f5f -> (255, 95, 95), bright_red -> red+), so a plotext line
    and a Rich key match."""
    if colour.startswith("#"):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return colour[7:] + "+" if colour.startswith("bright_") else colour


def plot_dots(width: int, height: int) -> tuple[int, int]:
    """Braille dots across the data area of the race plot of width x height cells."""
    plot = race_frame(width, height, (0.0, 1.0, 0.0, 1.0), "")
    return plot.dots_w, plot.dots_h


def race_frame(width: int, height: int, window, title: str) -> Plot:
    x0, x1, y0, y1 = window
    rows, cols = max(1, height - 3), max(1, width - 8)
    return Plot(width, height, window, title=title, x_ticks=nice_ticks(x0, x1, max(2, cols // 10)),
                y_ticks=nice_ticks(y0, y1, max(2, rows // 3)))


def _contour_mask(race, plot: Plot) -> np.ndarray:
    """The contour layer at this plot's size (cached: the lines change only with surface, window or size)."""
    cx, cy = race.contour_points(plot.dots_w, plot.dots_h)
    cached = _contour_masks.get(race)
    if cached is not None and cached[0] is cx:
        return cached[1]
    x0, x1, y0, y1 = plot.window
    mask = plot.empty_mask()
    ix = np.clip(((cx - x0) / (x1 - x0) * plot.dots_w).astype(np.int64), 0, plot.dots_w - 1)
    iy = np.clip(((y1 - cy) / (y1 - y0) * plot.dots_h).astype(np.int64), 0, plot.dots_h - 1)
    mask[iy, ix] = True
    _contour_masks[race] = (cx, mask)
    return mask


def draw_race(race, width: int, height: int, overlay=None) -> Text:
    """The surface's contour lines, each run's path, then every current point above all paths
    (its run's marker, ✗ where it diverged), the minima as '+'."""
    window = race.surface.window()
    plot = race_frame(width, height, window, f"{race.surface.name}: ")
    plot.key = [(tr("equal-loss lines, "), GRID_STYLE), ("+", "bold"), (tr(" minimum, markers = now"), "")]
    if cell_len(plot.title) + sum(cell_len(piece) for piece, _ in plot.key) > width:   # the short key of a narrow plot
        plot.key = [(tr("lines of equal loss, "), GRID_STYLE), ("+", "bold"), (tr(" min"), "")]
    plot.layers.append((_contour_mask(race, plot), GRID_STYLE))
    for mx, my in race.surface.minima():
        plot.mark(mx, my, "+", "bold", apart=False)
    with race.lock:
        for lane in race.lanes:
            _, xy, _ = lane.history.series(TRACK_POINTS)
            plot.line(xy[:, 0], xy[:, 1], lane.colour)
        for lane in race.lanes:      # a point that left the window is shown on its edge, where it left
            hx, hy = np.clip(lane.history.last_xy, (window[0], window[2]), (window[1], window[3]))
            plot.mark(hx, hy, DIVERGED_MARK if lane.run.diverged else marker_of(lane.colour), f"bold {lane.colour}")
    if overlay is not None:          # e.g. the step inspector's arrows, drawn above the paths
        overlay(plot)
    return plot.render()


def race_point_at(race, width: int, height: int, x: int, y: int) -> tuple[float, float] | None:
    """The surface point under cell (x, y) of the content area of a race plot drawn at width x height (for a mouse
    click on the contour), or None when the cell is outside the data area."""
    plot = race_frame(width, height, race.surface.window(), "")
    col, row = x - plot.label_width - 1, y - 1          # the data area starts after the y labels and the title
    if not (0 <= col < plot.cols and 0 <= row < plot.rows):
        return None
    return plot.point_at(col, row)


def loss_axis(curves: list[np.ndarray], log_scale: bool) -> tuple[float, float, bool]:
    """The y range of a loss plot: (lo, hi, clipped). Linear: from the best value to LINEAR_CLIP times
    the largest starting loss above it, so one diverging run cannot flatten the others; log: the
    finite range of log10 values."""
    finite = [c[np.isfinite(c)] for c in curves]
    values = np.concatenate(finite) if finite else np.empty(0)
    if values.size == 0:
        return math.nan, math.nan, False
    lo, hi = float(values.min()), float(values.max())
    clipped = False
    if not log_scale:
        starts = [c[0] for c in finite if c.size]
        cap = lo + LINEAR_CLIP * (max(starts) - lo)
        if hi > cap > lo:
            hi, clipped = cap, True
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi, clipped


@dataclass
class Curve:
    """One line of a curves figure: x and y values, its style and the mark at its last point."""

    x: np.ndarray
    y: np.ndarray
    style: str
    marker: str = ""


def curves_figure(curves: list[Curve], log_scale: bool, width: int, height: int, title: str,
                  key: list[tuple[str, str]] = (), note: str = "") -> Text:
    """Curves against x on a linear or log10 y axis. Log: values that are not positive leave gaps.
    Linear: the axis ends at LINEAR_CLIP times the largest first value (above the lowest), so a run
    that blows up cannot flatten the rest; the title then says so. NaN / inf leave gaps."""
    note = note or tr("nothing to draw yet: press space or n")
    ys = []
    for curve in curves:
        y = np.asarray(curve.y, dtype=np.float64)
        if log_scale:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
        ys.append(y)
    lo, hi, clipped = loss_axis(ys, log_scale)
    if not math.isfinite(lo):
        return note_plot(width, height, title, note)
    xs = [np.asarray(curve.x, dtype=np.float64) for curve in curves]
    x_lo = min((float(x[0]) for x in xs if x.size), default=0.0)
    x_hi = max((float(x[-1]) for x in xs if x.size), default=1.0)
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    rows = max(1, height - 3)
    y_ticks = nice_ticks(lo, hi, max(2, rows // 2))
    if log_scale:
        y_ticks = [t for t in y_ticks if abs(t - round(t)) < 1e-9] or y_ticks
    plot = Plot(width, height, (x_lo, x_hi, lo, hi), title=title, y_log=log_scale, y_ticks=y_ticks,
                x_ticks=[t for t in nice_ticks(x_lo, x_hi, max(2, width // 12)) if t == int(t)])
    if clipped:      # the note that fits the title line whole, longest first (a narrow loss plot at 80x24)
        room = width - cell_len(title) - sum(cell_len(text) for text, _ in key)
        notes = (tr("  (cut at {clip}× the start; l: log)", clip=f"{LINEAR_CLIP:g}"),
                 tr("  (cut at {clip}×; l: log)", clip=f"{LINEAR_CLIP:g}"), tr("  (cut; l: log)"))
        key = list(key) + [(next((n for n in notes if cell_len(n) <= room), notes[-1]), "dim")]
    plot.key = list(key)
    for curve, x, y in zip(curves, xs, ys):
        plot.line(x, np.minimum(y, hi) if clipped else y, curve.style)
    for curve, x, y in zip(curves, xs, ys):
        ok = np.flatnonzero(np.isfinite(y))
        if curve.marker and ok.size:
            plot.mark(float(x[ok[-1]]), float(min(y[ok[-1]], hi)), curve.marker, f"bold {curve.style}")
    return plot.render()


def draw_losses(race, log_scale: bool, width: int, height: int) -> Text:
    """Every run's loss against its step (log scale: the gap to the best minimum's loss).
    Runs end in their marker (✗ where they diverged)."""
    floor = race.optimum_loss() if log_scale else None
    curves = []
    with race.lock:
        for lane in race.lanes:
            steps, _, loss = lane.history.series(LOSS_POINTS)
            curves.append(Curve(steps, loss - floor if floor is not None else loss, lane.colour,
                                DIVERGED_MARK if lane.run.diverged else marker_of(lane.colour)))
    title = tr("loss − f* (log scale)") if floor is not None else tr("loss")
    return curves_figure(curves, floor is not None, width, height, title)


def legend_text(race, width: int, rows: int) -> Text:
    """One entry per run: marker, whole label, loss (3 significant digits), ✗ diverged. Entries are
    packed into lines as they fit, two spaces apart, in columns when every line holds the same
    number of them; a label is never cut (one longer than a line wraps)."""
    entries = []
    with race.lock:
        for lane in race.lanes:
            loss = lane.history.last_loss
            entry = Text.assemble((marker_of(lane.colour) + " ", f"bold {lane.colour}"), lane.label,
                                  f" {loss:.3g}" if math.isfinite(loss) else " nan")
            if lane.run.diverged:
                entry.append(f" {DIVERGED_MARK} {tr('diverged')}", style="bold")
            entries.append(entry)
    column = max((e.cell_len for e in entries), default=1) + 2
    per_line = max(1, width // column)
    if -(-len(entries) // per_line) <= rows:
        lines = [entries[i:i + per_line] for i in range(0, len(entries), per_line)]
        pad = column
    else:                                  # short of rows: pack greedily, entries of any length
        lines, pad = [[]], 0
        used = 0
        for entry in entries:
            if lines[-1] and used + 2 + entry.cell_len > width:
                lines.append([])
                used = 0
            used += entry.cell_len + (2 if lines[-1] else 0)
            lines[-1].append(entry)
    text = Text()
    for number, line in enumerate(lines):
        if number:
            text.append("\n")
        for k, entry in enumerate(line):
            text.append_text(entry)
            if k < len(line) - 1:
                text.append(" " * (pad - entry.cell_len) if pad else "  ")
    return text


HEAT_CHARS = ".,:;-=+*#@"
# low loss green to high loss red, as xterm-256 values: Textual shows the ANSI names magenta and red as one
# pink and green as bright_green, which merged the top four and the bottom three levels
HEAT_COLOURS = ("#00af00", "#5faf00", "#87d700", "#afd700", "#d7d700", "#ffd700", "#ffaf00", "#ff8700",
                "#ff5f00", "#ff0000")
DIVERGED_STYLE = "bold bright_white on blue"     # a hue the loss scale never uses


HEAT_TOP, HEAT_LEFT = 1, 11       # heatmap_text: the map's first line and first column


def heatmap_cell_width(sweep: dict, width: int) -> int:
    return max(1, min(3, (width - 12) // max(sweep["final_loss"].shape[0], 1)))


def heatmap_cell_at(sweep: dict, width: int, col: int, row: int) -> tuple[int, int] | None:
    """The (axis a, axis b) indices of the heatmap cell drawn at a text column and line."""
    cell = heatmap_cell_width(sweep, width)
    count_a, count_b = sweep["final_loss"].shape
    i, j = (col - HEAT_LEFT) // cell, count_b - 1 - (row - HEAT_TOP)
    return (i, j) if col >= HEAT_LEFT and 0 <= i < count_a and 0 <= j < count_b else None


def heatmap_text(sweep: dict, width: int) -> Text:
    """The stability map: one cell per (a, b) pair, darker = lower final loss; 'x' = diverged.

    Columns are axis_a's values, rows axis_b's; a shade and a colour both carry the value, so it
    reads in 16 colours and in monochrome.
    """
    loss = sweep["final_loss"]
    finite = np.isfinite(loss)
    text = Text()
    text.append(tr("final loss after {steps} steps: ", steps=sweep["steps"]), style="bold")
    text.append(tr("low") + " ")
    for ch, colour in zip(HEAT_CHARS[::-1], HEAT_COLOURS):
        text.append(ch * 2, style=colour)
    text.append(" " + tr("high") + "   ")
    text.append("xx", style=DIVERGED_STYLE)
    text.append(f" {tr('diverged')}\n")
    if finite.any():
        logs = np.log10(np.maximum(loss[finite], 1e-300))
        lo, hi = float(logs.min()), float(logs.max())
    else:
        lo = hi = 0.0
    cell = heatmap_cell_width(sweep, width)
    values_a, values_b = sweep["values_a"], sweep["values_b"]
    for j in range(len(values_b) - 1, -1, -1):
        text.append(f"{values_b[j]:>9.3g} │", style="dim")
        for i in range(len(values_a)):
            v = loss[i, j]
            if not math.isfinite(v):
                text.append("x" * cell, style=DIVERGED_STYLE)
                continue
            level = 0 if hi == lo else (math.log10(max(v, 1e-300)) - lo) / (hi - lo)
            k = len(HEAT_CHARS) - 1 - min(int(level * len(HEAT_CHARS)), len(HEAT_CHARS) - 1)
            text.append(HEAT_CHARS[k] * cell, style=HEAT_COLOURS[len(HEAT_CHARS) - 1 - k])
        text.append("\n")
    text.append(" " * 10 + "└" + "─" * (cell * len(values_a)) + "\n", style="dim")
    text.append(f"{'':10} {values_a[0]:<.3g} … {values_a[-1]:.3g}  ({sweep['axis_a']} →, {sweep['axis_b']} ↑)\n")
    if finite.any():
        best = np.unravel_index(np.argmin(np.where(finite, loss, np.inf)), loss.shape)
        text.append(tr("best: {cell} → loss {loss};  diverged cells: {count} of {cells}",
                       cell=f"{sweep['axis_a']}={values_a[best[0]]:.4g}, {sweep['axis_b']}={values_b[best[1]]:.4g}",
                       loss=f"{loss[best]:.4g}", count=int((~finite).sum()), cells=loss.size))
    return text


def failure_note(err: BaseException) -> str:
    return tr("cannot draw this: {error}", error=f"{type(err).__name__}: {err}")


class BraillePlot(Widget):
    """A widget showing a canvas figure; subclasses say what to draw in `figure`."""

    DEFAULT_CSS = "BraillePlot { width: 1fr; height: 1fr; }"
    drawn_at: float | None = None        # perf_counter of the first render with content (startup probe)

    def figure(self, width: int, height: int) -> Text | None:
        """The plot at this size (None: nothing loaded yet)."""
        raise NotImplementedError

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        if width < 4 or height < 4:
            return Text("")
        try:
            figure = self.figure(width, height)
            if figure is None:
                return Text("")
            if self.drawn_at is None:
                self.drawn_at = time.perf_counter()
            return figure
        except Exception as err:           # a plot must never take the lab down
            return note_plot(width, height, "", failure_note(err))


def round_ticks(plt, width: int, height: int) -> None:
    """Round ticks (the canvas plots' `nice_ticks`) on each linear axis of a plotext figure whose
    ticks the drawing left to plotext, which splits the data range evenly (-0.99 -0.50 -0.01 0.47)."""
    monitor = plt._active.monitor
    for axis, most, set_ticks in (("x", width // 10, plt.xticks), ("y", height // 3, plt.yticks)):
        if getattr(monitor, axis + "ticks")[0] is not None or getattr(monitor, axis + "scale")[0] != "linear":
            continue
        low, high = getattr(monitor, axis + "lim")[0]
        values = [v for signal in getattr(monitor, axis) for v in signal
                  if isinstance(v, (int, float)) and math.isfinite(v)]
        if not values:
            continue
        low = min(values) if low is None else low
        high = max(values) if high is None else high
        ticks = nice_ticks(low, high, most)
        if len(ticks) >= 2:
            set_ticks(ticks, tick_labels(ticks))


class SafePlot(PlotextPlot):
    """A plotext plot drawn from scratch on every render by `draw(plt)`, which returns the plot's
    title (None: nothing to draw). It never raises: plotext's log axis transforms the stored data
    in place, so a figure built twice used to take logs of logs; clearing first makes every build
    see fresh data, and anything plotext still refuses becomes a one-line note."""

    def draw(self, plt) -> str | None:
        raise NotImplementedError

    def render(self):
        plt = self.plt
        plt.clear_figure()
        try:
            title = self.draw(plt)
            if self.size.height < SAFE_MIN[1] or self.size.width < SAFE_MIN[0]:
                plt.clear_figure()          # plotext overprints its axes when squeezed: say so instead
                note = Text(tr("{title}: too small to draw here", title=title or tr("plot")), style="italic",
                            justify="center")
                return Padding(note, (0, 1))    # a margin: two plots' notes side by side do not run together
            if title:
                plt.title(title)
            round_ticks(plt, self.size.width, self.size.height)
            return super().render()
        except Exception as err:
            plt.clear_figure()
            return note_plot(self.size.width, self.size.height, "", failure_note(err))
