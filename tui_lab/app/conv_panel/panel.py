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

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer
from textual.message import Message
from textual.widgets import Static

from ...core.conv import NAMED_KERNELS, Term
from ...i18n import N_, tr
from ..autoplay import AutoplayPanel
from ..commands import Command
from .drawing import STYLE_ERROR, ConvPictures
from .model import DEFAULT_SPEED, LIMITS, PHASES, SETTINGS, SPEEDS, Computed, Stepper, ValueCursor, with_entry

CONV_COMMANDS = [
    Command("right", "step_term(1)", N_("Term ›"), N_("add the next product (same as n)"), footer=False, view="step"),
    Command("left", "step_term(-1)", N_("‹ Term"), N_("take the last product back"), footer=False, view="step"),
    Command("full_stop", "step_entry(1)", N_("Cell ›"), N_("finish this output cell / gradient entry, or go to the next"),
            view="step"),
    Command("comma", "step_entry(-1)", N_("‹ Cell"), N_("back one output cell / gradient entry"), footer=False, view="step"),
    Command("b", "next_phase", N_("Phase"), N_("forward → kernel gradient → input gradient")),
    Command("m", "toggle_mode", N_("Mode"), N_("convolution (flipped kernel) / cross-correlation")),
    Command("k", "next_named_kernel", N_("Kernel"), N_("the next named kernel: blur, sharpen, edge, sobel, emboss...")),
    Command("i", "toggle_image", N_("Image"), N_("image view: a built-in picture filtered by the kernel")),
    Command("up", "select_setting(-1)", N_("Setting ↑"), N_("select the previous setting"), footer=False, view="step"),
    Command("down", "select_setting(1)", N_("Setting ↓"), N_("select the next setting"), footer=False, view="step"),
    Command("plus,equals_sign", "change_setting(1)", "+", N_("increase the selected setting"), footer=False, view="step"),
    Command("minus", "change_setting(-1)", "-", N_("decrease the selected setting"), footer=False, view="step"),
    Command("t", "edit_values", N_("Type"), N_("a cursor on the input, then on the kernel, then off: type a value in place")),
    Command("v", "next_speed", N_("Speed"), N_("autoplay speed (terms per second)"), footer=False),
    Command("pageup", "scroll_view(-1)", N_("Page up"), N_("scroll the panel up"), footer=False),
    Command("pagedown", "scroll_view(1)", N_("Page down"), N_("scroll the panel down"), footer=False),
] + [
    Command("left", "move_cursor(0, -1)", N_("Cursor ←"), N_("move the value cursor"), footer=False, view="edit"),
    Command("right", "move_cursor(0, 1)", N_("Cursor →"), N_("move the value cursor"), footer=False, view="edit"),
    Command("up", "move_cursor(-1, 0)", N_("Cursor ↑"), N_("move the value cursor"), footer=False, view="edit"),
    Command("down", "move_cursor(1, 0)", N_("Cursor ↓"), N_("move the value cursor"), footer=False, view="edit"),
    Command("0,1,2,3,4,5,6,7,8,9,minus,full_stop", "type_value", N_("Digits"), N_("type the new value (- and . too)"),
            footer=False, view="edit"),
    Command("backspace", "erase_value", N_("Erase"), N_("erase the last typed character"), footer=False, view="edit"),
    Command("enter", "apply_value", N_("Set value"), N_("set the entry under the cursor to the typed value"), view="edit"),
    Command("escape", "stop_edit", N_("Stop typing"), N_("hide the value cursor"), footer=False, view="edit"),
]


class ConvView(ScrollableContainer, can_focus=True, inherit_bindings=False):
    """The panel's scrolling body. It takes the focus but none of the arrow keys (its parent steps
    and picks settings with them); page up / page down scroll it through the panel's commands."""


