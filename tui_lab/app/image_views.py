"""The Train tab's image board: half-block pictures of what a model of an image set sees and learns.

Each terminal cell draws two pixels ("▀": the upper one in the foreground colour, the lower one in the
background colour), so an 8x8 digit takes 8 columns and 4 lines. Three pages, cycled with `i`:
- batch: the current mini-batch as the model saw it (Cutout holes tinted red, CutMix patches green,
  mixed targets written under each image), then test images with the predicted class (green when
  right, red when wrong), then the test loss and accuracy curves;
- confusion: the test split's confusion matrix, per-class recall and the parameter count per layer;
- filters: the learned first-layer filters (orange positive, blue negative) and, for one test image
  (`,` / `.` choose it), the feature map of every conv layer.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from ..core.cnn import neighbour_correlation, sobel_alignment
from ..i18n import N_, pad, tr
from .commands import Command
from .image_model import ImageSnapshot

PAGES = (N_("batch"), N_("confusion"), N_("filters"))      # page names, shown translated
SPARKS = "▁▂▃▄▅▆▇█"

IMAGE_COMMANDS = [
    Command("i", "next_image_page", N_("Image view"), N_("image sets: batch / confusion matrix / filters and feature maps"),
            footer=False),
    Command("full_stop", "choose_image(1)", N_("Next image"), N_("image sets: the test image whose feature maps are shown"),
            footer=False),
    Command("comma", "choose_image(-1)", N_("Previous image"), N_("image sets: the previous test image"), footer=False),
]


def grey(v: float) -> tuple[int, int, int]:
    g = int(255 * min(max(v, 0.0), 1.0))
    return g, g, g


def signed(v: float) -> tuple[int, int, int]:
    """-1..1: blue for negative, orange for positive, black at 0."""
    a = min(abs(v), 1.0)
    return (int(255 * a), int(140 * a), 0) if v >= 0 else (0, int(120 * a), int(255 * a))


def tinted(v: float, tint: int) -> tuple[int, int, int]:
    """A grey pixel, reddened inside a Cutout hole (tint 1) or greened inside a CutMix patch (tint 2)."""
    g = 255 * min(max(v, 0.0), 1.0)
    if tint == 1:
        return int(110 + 0.55 * g), int(0.45 * g), int(0.45 * g)
    if tint == 2:
        return int(0.6 * g), int(70 + 0.7 * g), int(0.6 * g)
    return int(g), int(g), int(g)


def half_blocks(colours: np.ndarray) -> list[Text]:
    """Lines of "▀" cells from an (H, W, 3) array of RGB pixels: two pixel rows per line."""
    h, w, _ = colours.shape
    lines = []
    for y in range(0, h, 2):
        line = Text()
        for x in range(w):
            top = tuple(int(c) for c in colours[y, x])
            if y + 1 < h:
                bottom = tuple(int(c) for c in colours[y + 1, x])
                line.append("▀", Style(color=f"rgb{top}", bgcolor=f"rgb{bottom}"))
            else:
                line.append("▀", Style(color=f"rgb{top}"))
        lines.append(line)
    return lines


def picture(values: np.ndarray, colour=grey, scale: int = 1, tint: np.ndarray | None = None) -> list[Text]:
    """An (H, W) array as half-block lines, each pixel repeated `scale` times each way."""
    values = np.repeat(np.repeat(values, scale, axis=0), scale, axis=1)
    if tint is not None:
        tint = np.repeat(np.repeat(tint, scale, axis=0), scale, axis=1)
    h, w = values.shape
    rgb = np.empty((h, w, 3))
    for y in range(h):
        for x in range(w):
            rgb[y, x] = tinted(values[y, x], int(tint[y, x])) if tint is not None else colour(values[y, x])
    return half_blocks(rgb)


def tile(blocks: list[list[Text]], captions: list[Text | str] | None, width: int, gap: int = 1,
         max_lines: int | None = None) -> list[Text]:
    """Blocks (lists of equally wide lines) side by side, wrapped to `width` columns, captions under each
    (when given); only as many rows of blocks as fit in `max_lines` (at least one)."""
    return tile_fit(blocks, captions, width, gap, max_lines)[0]


def tile_fit(blocks: list[list[Text]], captions: list[Text | str] | None, width: int, gap: int = 1,
             max_lines: int | None = None) -> tuple[list[Text], int]:
    """`tile`, and how many of the blocks it drew."""
    if not blocks:
        return [], 0
    cell = max(max(line.cell_len for line in b) for b in blocks)
    if captions:
        cell = max(cell, max(Text(c).cell_len if isinstance(c, str) else c.cell_len for c in captions))
    per_row = max(1, (width + gap) // (cell + gap))
    row_lines = max(len(b) for b in blocks) + (1 if captions else 0)
    out: list[Text] = []
    shown = 0
    for start in range(0, len(blocks), per_row):
        if out and max_lines is not None and len(out) + row_lines > max_lines:
            break
        row = blocks[start:start + per_row]
        for y in range(max(len(b) for b in row)):
            out.append(_row_line([b[y] if y < len(b) else Text() for b in row], cell, gap))
        if captions:
            out.append(_row_line([c if isinstance(c, Text) else Text(c) for c in captions[start:start + per_row]],
                                 cell, gap))
        shown += len(row)
    return out, shown


def _row_line(parts: list[Text], cell: int, gap: int) -> Text:
    line = Text()
    for i, part in enumerate(parts):
        line.append_text(part)
        if i < len(parts) - 1:
            line.append(" " * (cell - part.cell_len + gap))
    return line


def sparkline(values: list[float], width: int) -> str:
    """The last `width` values as block heights between their min and max."""
    vals = np.asarray(values[-width:], dtype=float)
    if vals.size == 0:
        return ""
    lo, hi = float(vals.min()), float(vals.max())
    span = hi - lo if hi > lo else 1.0
    return "".join(SPARKS[int((v - lo) / span * (len(SPARKS) - 1))] for v in vals)


def target_caption(row: np.ndarray) -> str:
    """The target of one batch image: its class, or the two classes a mix gives weight to."""
    order = np.argsort(row)[::-1]
    if row[order[1]] < 0.02:
        return str(order[0])
    return f"{order[0]}{order[1]}·{row[order[0]]:.1f}"


def batch_lines(snap: ImageSnapshot, width: int, height: int) -> list[Text]:
    """The batch strip, the test predictions and the test curves, in `height` lines."""
    curves = curve_lines(snap, width)
    room = height - len(curves) - 2            # two titles
    lines: list[Text] = []
    if snap.batch is None:
        lines.append(Text(tr("a dense model sees each image as one row of pixels"), style="italic"))
        sample_room = room
    else:
        tags = Text()
        if (snap.holes[:, 0] >= 0).any():
            tags.append(" Cutout", style="bold rgb(200,60,60)")
        if snap.patch[0] >= 0:
            tags.append(f" CutMix λ'={snap.patch[4] / 1000:.2f}", style="bold rgb(90,200,90)")
        blocks = []
        for img, (y0, y1, x0, x1) in zip(snap.batch, snap.holes):
            tint = np.zeros(img.shape[1:], dtype=int)
            if snap.patch[0] >= 0:
                tint[snap.patch[0]:snap.patch[1], snap.patch[2]:snap.patch[3]] = 2
            if y0 >= 0:
                tint[y0:y1, x0:x1] = 1
            blocks.append(picture(img[0], tint=tint))
        strip, shown = tile_fit(blocks, [target_caption(t) for t in snap.batch_targets], width,
                                max_lines=max(room // 2, 5))
        title = Text(tr("step {step} batch as the model sees it", step=max(snap.step, 1)), style="bold")
        count = Text(f" {shown}/{snap.batch_rows}", style="dim")
        if title.cell_len + count.cell_len + tags.cell_len > width:
            title = Text(tr("batch of step {step}", step=max(snap.step, 1)), style="bold")
        if title.cell_len + count.cell_len + tags.cell_len <= width:
            title.append_text(count)
        title.append_text(tags)
        lines.append(title)
        lines += strip
        sample_room = room - len(strip)
    samples = [picture(img[0]) for img in snap.samples]
    if samples and sample_room >= len(samples[0]) + 1:       # else the curves keep their lines
        lines.append(Text(tr("test images: prediction (red when wrong)"), style="bold"))
        caps = [Text(f"{p}", style="green" if p == t else "bold red")
                for p, t in zip(snap.sample_pred, snap.sample_true)]
        lines += tile(samples, caps, width, max_lines=sample_room)
    else:
        lines.append(Text(tr("(test predictions: a taller terminal shows them)"), style="dim"))
    return lines + curves


def curve_lines(snap: ImageSnapshot, width: int) -> list[Text]:
    c = snap.curve
    if not c.epochs:
        return [Text(tr("test curves: after the first epoch"), style="italic")]
    acc, loss = tr("test acc"), tr("test loss")
    label = max(cell_len(acc), cell_len(loss)) + 1          # both sparklines start in the same column
    room = max(4, width - label - 6)
    first = c.epochs[max(0, len(c.epochs) - room)]
    return [Text(f"{pad(acc, label)}{c.accuracy[-1]:.3f} ") + Text(sparkline(c.accuracy, room), style="green"),
            Text(f"{pad(loss, label)}{c.loss[-1]:5.3f} ") + Text(sparkline(c.loss, room), style="rgb(255,165,0)")
            + Text(" " + tr("ep {first}-{last}", first=first, last=c.epochs[-1]), style="dim")]


def confusion_lines(snap: ImageSnapshot, width: int, height: int) -> list[Text]:
    counts = snap.confusion
    k = counts.shape[0]
    total = max(int(counts.sum()), 1)
    cell = 4 if width >= 4 * k + 12 else 3
    # a blank column always ends a row: the loss plot's tick labels start right after the board
    gap = "  " if 4 + k * cell + 6 < width else " "
    lines = [Text(tr("confusion: rows true, columns predicted"), style="bold"),
             Text("    " + "".join(f"{j:>{cell}}" for j in range(k)) + gap + (tr("recall") if cell == 4 else tr("rec")),
                  style="dim")]
    top = max(int(counts.max()), 1)
    for i in range(k):
        line = Text(f" {i:>2} ", style="dim")
        for j in range(k):
            n = int(counts[i, j])
            shade = int(40 + 180 * n / top) if n else 0
            colour = f"rgb(0,{shade},0)" if i == j else f"rgb({shade},0,0)"
            line.append(f"{n:>{cell}}" if n else " " * (cell - 1) + "·",
                        Style(color="white" if n else "grey35", bgcolor=colour if n else None))
        row = int(counts[i].sum())
        line.append(f"{gap}{counts[i, i] / row:4.2f}" if row else f"{gap}   -")
        lines.append(line)
    lines.append(Text(tr("accuracy {accuracy} on {total} test images", accuracy=f"{np.trace(counts) / total:.3f}",
                          total=total), style="bold"))
    lines.append(Text(tr("params: {sizes} = {total}", sizes=" + ".join(str(n) for _, n in snap.layer_params),
                         total=snap.n_params),
                      style="dim"))
    return lines


def filter_lines(snap: ImageSnapshot, width: int, height: int) -> list[Text]:
    filters = snap.filters
    if snap.cnn:
        lines = [Text(tr("filters {height}x{width} (orange +, blue -)", height=filters.shape[2], width=filters.shape[3]),
                       style="bold")]
    else:
        lines = [Text(tr("first-layer weights per hidden unit (orange +, blue -)"), style="bold")]
    scale = 2 if snap.cnn and filters.shape[2] <= 4 and height >= 24 else 1
    blocks = [picture(f[0] / (np.abs(f[0]).max() or 1.0), colour=signed, scale=scale) for f in filters]
    lines += tile(blocks, [str(i + 1) for i in range(len(blocks))], width, max_lines=max(3, height // 3))
    if snap.cnn and filters.shape[2:] == (3, 3):
        edges = sobel_alignment(filters)
        lines.append(Text(tr("edge-like {edges}/{filters}, Sobel |cos| {cos}, nbr {nbr}", edges=int((edges >= 0.7).sum()),
                             filters=len(edges), cos=f"{edges.mean():.2f}",
                             nbr=f"{neighbour_correlation(filters).mean():.2f}"), style="dim"))
    name = Text(tr("image {number} (, .) {true} -> ", number=snap.chosen + 1, true=snap.chosen_true), style="bold")
    name.append(str(snap.chosen_pred), style="green" if snap.chosen_pred == snap.chosen_true else "bold red")
    if not snap.maps:
        return [*lines, name, *picture(snap.chosen_image[0]),
                Text(tr("(a dense model has no feature maps)"), style="italic")]
    lines.append(name)
    drawn, total = 0, sum(min(len(layer), 16) for layer in snap.maps)
    groups = [[picture(snap.chosen_image[0])]] + [[picture(m / (np.abs(m).max() or 1.0), colour=signed)
                                                    for m in layer[:16]] for layer in snap.maps]
    groups[1] = groups[0] + groups[1]          # the input beside its first layer's maps
    for group in groups[1:]:
        room = height - len(lines)
        if room < len(group[-1]):
            break
        part, shown = tile_fit(group, None, width, max_lines=room)
        lines += part
        drawn += shown
    name.append(tr("; input + {drawn}/{total} maps", drawn=drawn - 1, total=total) if drawn else "", style="dim")
    return lines


PAGE_LINES = {"batch": batch_lines, "confusion": confusion_lines, "filters": filter_lines}


def board_lines(snap: ImageSnapshot | None, page: str, width: int, height: int = 40) -> list[Text]:
    """The lines of one page of the board in `width` x `height` cells."""
    header = Text(style="dim")
    for p in PAGES:          # the page in view in capitals and bold (capitals alone do not mark Hangul)
        header.append((tr(p).upper() if p == page else tr(p)) + " ", style="bold" if p == page else "")
    header.append(" " + tr("(i: next)"))
    if snap is None:
        return [header, Text(tr("press space or n to train"), style="italic")]
    return [header, *PAGE_LINES[page](snap, max(width, 10), max(height - 1, 6))]


class ImageBoard(Widget):
    """The image board of the selected run; `snapshot` and `page` are set by the panel."""

    DEFAULT_CSS = "ImageBoard { width: 1fr; height: 1fr; overflow: hidden; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.snapshot: ImageSnapshot | None = None
        self.page = PAGES[0]

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        lines = board_lines(self.snapshot, self.page, width, height)[:max(height, 1)]
        out = Text()
        for i, line in enumerate(lines):
            line.truncate(width)
            out.append_text(line)
            if i < len(lines) - 1:
                out.append("\n")
        return out


__all__ = ["IMAGE_COMMANDS", "ImageBoard", "PAGES", "board_lines", "picture", "tile"]
