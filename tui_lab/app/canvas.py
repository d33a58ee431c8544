"""The lab's own braille plots: NumPy rasterisation into a grid of braille dots, drawn as Rich Text.

A plot is a frame (title line, y tick labels, an axis line, x tick labels) around a data area
of braille cells, each 2 dots wide and 4 high. Layers are boolean dot masks drawn in order:
a cell shows the dots of the topmost layer that has any there, in that layer's colour, so a
path drawn later is never speckled by the contour lines under it. Marks (one character each,
e.g. a run's current point) go above every layer. No Textual here: the widgets only show the
Text these functions return, and the benchmark times exactly this work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from rich.cells import cell_len
from rich.text import Span, Text

from ..core.contour import rasterise_segments

# Run colours: exact xterm-256 values, not ANSI names. Textual turns ANSI names into its theme's colours,
# where red, bright_red, magenta and bright_magenta are one pink and cyan / green equal their bright twins,
# so three runs of the default race looked alike. These twelve differ in hue or lightness; a 16-colour
# terminal gets the nearest of its colours, and the markers tell runs apart without colour.
RUN_COLOURS = ("#ff5f5f", "#5fd7ff", "#87d75f", "#ff5fd7", "#ffd75f", "#5f87ff",
               "#ff8700", "#00afaf", "#af87ff", "#d7af87", "#eeeeee", "#ffafd7")
RUN_MARKERS = ("●", "■", "▲", "◆", "▼", "★", "◀", "▶", "✚", "◉", "▪", "♦")
DIVERGED_MARK = "✗"
AXIS_STYLE = "dim"
GRID_STYLE = "grey50"

# braille dot bits, by (row within the cell, column within the cell)
_DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint16)
_BRAILLE = np.array([" "] + [chr(0x2800 + code) for code in range(1, 256)])   # blank cells are spaces


def neighbours_of(col: int, row: int) -> list[tuple[int, int]]:
    """Cells near (col, row) in the order a displaced mark tries them: the same row first, far enough
    that a dozen runs ending at a plot's right edge with one loss still sit on that loss's row."""
    return ([(col + d, row) for k in range(1, 13) for d in (k, -k)]
            + [(col + dc, row + dr) for dr in (-1, 1) for dc in (0, 1, -1, 2, -2)])


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def run_marker(index: int) -> str:
    return RUN_MARKERS[index % len(RUN_MARKERS)]


def fmt_tick(value: float, decimals: int) -> str:
    if value == 0:
        return "0"
    if not math.isfinite(value) or abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.{decimals}f}"


def nice_ticks(lo: float, hi: float, most: int) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) inside [lo, hi], at most `most` of them,
    at least two when the range allows."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    most = max(2, most)
    raw = (hi - lo) / (most - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = mult * power
        first = math.ceil(lo / step - 1e-9) * step
        count = int(math.floor((hi - first) / step + 1e-9)) + 1
        if count <= most:
            break
    if count < 2:      # one round value in range (a short axis over 0.01..1.5): a finer round step gives two
        for mult in (0.5, 0.25, 0.2, 0.1):
            step = mult * power
            first = math.ceil(lo / step - 1e-9) * step
            count = int(math.floor((hi - first) / step + 1e-9)) + 1
            if count >= 2:
                break
    ticks = [first + k * step for k in range(count)]
    if len(ticks) < 2:
        ticks = [lo, hi]
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def tick_labels(ticks: list[float], log: bool = False) -> list[str]:
    """Labels with no more digits than the ticks need: 1000 not 1000.8, 0.25 not 0.25000001."""
    if log:
        return [f"1e{int(round(t))}" if abs(t - round(t)) < 1e-6 else f"{10 ** t:.2g}" for t in ticks]
    decimals = next((d for d in range(7) if all(abs(t * 10 ** d - round(t * 10 ** d)) < 1e-6 * max(1.0, abs(t) * 10 ** d)
                                               for t in ticks)), 6)
    return [fmt_tick(t, decimals) for t in ticks]


def polyline_mask(x: np.ndarray, y: np.ndarray, window, dots_w: int, dots_h: int,
                  mask: np.ndarray | None = None) -> np.ndarray:
    """Set the dots that the polyline through (x, y) crosses, in a dots_h x dots_w mask over window.

    Segments are clipped to the window first (Liang-Barsky, vectorised), so a diverging run's last,
    enormous step costs no more than a step across the picture; non-finite points break the line."""
    if mask is None:
        mask = np.zeros((dots_h, dots_w), dtype=bool)
    x0, x1, y0, y1 = window
    with np.errstate(over="ignore", invalid="ignore"):
        px = (np.asarray(x, dtype=np.float64) - x0) * (dots_w / (x1 - x0))
        py = (y1 - np.asarray(y, dtype=np.float64)) * (dots_h / (y1 - y0))
    if px.size == 0:
        return mask
    if px.size == 1:
        ax, ay, bx, by = px, py, px, py
    else:
        ax, ay, bx, by = px[:-1], py[:-1], px[1:], py[1:]
    return rasterise_segments(ax, ay, bx, by, mask)


@dataclass
class Plot:
    """One braille plot of width x height cells: a title line, y labels, the data area, x labels."""

    width: int
    height: int
    window: tuple[float, float, float, float]
    title: str = ""
    x_ticks: list[float] = field(default_factory=list)
    y_ticks: list[float] = field(default_factory=list)
    y_log: bool = False                      # y values are log10 of the quantity; labels say 1e-3
    layers: list[tuple[np.ndarray, str]] = field(default_factory=list)
    marks: list[tuple[float, float, str, str, bool]] = field(default_factory=list)
    note: str = ""                           # one line shown in the data area (e.g. why nothing is drawn)
    key: list[tuple[str, str]] = field(default_factory=list)     # (text, style) pieces after the title

    def __post_init__(self) -> None:
        self.y_labels = tick_labels(self.y_ticks, self.y_log)
        self.label_width = max((len(s) for s in self.y_labels), default=0) + 1
        self.cols = max(1, self.width - self.label_width - 1)
        self.rows = max(1, self.height - 3)
        self.dots_w, self.dots_h = 2 * self.cols, 4 * self.rows

    def empty_mask(self) -> np.ndarray:
        return np.zeros((self.dots_h, self.dots_w), dtype=bool)

    def line(self, x, y, style: str) -> None:
        self.layers.append((polyline_mask(x, y, self.window, self.dots_w, self.dots_h), style))

    def cell_of(self, x: float, y: float) -> tuple[int, int] | None:
        """The data-area cell (column, row) holding point (x, y), or None when outside the window."""
        x0, x1, y0, y1 = self.window
        if not (math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
            return None
        col = min(int((x - x0) / (x1 - x0) * self.cols), self.cols - 1)
        row = min(int((y1 - y) / (y1 - y0) * self.rows), self.rows - 1)
        return col, row

    def point_at(self, col: int, row: int) -> tuple[float, float]:
        """The data point at the centre of a data-area cell (for mouse clicks)."""
        x0, x1, y0, y1 = self.window
        return x0 + (col + 0.5) * (x1 - x0) / self.cols, y1 - (row + 0.5) * (y1 - y0) / self.rows

    def mark(self, x: float, y: float, char: str, style: str, apart: bool = True) -> None:
        """One character at (x, y) above every layer; marks with `apart` never hide one another (a
        second one in a taken cell moves to a free neighbouring cell)."""
        self.marks.append((x, y, char, style, apart))

    def cells(self) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """(characters, style index, styles) of the data area: each cell shows the topmost layer
        with dots there, then marks and the note above everything."""
        rows, cols = self.rows, self.cols
        owner = np.full((rows, cols), -1, dtype=np.int64)
        codes = np.zeros((rows, cols), dtype=np.uint8)
        if self.layers:
            dots = np.stack([mask for mask, _ in self.layers]).reshape(len(self.layers), rows, 4, cols, 2)
            dots = dots.view(np.uint8)
            layer_codes = np.zeros((len(self.layers), rows, cols), dtype=np.uint8)
            for (r, c), bit in np.ndenumerate(_DOT_BITS):
                layer_codes |= dots[:, :, r, :, c] * np.uint8(bit)
            for index in range(len(self.layers)):
                has = layer_codes[index] > 0
                owner[has] = index
                codes[has] = layer_codes[index][has]
        chars = _BRAILLE[codes]
        styles: list[str | None] = [style for _, style in self.layers]
        taken: set[tuple[int, int]] = set()
        for x, y, char, style, apart in self.marks:
            cell = self.cell_of(x, y)
            if cell is None:
                continue
            col, row = cell
            if apart and (col, row) in taken:      # two runs in one cell: the later one moves to a free neighbour,
                free = [(c, r) for c, r in neighbours_of(col, row)   # sideways first (a loss plot's y stays true)
                        if 0 <= c < cols and 0 <= r < rows and (c, r) not in taken]
                col, row = free[0] if free else (col, row)
            if apart:
                taken.add((col, row))
            chars[row, col] = char
            owner[row, col] = len(styles)
            styles.append(style)
        if self.note:
            note = note_cells(self.note, cols)
            start = max(0, (cols - len(note)) // 2)
            chars[rows // 2, start:start + len(note)] = note
            owner[rows // 2, start:start + len(note)] = len(styles)
            styles.append("italic")
        styles.append(None)                 # owner -1: an empty cell
        return chars, owner, styles

    def render(self) -> Text:
        """The whole plot as Text, `height` lines of `width` cells (built as one string plus spans)."""
        rows, cols = self.rows, self.cols
        chars, owner, styles = self.cells()
        title = Text(self.title, style="bold")
        for piece, style in self.key:
            title.append(piece, style=style)
        title.truncate(self.width)
        parts = [title.plain, "\n"]
        spans = [Span(s.start, s.end, s.style) for s in title.spans]
        if self.title:
            spans.insert(0, Span(0, len(self.title), "bold"))
        offset = len(title.plain) + 1
        y_rows = self._label_rows(self.y_ticks, self.window[2], self.window[3], rows, flip=True)
        labels_at = dict(zip(y_rows, self.y_labels))
        change = np.ones((rows, cols), dtype=bool)
        change[:, 1:] = owner[:, 1:] != owner[:, :-1]
        for r in range(rows):
            label = labels_at.get(r, "")
            head = f"{label:>{self.label_width - 1}} " + ("┤" if label else "│")
            spans.append(Span(offset, offset + len(head), AXIS_STYLE))
            offset += len(head)
            starts = np.flatnonzero(change[r]).tolist() + [cols]
            row_owner = owner[r]
            row = "".join(chars[r].tolist())
            # a wide character's second cell is "": a cell's offset in the row string is then its
            # count of non-empty cells before it
            at = (np.arange(cols + 1) if len(row) == cols
                  else np.concatenate(([0], np.cumsum(chars[r] != ""))))
            for a, b in zip(starts, starts[1:]):
                style = styles[row_owner[a]]
                if style:
                    spans.append(Span(offset + int(at[a]), offset + int(at[b]), style))
            parts += [head, row, "\n"]
            offset += len(row) + 1
        x_cols = self._label_rows(self.x_ticks, self.window[0], self.window[1], cols, flip=False)
        axis = ["─"] * cols
        for c in x_cols:
            axis[c] = "┬"
        labels = [" "] * (cols + self.label_width + 1)
        for c, t in zip(x_cols, tick_labels(self.x_ticks)):
            place = min(max(0, self.label_width + 1 + c - len(t) // 2), len(labels) - len(t))
            if all(ch == " " for ch in labels[max(0, place - 1):place + len(t) + 1]):
                labels[place:place + len(t)] = list(t)
        tail = " " * self.label_width + "└" + "".join(axis) + "\n" + "".join(labels)[:self.width]
        spans.append(Span(offset, offset + len(tail), AXIS_STYLE))
        parts.append(tail)
        return Text("".join(parts), spans=spans, no_wrap=True, overflow="crop", end="")

    @staticmethod
    def _label_rows(ticks, lo: float, hi: float, count: int, flip: bool) -> list[int]:
        """The row (or column) of each tick."""
        out = []
        for t in ticks:
            f = (t - lo) / (hi - lo) if hi > lo else 0.5
            if flip:
                f = 1.0 - f
            out.append(min(count - 1, max(0, int(f * count))))
        return out


def note_cells(note: str, cols: int) -> list[str]:
    """A note as data-area cells, at most `cols` of them: a wide character (Hangul) takes two, the
    second one empty, so a Korean note keeps the row's width."""
    out: list[str] = []
    for ch in note:
        width = cell_len(ch)
        if len(out) + width > cols:
            break
        out += [ch] + [""] * (width - 1)
    return out


def note_plot(width: int, height: int, title: str, note: str) -> Text:
    """A plot frame with one line instead of data (data that cannot be drawn never raises)."""
    return Plot(width, height, (0.0, 1.0, 0.0, 1.0), title=title, note=note).render()
