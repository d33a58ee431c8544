"""Drawing the conv panel's numbers as Rich Text: the grids with the window, the current term and
the value cursor marked, the list of products with their running sum, and the image view. A mixin
of ConvPanel (it reads the panel's state: data, phase, stepper, cursor); no Textual here.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from ...core.conv import NAMED_KERNELS, Conv, Term, partial_sums
from ...i18n import pad, tr
from ...kinds.conv import shape_text
from .model import MAX_TERMS_SHOWN, PHASES, SETTING_LABELS, SPEEDS, compact, num

STYLE_WINDOW = "on dark_blue"
STYLE_TERM = "bold black on yellow"
STYLE_PAD = "grey42"
STYLE_DONE = "bold green"
STYLE_CURSOR = "bold black on green"
STYLE_EDIT = "bold white on magenta"
STYLE_ERROR = "bold red"




class ConvPictures:
    """The panel's pictures (see the module's docstring)."""

    def head_text(self) -> Text:
        d, st = self.data, self.scenario.settings
        conv, lay = d.conv, st.layout
        shown = d.result
        text = Text()
        text.append(f"{'1-D' if lay.one_d else '2-D'} {conv.mode}", style="bold")
        if st.kernel_name:
            text.append(f" '{st.kernel_name}'")
        text.append(" · " + tr("in {input} · kernel {kernel} · out {output}", input=shape_text(np.shape(shown['input'])),
                               kernel=shape_text(np.shape(shown['kernel'])), output=shape_text(shown['output_shape']))
                    + "  ")
        text.append(tr(PHASES[self.phase]), style="bold cyan")
        text.append(" · " + tr("playing" if self.playing else "paused") + " "
                    + tr("({speed} terms/s)", speed=SPEEDS[self.speed]) + "\n")
        height, width = conv.formulas()
        if lay.one_d:
            text.append(tr("output length L_out = {formula}", formula=width))
        else:
            text.append(f"H_out = {height}\nW_out = {width}")
        return text

    def settings_text(self) -> Text:
        cursor = self.cursor
        if cursor is not None:
            lay = self.scenario.settings.layout
            where = (f"x{compact(lay.input_index(*cursor.index))}" if cursor.target == "input"
                     else f"k{compact(lay.kernel_index(*cursor.index))}")
            text = Text(tr("typing {where} = ", where=where), style="bold")
            text.append(cursor.typed or " ", style=STYLE_EDIT)
            text.append("   " + tr("arrows move, digits - . type, Enter sets, t: kernel / off, Esc stops"), style="dim")
            return text
        text = Text(tr("setup (↑↓ pick, +/- change):"), style="dim")
        for i, (name, value) in enumerate(self.setting_values().items()):
            if value is None:
                continue
            style = "bold black on cyan" if i == self.selected else ""
            label = "L" if name == "width" and self.scenario.settings.layout.one_d else SETTING_LABELS[name]
            text.append(f" {label} {value} ", style=style)
        return text

    def keys_text(self) -> str:
        return tr("n/→ next term  ← back  . next cell  , previous cell  space play  v speed  b phase  "
                  "m mode  k named kernel  i image view  ↑/↓ +/- settings  t type values")

    # grids -----------------------------------------------------------------------------------
    def grid(self, arr2d: np.ndarray, styles: dict, pad: tuple = (0, 0, 0, 0), hidden=None) -> list[Text]:
        """Rows of a 2-D array with zero padding around it; styles maps (row, col) -> style in array
        coordinates (padding rows / columns are negative or past the end); `hidden(r, c)` hides cells."""
        top, bottom, left, right = pad
        rows, cols = arr2d.shape
        values = [[num(arr2d[r, c]) for c in range(cols)] for r in range(rows)]
        width = max([len(v) for row in values for v in row] + [1])
        lines = []
        for r in range(-top, rows + bottom):
            line = Text()
            for c in range(-left, cols + right):
                inside = 0 <= r < rows and 0 <= c < cols
                if hidden is not None and inside and hidden(r, c):
                    cell, style = "·", "dim"
                else:
                    cell, style = (values[r][c], "") if inside else ("0", STYLE_PAD)
                style = styles.get((r, c), style)
                line.append(cell.rjust(width), style=style)
                line.append(" ")
            lines.append(line)
        return lines

    @staticmethod
    def block(title: str, lines: list[Text]) -> list[Text]:
        return [Text(title, style="bold")] + lines

    @staticmethod
    def side_by_side(blocks: list[list[Text]], gap: int = 3) -> Text:
        """Blocks of lines placed in one row, each padded to its widest line."""
        widths = [max(line.cell_len for line in b) for b in blocks]
        text = Text()
        for n in range(max(len(b) for b in blocks)):
            for b, width in zip(blocks, widths):
                line = b[n].copy() if n < len(b) else Text()
                line.pad_right(width + gap - line.cell_len)
                text.append_text(line)
            text.rstrip()
            text.append("\n")
        return text

    def grids_text(self, entry: tuple, terms: list[Term]) -> Text:
        """Rows of grids: the input channels; each kernel's channel slices; then the output channels
        (forward) or the upstream gradient and the gradient being filled (backward)."""
        d = self.data
        conv = d.conv
        c_n = conv.x.shape[0]
        o_n = conv.kernel.shape[0]
        last = terms[-1] if terms else None
        # which input cells / kernel entries / upstream cells the current entry's terms touch
        in_styles = {c: {} for c in range(c_n)}
        k_styles = {(o, c): {} for o in range(o_n) for c in range(c_n)}
        g_styles = {o: {} for o in range(o_n)}
        if self.phase == 0:
            for t in conv.forward_terms(*entry):
                in_styles[t.left_index[0]][t.left_index[1:]] = STYLE_WINDOW
        if last is not None:
            if self.phase in (0, 1):
                in_styles[last.left_index[0]][last.left_index[1:]] = STYLE_TERM
            if self.phase == 0:
                k_styles[last.right_index[:2]][last.right_index[2:]] = STYLE_TERM
            elif self.phase == 1:
                g_styles[last.right_index[0]][last.right_index[1:]] = STYLE_TERM
            else:
                g_styles[last.left_index[0]][last.left_index[1:]] = STYLE_TERM
                k_styles[last.right_index[:2]][last.right_index[2:]] = STYLE_TERM
        for t in terms[:-1]:
            if self.phase == 1:
                in_styles[t.left_index[0]].setdefault(t.left_index[1:], STYLE_WINDOW)
            if self.phase == 2:
                g_styles[t.left_index[0]].setdefault(t.left_index[1:], STYLE_WINDOW)
        cursor = self.cursor
        if cursor is not None:                 # the value cursor is drawn above every other mark
            styles = in_styles[cursor.index[0]] if cursor.target == "input" else k_styles[cursor.index[:2]]
            styles[cursor.index[-2:]] = STYLE_EDIT
        rows = [[self.block(tr("input ch {channel}", channel=c) if c_n > 1 else tr("input (zero padding grey)"),
                            self.grid(conv.x[c], in_styles[c], conv.padding)) for c in range(c_n)]]
        flipped = " " + tr("(slid flipped)") if conv.mode == "convolution" else ""
        for o in range(o_n):
            rows.append([self.block((tr("kernel {kernel} · ch {channel}", kernel=o, channel=c) if o_n > 1 or c_n > 1
                                     else tr("kernel")) + flipped,
                                    self.grid(conv.kernel[o, c], k_styles[(o, c)])) for c in range(c_n)])
        done = self.done_mask()
        if self.phase == 0:
            rows.append([self.block(tr("output ch {channel} (bias {bias})", channel=o, bias=num(conv.bias[o])) if o_n > 1
                                    else tr("output"),
                                    self.grid(d.output[o], {entry[1:]: STYLE_CURSOR} if entry[0] == o else {},
                                              hidden=lambda r, c, o=o: not done[o, r, c]))
                         for o in range(o_n)])
        else:
            rows.append([self.block(tr("g = dL/d(out) ch {channel}", channel=o) if o_n > 1 else "g = dL/d(output)",
                                    self.grid(d.grad_output[o], g_styles[o])) for o in range(o_n)])
            lay = self.scenario.settings.layout
            target = d.grad_kernel if self.phase == 1 else d.grad_input
            name = "grad_kernel" if self.phase == 1 else "grad_input"
            channels = lay.kernel_channels if self.phase == 1 else lay.input_channels
            blocks = []
            for index in np.ndindex(target.shape[:-2]):
                styles = {entry[-2:]: STYLE_CURSOR} if entry[:-2] == index else {}
                blocks.append(self.block(name + (compact(index) if channels else ""), self.grid(
                    target[index], styles, hidden=lambda r, c, index=index: not done[index + (r, c)])))
            rows.append(blocks)
        out = Text()
        for row in rows:
            out.append_text(self.side_by_side(row))
        if self.phase:
            out.append(tr("grad_bias = sum of g per channel = {values}", values=", ".join(num(v) for v in d.grad_bias)) + "\n",
                       style="dim")
        return out

    def done_mask(self) -> np.ndarray:
        """True for the entries of the current phase already complete (the current one when all its terms are in)."""
        target = {0: self.data.output, 1: self.data.grad_kernel, 2: self.data.grad_input}[self.phase]
        mask = np.zeros(target.shape, dtype=bool)
        flat = mask.reshape(-1)
        s = self.stepper
        flat[:s.entry] = True
        flat[s.entry] = s.k == s.counts[s.entry]
        return mask

    # terms -----------------------------------------------------------------------------------
    def terms_text(self, entry: tuple, terms: list[Term]) -> Text:
        """The current entry's products so far with the running sum, indices in the scenario's layout
        (x input, k kernel as written, g upstream gradient); per-channel subtotals in the forward pass."""
        conv, lay = self.data.conv, self.scenario.settings.layout
        s = self.stepper
        total = s.counts[s.entry]
        sums = partial_sums(terms)
        x_at = lambda index: "x" + compact(lay.input_index(*index))       # noqa: E731
        k_at = lambda index: "k" + compact(lay.kernel_index(*index))      # noqa: E731
        g_at = lambda index: "g" + compact(lay.output_index(*index))      # noqa: E731
        if self.phase == 0:
            name, left, right, what = ("output" + compact(lay.output_index(*entry)), x_at, k_at,
                                       tr("input x kernel over the window"))
        elif self.phase == 1:
            name, left, right, what = ("grad_kernel" + compact(lay.kernel_index(*entry)), x_at, g_at,
                                       tr("input x g over the window positions"))
        else:
            name, left, right, what = ("grad_input" + compact(lay.input_index(*entry)), g_at, k_at,
                                       tr("g x kernel over the windows on it"))
        text = Text(tr("{name} = sum of {what}", name=name, what=what) + "\n", style="bold")
        text.append(tr("term {done}/{total}", done=len(terms), total=total) + "\n")
        first_shown = max(0, len(terms) - MAX_TERMS_SHOWN)
        if first_shown:
            text.append(tr("… {count} earlier terms", count=first_shown) + "\n", style="dim")
        channel_sum = 0.0
        slice_terms = int(np.prod(conv.kernel.shape[2:]))     # forward terms per input channel
        for n, t in enumerate(terms):
            if n >= first_shown:
                text.append(f"{left(t.left_index)} {num(t.left_value)} × {right(t.right_index)} {num(t.right_value)}"
                            f" = {num(t.product)}   Σ {num(sums[n])}\n", style="bold" if n == len(terms) - 1 else "")
            channel_sum += t.product
            if self.phase == 0 and conv.x.shape[0] > 1 and (n + 1) % slice_terms == 0:
                text.append("  " + tr("channel {channel} adds {sum}", channel=t.left_index[0], sum=num(channel_sum)) + "\n",
                            style="cyan")
                channel_sum = 0.0
        if len(terms) == total:
            value = sums[-1] if sums else 0.0
            if self.phase == 0:
                o = entry[0]
                text.append(tr("+ bias {bias} → {name} = {value}", bias=num(conv.bias[o]), name=name,
                               value=num(value + conv.bias[o])) + "\n", style=STYLE_DONE)
                if conv.x.shape[0] > 1:
                    text.append(tr("({count} channel sums add into one output channel; kernel {kernel} makes output "
                                   "channel {kernel})", count=conv.x.shape[0], kernel=o) + "\n", style="dim")
            else:
                text.append(f"{name} = {num(value)}\n", style=STYLE_DONE)
        return text

    # image view ------------------------------------------------------------------------------
    def image_kernel(self) -> tuple[str, np.ndarray]:
        st = self.scenario.settings
        if st.kernel_name:
            return st.kernel_name, NAMED_KERNELS[st.kernel_name]
        if st.layout.one_d:
            return "blur", NAMED_KERNELS["blur"]
        return tr("kernel 0 (channel 0 slice)"), self.data.conv.kernel[0, 0]

    def filtered_picture(self) -> tuple[np.ndarray, np.ndarray, str]:
        """The picture (RGB) and each of its channels filtered by the kernel with the current stride,
        padding, dilation and mode (a 1-D setup filters the picture with blur, padding 1)."""
        from ...core.images import picture

        name, kernel = self.image_kernel()
        rgb = picture(self.scenario.settings.image or "scene")
        conv = self.data.conv
        if self.scenario.settings.layout.one_d:
            geometry = ((1, 1), (1, 1, 1, 1), (1, 1))
        else:
            geometry = (conv.stride, conv.padding, conv.dilation)
        per_channel = [Conv(rgb[c:c + 1], kernel[None, None], np.zeros(1), *geometry, conv.mode) for c in range(3)]
        if per_channel[0].problem():
            return rgb, np.zeros((3, 1, 1)), name
        out = np.stack([c.forward()[0] for c in per_channel])
        if abs(kernel.sum()) < 1e-9:         # an edge detector: show the size of the response
            out = np.abs(out)
            out = out / max(out.max(), 1e-12)
        return rgb, np.clip(out, 0.0, 1.0), name

    @staticmethod
    def half_blocks(rgb: np.ndarray) -> list[Text]:
        """Two pixel rows per text row: '▀' with the upper pixel as foreground, the lower as background."""
        _, h, w = rgb.shape
        if h % 2:
            rgb = np.concatenate([rgb, np.zeros((3, 1, w))], axis=1)
        levels = (np.clip(rgb, 0, 1) * 255).astype(int)
        lines = []
        for r in range(0, rgb.shape[1], 2):
            line = Text()
            for c in range(w):
                top, bottom = levels[:, r, c], levels[:, r + 1, c]
                line.append("▀", style=f"rgb({top[0]},{top[1]},{top[2]}) on rgb({bottom[0]},{bottom[1]},{bottom[2]})")
            lines.append(line)
        return lines

    def image_text(self) -> Text:
        rgb, out, name = self.filtered_picture()
        left, right = self.half_blocks(rgb), self.half_blocks(out)
        width = rgb.shape[2]
        text = Text(pad(tr("picture"), width) + "   " + tr("filtered by {name}", name=name) + "\n", style="bold")
        for n in range(max(len(left), len(right))):
            text.append_text(left[n] if n < len(left) else Text(" " * width))
            text.append("   ")
            if n < len(right):
                text.append_text(right[n])
            text.append("\n")
        return text

    def image_notes(self) -> Text:
        name, kernel = self.image_kernel()
        text = Text(tr("kernel: {name}", name=name) + "\n", style="bold")
        for row in kernel:
            text.append("  " + "  ".join(num(v).rjust(5) for v in row) + "\n")
        text.append(tr("sum of weights: {sum}", sum=num(kernel.sum())) + "\n")
        text.append(tr("sum 1 keeps the brightness (blur, sharpen); sum 0 shows only change (edge, sobel),\n"
                       "drawn as the size of the response. Each colour channel is filtered on its own here.\n"
                       "k: next named kernel · i: back to the numbers"), style="dim")
        return text