class ConvPanel(AutoplayPanel, ConvPictures):
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
        self.cursor: ValueCursor | None = None     # typing a value into the input or a kernel

    def compose(self) -> ComposeResult:
        with ConvView(id="conv-scroll"):
            yield Static(tr("no scenario loaded"), id="conv-head")
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
        """`steps` terms forward (across entries, and past a phase's end into the next phase at its
        start, in `b`'s order, so a lesson reaches the backward phases), then paused; kept for
        later while still computing."""
        if self.data is None or self.stepper is None:
            self.pending_steps += steps
            return
        self._pause()
        for _ in range(steps):
            if not self.stepper.step():
                if self.phase == len(PHASES) - 1:
                    break
                self.phase += 1
                self._restart_phase()
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

    def current_view(self) -> str:
        """"edit" while the value cursor is out (the arrows move it, digits type), else "step"."""
        return "edit" if self.cursor is not None else "step"

    def view_names(self) -> list[str]:
        return ["step", "edit"]

    def show_view(self, view: str) -> None:
        if (view == "edit") != (self.cursor is not None):
            self.action_edit_values() if view == "edit" else self.action_stop_edit()

    # --- typing values in place ---------------------------------------------------------------
    def action_edit_values(self) -> None:
        """t: the cursor on the input, then on the kernel, then away."""
        if not self._ready():
            return
        if self.cursor is None:
            self.cursor = ValueCursor("input", (0, 0, 0))
        elif self.cursor.target == "input":
            self.cursor = ValueCursor("kernel", (0, 0, 0, 0))
        else:
            self.cursor = None
        self.refresh_view()

    def action_move_cursor(self, rows: int, cols: int) -> None:
        if self.cursor is not None and self.data is not None:
            array = self.data.conv.x if self.cursor.target == "input" else self.data.conv.kernel
            self.cursor.move(array.shape, rows, cols)
            self.refresh_view()

    def action_type_value(self) -> None:
        """A digit, - or . typed at the cursor (the key pressed is the character)."""
        key = getattr(self.app, "pressed_key", "")
        if self.cursor is not None:
            self.cursor.type({"minus": "-", "full_stop": "."}.get(key, key))
            self.refresh_view()

    def action_erase_value(self) -> None:
        if self.cursor is not None:
            self.cursor.backspace()
            self.refresh_view()

    def action_stop_edit(self) -> None:
        self.cursor = None
        self.refresh_view()

    def action_apply_value(self) -> None:
        """The typed value into the scenario (input or kernel as an explicit array), through the
        validator; the walk starts again on the new numbers."""
        cursor = self.cursor
        if cursor is None or not self._ready():
            return
        value = cursor.value()
        if value is None:
            self.explain(tr("type a number first (not '{typed}')", typed=cursor.typed) if cursor.typed
                         else tr("type a number first"))
            return
        lay = self.scenario.settings.layout
        if cursor.target == "input":
            array = with_entry(self.data.result["input"], tuple(lay.input_index(*cursor.index)), value)
            self.edit(input=array, input_shape=None, image=None)
        else:
            array = with_entry(self.data.result["kernel"], tuple(lay.kernel_index(*cursor.index)), value)
            self.edit(kernel=array, kernel_shape=None)
        cursor.typed = ""

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
            self._say(tr("phase: {phase}", phase=tr(PHASES[self.phase])))

    def action_next_speed(self) -> None:
        self.speed = (self.speed + 1) % len(SPEEDS)
        self._start_timer(1.0 / SPEEDS[self.speed])
        self._say(tr("speed: {speed} terms per second", speed=SPEEDS[self.speed]))
        self.refresh_view()

    def action_toggle_mode(self) -> None:
        if self.scenario is not None:
            mode = self.scenario.settings.conv.mode
            self.edit(mode="cross-correlation" if mode == "convolution" else "convolution")

    def action_next_named_kernel(self) -> None:
        if self.scenario is None:
            return
        if self.scenario.settings.layout.one_d:
            self.explain(tr("named kernels are 3 x 3 (2-D): this is a 1-D convolution"))
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
            self.explain(tr("{name} does not apply to a 1-D convolution", name=tr(name)))
            return
        low, high = LIMITS[name]
        new = value + direction
        if not low <= new <= high:
            self.explain(tr("{name} stays within {low}..{high} here", name=tr(name), low=low, high=high))
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
        from ...scenario import ScenarioError, load_scenario

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
        self._say(tr("not applied: {reason}", reason=text))

    # --- computing --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="conv-compute", exit_on_error=False)
    def _compute(self, scenario) -> None:
        from ... import run_scenario

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

    def loaded(self) -> bool:
        return self.data is not None and self.stepper is not None

    def _ready(self) -> bool:
        if not self.loaded():
            self._say(tr("still computing: one moment…"))
            return False
        return True

    def _progress(self, state: str) -> str:
        s = self.stepper
        unit = tr("cell") if self.phase == 0 else tr("entry")
        return tr("{state}: {phase}, {unit} {entry}/{entries}, term {term}/{terms}", state=tr(state),
                  phase=tr(PHASES[self.phase]), unit=unit, entry=s.entry + 1, entries=len(s.counts), term=s.k,
                  terms=s.counts[s.entry])

    # --- drawing ----------------------------------------------------------------------------
    def refresh_view(self) -> None:
        if self.data is None or self.stepper is None:
            return
        if self.cursor is not None:
            self.cursor.fit((self.data.conv.x if self.cursor.target == "input" else self.data.conv.kernel).shape)
        # the status line follows every change of the view, so the two never disagree
        self._say(self._progress(N_("done") if self.stepper.finished else N_("playing") if self.playing else N_("paused")))
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
