"""The conv kind's panel: a kernel stepping across a matrix, product by product.

Three phases, switched with `b`: forward (the kernel's window on the padded input, the products of
the current position and their running sum, the output cell filling in), kernel gradient (each
entry collects input x upstream gradient over every window position) and input gradient (each input
entry collects upstream gradient x the kernel entry that met it). One step (`n`, `right`) adds one
term; `.` / `,` jump a whole entry; `space` plays term by term at the chosen speed (`v`).
`advance(k)` (lesson steps) adds k terms.

Settings (input size, channels, kernels, kernel size, stride, padding, dilation) are picked with
`up` / `down` and changed with `+` / `-`; `m` switches convolution / cross-correlation, `k` cycles the
named kernels, `i` shows the image view (a built-in picture filtered by the kernel, in half blocks).
Every change goes through the scenario validator: an invalid combination shows its explanation and
keeps the last valid setup on screen. Numbers are computed in a thread worker.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer
from textual.message import Message
from textual.widgets import Static

from ..core.conv import NAMED_KERNELS, Conv, Term, partial_sums
from ..kinds.conv import shape_text
from .commands import Command
from .autoplay import AutoplayPanel

SPEEDS = (1, 2, 4, 8, 16, 32)       # terms per second when playing
DEFAULT_SPEED = 2
PHASES = ("forward", "kernel gradient", "input gradient")
SETTINGS = ("height", "width", "channels", "kernels", "kernel size", "stride", "padding", "dilation")
SETTING_LABELS = {"height": "H", "width": "W", "channels": "C", "kernels": "O", "kernel size": "k",
                  "stride": "stride", "padding": "padding", "dilation": "dilation"}
LIMITS = {"height": (1, 32), "width": (1, 32), "channels": (1, 4), "kernels": (1, 4), "kernel size": (1, 7),
          "stride": (1, 4), "padding": (0, 4), "dilation": (1, 4)}
MAX_TERMS_SHOWN = 40                # the terms list shows the latest ones when an entry has more

CONV_COMMANDS = [
    Command("right", "step_term(1)", "Term ›", "add the next product (same as n)", footer=False),
    Command("left", "step_term(-1)", "‹ Term", "take the last product back", footer=False),
    Command("full_stop", "step_entry(1)", "Cell ›", "finish this output cell / gradient entry, or go to the next"),
    Command("comma", "step_entry(-1)", "‹ Cell", "back one output cell / gradient entry", footer=False),
    Command("b", "next_phase", "Phase", "forward → kernel gradient → input gradient"),
    Command("m", "toggle_mode", "Mode", "convolution (flipped kernel) / cross-correlation"),
    Command("k", "next_named_kernel", "Kernel", "the next named kernel: blur, sharpen, edge, sobel, emboss..."),
    Command("i", "toggle_image", "Image", "image view: a built-in picture filtered by the kernel"),
    Command("up", "select_setting(-1)", "Setting ↑", "select the previous setting", footer=False),
    Command("down", "select_setting(1)", "Setting ↓", "select the next setting", footer=False),
    Command("plus,equals_sign", "change_setting(1)", "+", "increase the selected setting", footer=False),
    Command("minus", "change_setting(-1)", "-", "decrease the selected setting", footer=False),
    Command("v", "next_speed", "Speed", "autoplay speed (terms per second)", footer=False),
    Command("pageup", "scroll_view(-1)", "Page up", "scroll the panel up", footer=False),
    Command("pagedown", "scroll_view(1)", "Page down", "scroll the panel down", footer=False),
]

STYLE_WINDOW = "on dark_blue"
STYLE_TERM = "bold black on yellow"
STYLE_PAD = "grey42"
STYLE_DONE = "bold green"
STYLE_CURSOR = "bold black on green"
STYLE_ERROR = "bold red"


def compact(index: list[int]) -> str:
    return "[" + ",".join(str(i) for i in index) + "]"


def num(v: float) -> str:
    """A number as the grids show it: integers plainly, others with two decimals."""
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.2f}"


@dataclass
class Computed:
    """Everything one valid setup shows, in the canonical layout (see tui_lab.core.conv)."""
    scenario: object
    conv: Conv
    output: np.ndarray
    grad_output: np.ndarray
    grad_input: np.ndarray
    grad_kernel: np.ndarray
    grad_bias: np.ndarray
    result: dict


class Stepper:
    """Where the walk is: entry `entry` of the phase's entries, with `k` of its terms added.

    Entries before `entry` are complete. A step adds one term; past an entry's last term the walk
    moves to the next entry's first term. Entries with no terms (an input cell no window reaches)
    are complete as soon as they are reached.
    """

    def __init__(self, counts: list[int]):
        self.counts = counts
        self.entry = 0
        self.k = 0

    @property
    def finished(self) -> bool:
        return self.entry == len(self.counts) - 1 and self.k == self.counts[-1]

    def step(self) -> bool:
        """One term forward; False at the very end."""
        if self.k < self.counts[self.entry]:
            self.k += 1
        elif self.entry < len(self.counts) - 1:
            self.entry += 1
            self.k = min(1, self.counts[self.entry])
        else:
            return False
        return True

    def back(self) -> None:
        if self.k > 1 or (self.k == 1 and self.entry == 0):
            self.k -= 1
        elif self.entry > 0:
            self.entry -= 1
            self.k = self.counts[self.entry]

    def next_entry(self) -> None:
        if self.k < self.counts[self.entry]:
            self.k = self.counts[self.entry]
        elif self.entry < len(self.counts) - 1:
            self.entry += 1
            self.k = self.counts[self.entry]

    def previous_entry(self) -> None:
        if self.entry > 0:
            self.entry -= 1
            self.k = self.counts[self.entry]
        else:
            self.k = 0


class ConvView(ScrollableContainer, can_focus=True, inherit_bindings=False):
    """The panel's scrolling body. It takes the focus but none of the arrow keys (its parent steps
    and picks settings with them); page up / page down scroll it through the panel's commands."""


class ConvPanel(AutoplayPanel):
    KIND = "conv"
    COMMANDS = CONV_COMMANDS
    DEFAULT_CSS = """
    ConvPanel { layout: vertical; }
    ConvPanel #conv-scroll { height: 1fr; overflow-x: auto; }
    ConvPanel #conv-head, ConvPanel #conv-settings, ConvPanel #conv-problem { height: auto; }
    ConvPanel #conv-problem { color: $error; }
    ConvPanel #conv-row { height: auto; }
    ConvPanel #conv-grids { width: auto; min-width: 30; padding-right: 2; }
    ConvPanel #conv-terms { width: 1fr; min-width: 30; }
    ConvPanel #conv-keys { height: auto; color: $text-muted; }
    """

    class Ready(Message):
        def __init__(self, computed: Computed) -> None:
            super().__init__()
            self.computed = computed

    class Failed(Message):
        def __init__(self, scenario, text: str) -> None:
            super().__init__()
            self.scenario, self.text = scenario, text

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scenario = None            # the scenario being shown (the last valid one)
        self.data: Computed | None = None
        self.phase = 0
        self.stepper: Stepper | None = None
        self.speed = DEFAULT_SPEED
        self.selected = 0               # index into SETTINGS
        self.image_view = False
        self.problem_text = ""
        self.pending_steps = 0          # lesson steps asked for before the numbers were ready
        self._entries: list[tuple] = []

    def compose(self) -> ComposeResult:
        with ConvView(id="conv-scroll"):
            yield Static("no scenario loaded", id="conv-head")
            yield Static("", id="conv-settings")
            yield Static("", id="conv-problem")
            with Horizontal(id="conv-row"):
                yield Static("", id="conv-grids")
                yield Static("", id="conv-terms")
            yield Static(self.keys_text(), id="conv-keys")

    def on_mount(self) -> None:
        self._start_timer(1.0 / SPEEDS[self.speed])

    # --- KindPanel --------------------------------------------------------------------------
    def load_scenario(self, scenario) -> None:
        self._pause()
        self.scenario = scenario
        self.data = None
        self.stepper = None
        self.pending_steps = 0
        self.phase = 0
        self.image_view = scenario.settings.image is not None
        self.problem_text = ""
        self._compute(scenario)

    def _before_play(self) -> None:
        if self.stepper.finished:
            self._restart_phase()

    def step_once(self) -> None:
        self.advance(1)

    def advance(self, steps: int) -> None:
        """`steps` terms forward (across entries), then paused; kept for later while still computing."""
        if self.data is None or self.stepper is None:
            self.pending_steps += steps
            return
        self._pause()
        for _ in range(steps):
            if not self.stepper.step():
                break
        self.refresh_view()

    def reset(self) -> None:
        self.pending_steps = 0
        if self._ready():
            self._pause()
            self._restart_phase()
            self.refresh_view()

    def to_scenario(self) -> dict:
        if self.scenario is None:
            raise RuntimeError("no scenario loaded")
        return copy.deepcopy(self.scenario.raw)

    def results(self) -> dict | None:
        return None if self.data is None else self.data.result

    # --- actions ----------------------------------------------------------------------------
    def action_step_term(self, direction: int) -> None:
        if direction > 0:
            self.step_once()
        elif self._ready():
            self._pause()
            self.stepper.back()
            self.refresh_view()

    def action_step_entry(self, direction: int) -> None:
        if self._ready():
            self._pause()
            self.stepper.next_entry() if direction > 0 else self.stepper.previous_entry()
            self.refresh_view()

    def action_next_phase(self) -> None:
        if self._ready():
            self._pause()
            self.phase = (self.phase + 1) % len(PHASES)
            self._restart_phase()
            self.refresh_view()
            self._say(f"phase: {PHASES[self.phase]}")

    def action_next_speed(self) -> None:
        self.speed = (self.speed + 1) % len(SPEEDS)
        self._start_timer(1.0 / SPEEDS[self.speed])
        self._say(f"speed: {SPEEDS[self.speed]} terms per second")
        self.refresh_view()

    def action_toggle_mode(self) -> None:
        if self.scenario is not None:
            mode = self.scenario.settings.conv.mode
            self.edit(mode="cross-correlation" if mode == "convolution" else "convolution")

    def action_next_named_kernel(self) -> None:
        if self.scenario is None:
            return
        if self.scenario.settings.layout.one_d:
            self.explain("named kernels are 3 x 3 (2-D): this is a 1-D convolution")
            return
        names = list(NAMED_KERNELS)
        current = self.scenario.settings.kernel_name
        name = names[(names.index(current) + 1) % len(names)] if current in names else names[0]
        self.edit(kernel=name, kernel_shape=None, bias=None)

    def action_toggle_image(self) -> None:
        if self.scenario is not None:
            self.image_view = not self.image_view
            self.refresh_view()

    def action_scroll_view(self, direction: int) -> None:
        view = self.query_one(ConvView)
        view.scroll_page_down() if direction > 0 else view.scroll_page_up()

    def action_select_setting(self, direction: int) -> None:
        if self.data is None:
            return
        values = self.setting_values()
        self.selected = (self.selected + direction) % len(SETTINGS)
        while values[SETTINGS[self.selected]] is None:       # skip what does not apply (height in 1-D)
            self.selected = (self.selected + direction) % len(SETTINGS)
        self.refresh_view()

    def action_change_setting(self, direction: int) -> None:
        if self.data is None:
            return
        name = SETTINGS[self.selected]
        value = self.setting_values()[name]
        if value is None:
            self.explain(f"{name} does not apply to a 1-D convolution")
            return
        low, high = LIMITS[name]
        new = value + direction
        if not low <= new <= high:
            self.explain(f"{name} stays within {low}..{high} here")
            return
        self.edit(**self.setting_edit(name, new))

    # --- settings ---------------------------------------------------------------------------
    def setting_values(self) -> dict[str, int | None]:
        """The current value of each adjustable setting (None where it does not apply)."""
        conv = self.data.conv
        lay = self.scenario.settings.layout
        c_n, h, w = conv.x.shape
        o_n, _, kh, kw = conv.kernel.shape
        return {"height": None if lay.one_d else h, "width": w, "channels": c_n, "kernels": o_n,
                "kernel size": kw, "stride": conv.stride[1], "padding": conv.padding[2], "dilation": conv.dilation[1]}

    def setting_edit(self, name: str, value: int) -> dict:
        """The [conv] keys that set `name` to `value` (sizes become seeded input_shape / kernel_shape)."""
        values = self.setting_values()
        values[name] = value
        lay = self.scenario.settings.layout
        if name in ("stride", "padding", "dilation"):
            return {name: value}
        c_n, o_n, k = values["channels"], values["kernels"], values["kernel size"]
        spatial = [values["width"]] if lay.one_d else [values["height"], values["width"]]
        kernel_spatial = [k] if lay.one_d else [k, k]
        channels = c_n > 1 or lay.input_channels
        changes: dict = {"input": None, "image": None, "input_shape": ([c_n] if channels else []) + spatial}
        if name in ("channels", "kernels", "kernel size"):
            changes.update(kernel=None, kernel_shape=([o_n, c_n] if channels or o_n > 1 else []) + kernel_spatial,
                           bias=None)
        return changes

    def edit(self, **changes) -> None:
        """Apply [conv] key changes (None removes a key) through the validator."""
        from ..scenario import ScenarioError, load_scenario

        raw = copy.deepcopy(self.scenario.raw)
        table = raw.setdefault("conv", {})
        if isinstance(table.get("grad_output"), list) and set(changes) != {"mode"}:
            changes["grad_output"] = "random"        # an explicit upstream gradient no longer fits a new shape
        for key, value in changes.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
        try:
            scenario = load_scenario(raw)
        except ScenarioError as err:
            self.explain(str(err).split(": ", 1)[-1])
            return
        scenario.source = self.scenario.source
        self._pause()
        self.scenario = scenario
        self.problem_text = ""
        self._compute(scenario)

    def explain(self, text: str) -> None:
        """Show why a change was refused; the last valid setup stays on screen."""
        self.problem_text = text
        self.query_one("#conv-problem", Static).update(Text("✗ " + text, style=STYLE_ERROR))
        self._say(f"not applied: {text}")

    # --- computing --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="conv-compute", exit_on_error=False)
    def _compute(self, scenario) -> None:
        from .. import run_scenario

        try:
            st = scenario.settings
            conv = st.conv
            grad = st.grad_array(scenario.seed)
            grad_x, grad_k, grad_b = conv.backward(grad)
            computed = Computed(scenario, conv, conv.forward(), grad, grad_x, grad_k, grad_b, run_scenario(scenario))
        except Exception as err:          # shown, never raised into the app
            self.post_message(self.Failed(scenario, f"{type(err).__name__}: {err}"))
            return
        self.post_message(self.Ready(computed))

    def on_conv_panel_ready(self, message: Ready) -> None:
        if message.computed.scenario is not self.scenario:
            return
        self.data = message.computed
        self._restart_phase()
        pending, self.pending_steps = self.pending_steps, 0
        self.advance(pending)

    def on_conv_panel_failed(self, message: Failed) -> None:
        if message.scenario is self.scenario:
            self.explain(message.text)

    # --- stepping ---------------------------------------------------------------------------
    def entries(self) -> list[tuple]:
        """The phase's entries in visiting order (canonical indices)."""
        d = self.data
        if self.phase == 0:
            return list(np.ndindex(d.output.shape))
        if self.phase == 1:
            return list(np.ndindex(d.grad_kernel.shape))
        return list(np.ndindex(d.grad_input.shape))

    def terms(self, entry: tuple) -> list[Term]:
        d = self.data
        if self.phase == 0:
            return d.conv.forward_terms(*entry)
        if self.phase == 1:
            return d.conv.grad_kernel_terms(d.grad_output, *entry)
        return d.conv.grad_input_terms(d.grad_output, *entry)

    def term_count(self, entry: tuple) -> int:
        d = self.data
        if self.phase == 0:
            return int(np.prod(d.conv.kernel.shape[1:]))
        if self.phase == 1:
            return int(np.prod(d.output.shape[1:]))
        rows, cols = d.conv.grad_input_taps(*entry[1:])
        return d.conv.kernel.shape[0] * len(rows) * len(cols)

    def _restart_phase(self) -> None:
        self._entries = self.entries()
        self.stepper = Stepper([self.term_count(e) for e in self._entries])

    def _tick(self) -> None:
        if not self.playing or self.stepper is None:
            return
        if not self.stepper.step():
            self._pause()
        self.refresh_view()

    def _ready(self) -> bool:
        if self.data is None or self.stepper is None:
            self._say("still computing: one moment…")
            return False
        return True

    def _progress(self, state: str) -> str:
        s = self.stepper
        unit = "cell" if self.phase == 0 else "entry"
        return (f"{state}: {PHASES[self.phase]}, {unit} {s.entry + 1}/{len(s.counts)}, "
                f"term {s.k}/{s.counts[s.entry]}")

    # --- drawing ----------------------------------------------------------------------------
    def refresh_view(self) -> None:
        if self.data is None or self.stepper is None:
            return
        # the status line follows every change of the view, so the two never disagree
        self._say(self._progress("done" if self.stepper.finished else "playing" if self.playing else "paused"))
        self.query_one("#conv-head", Static).update(self.head_text())
        self.query_one("#conv-settings", Static).update(self.settings_text())
        self.query_one("#conv-problem", Static).update(
            Text("✗ " + self.problem_text, style=STYLE_ERROR) if self.problem_text else "")
        if self.image_view:
            self.query_one("#conv-grids", Static).update(self.image_text())
            self.query_one("#conv-terms", Static).update(self.image_notes())
        else:
            entry = self._entries[self.stepper.entry]
            terms = self.terms(entry)[:self.stepper.k]
            self.query_one("#conv-grids", Static).update(self.grids_text(entry, terms))
            self.query_one("#conv-terms", Static).update(self.terms_text(entry, terms))

    def head_text(self) -> Text:
        d, st = self.data, self.scenario.settings
        conv, lay = d.conv, st.layout
        shown = d.result
        text = Text()
        text.append(f"{'1-D' if lay.one_d else '2-D'} {conv.mode}", style="bold")
        if st.kernel_name:
            text.append(f" '{st.kernel_name}'")
        text.append(f" · in {shape_text(np.shape(shown['input']))} · kernel {shape_text(np.shape(shown['kernel']))}"
                    f" · out {shape_text(shown['output_shape'])}  ")
        text.append(PHASES[self.phase], style="bold cyan")
        text.append(f" · {'playing' if self.playing else 'paused'} ({SPEEDS[self.speed]} terms/s)\n")
        height, width = conv.formulas()
        if lay.one_d:
            text.append(f"output length L_out = {width}")
        else:
            text.append(f"H_out = {height}\nW_out = {width}")
        return text

    def settings_text(self) -> Text:
        text = Text("setup (↑↓ pick, +/- change):", style="dim")
        for i, (name, value) in enumerate(self.setting_values().items()):
            if value is None:
                continue
            style = "bold black on cyan" if i == self.selected else ""
            label = "L" if name == "width" and self.scenario.settings.layout.one_d else SETTING_LABELS[name]
            text.append(f" {label} {value} ", style=style)
        return text

    def keys_text(self) -> str:
        return ("n/→ next term  ← back  . next cell  , previous cell  space play  v speed  b phase  "
                "m mode  k named kernel  i image view  ↑/↓ +/- settings")

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
        rows = [[self.block(f"input ch {c}" if c_n > 1 else "input (zero padding grey)",
                            self.grid(conv.x[c], in_styles[c], conv.padding)) for c in range(c_n)]]
        flipped = " (slid flipped)" if conv.mode == "convolution" else ""
        for o in range(o_n):
            rows.append([self.block((f"kernel {o} · ch {c}" if o_n > 1 or c_n > 1 else "kernel") + flipped,
                                    self.grid(conv.kernel[o, c], k_styles[(o, c)])) for c in range(c_n)])
        done = self.done_mask()
        if self.phase == 0:
            rows.append([self.block(f"output ch {o} (bias {num(conv.bias[o])})" if o_n > 1 else "output",
                                    self.grid(d.output[o], {entry[1:]: STYLE_CURSOR} if entry[0] == o else {},
                                              hidden=lambda r, c, o=o: not done[o, r, c]))
                         for o in range(o_n)])
        else:
            rows.append([self.block(f"g = dL/d(out) ch {o}" if o_n > 1 else "g = dL/d(output)",
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
            out.append(f"grad_bias = sum of g per channel = {', '.join(num(v) for v in d.grad_bias)}\n", style="dim")
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
                                       "input x kernel over the window")
        elif self.phase == 1:
            name, left, right, what = ("grad_kernel" + compact(lay.kernel_index(*entry)), x_at, g_at,
                                       "input x g over the window positions")
        else:
            name, left, right, what = ("grad_input" + compact(lay.input_index(*entry)), g_at, k_at,
                                       "g x kernel over the windows on it")
        text = Text(f"{name} = sum of {what}\n", style="bold")
        text.append(f"term {len(terms)}/{total}\n")
        first_shown = max(0, len(terms) - MAX_TERMS_SHOWN)
        if first_shown:
            text.append(f"… {first_shown} earlier terms\n", style="dim")
        channel_sum = 0.0
        slice_terms = int(np.prod(conv.kernel.shape[2:]))     # forward terms per input channel
        for n, t in enumerate(terms):
            if n >= first_shown:
                text.append(f"{left(t.left_index)} {num(t.left_value)} × {right(t.right_index)} {num(t.right_value)}"
                            f" = {num(t.product)}   Σ {num(sums[n])}\n", style="bold" if n == len(terms) - 1 else "")
            channel_sum += t.product
            if self.phase == 0 and conv.x.shape[0] > 1 and (n + 1) % slice_terms == 0:
                text.append(f"  channel {t.left_index[0]} adds {num(channel_sum)}\n", style="cyan")
                channel_sum = 0.0
        if len(terms) == total:
            value = sums[-1] if sums else 0.0
            if self.phase == 0:
                o = entry[0]
                text.append(f"+ bias {num(conv.bias[o])} → {name} = {num(value + conv.bias[o])}\n", style=STYLE_DONE)
                if conv.x.shape[0] > 1:
                    text.append(f"({conv.x.shape[0]} channel sums add into one output channel; kernel {o} "
                                f"makes output channel {o})\n", style="dim")
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
        return "kernel 0 (channel 0 slice)", self.data.conv.kernel[0, 0]

    def filtered_picture(self) -> tuple[np.ndarray, np.ndarray, str]:
        """The picture (RGB) and each of its channels filtered by the kernel with the current stride,
        padding, dilation and mode (a 1-D setup filters the picture with blur, padding 1)."""
        from ..core.images import picture

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
        text = Text(f"{'picture'.ljust(width)}   filtered by {name}\n", style="bold")
        for n in range(max(len(left), len(right))):
            text.append_text(left[n] if n < len(left) else Text(" " * width))
            text.append("   ")
            if n < len(right):
                text.append_text(right[n])
            text.append("\n")
        return text

    def image_notes(self) -> Text:
        name, kernel = self.image_kernel()
        text = Text(f"kernel: {name}\n", style="bold")
        for row in kernel:
            text.append("  " + "  ".join(num(v).rjust(5) for v in row) + "\n")
        text.append(f"sum of weights: {num(kernel.sum())}\n")
        text.append("sum 1 keeps the brightness (blur, sharpen); sum 0 shows only change (edge, sobel),\n"
                    "drawn as the size of the response. Each colour channel is filtered on its own here.\n"
                    "k: next named kernel · i: back to the numbers", style="dim")
        return text
