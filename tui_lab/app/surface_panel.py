"""The surface kind's panel: an optimizer race on a 2-D loss surface.

Four tabs: Race (contour + paths, loss curves, legend), Runs (the optimizers and every
hyperparameter), Setup (surface, start, batch size, regularizer, steps, seed) and Sweep (a
stability map of two hyperparameters). The numeric work runs in thread workers (Numba
releases the GIL) that advance the runs in chunks; the plots redraw on a timer, never per
step, and a worker waits for the last chunk to be drawn before racing further ahead.
"""

from __future__ import annotations

import os
import time

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Label, RadioButton, RadioSet, Select, Static, TabbedContent, TabPane
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from .commands import Command, bindings
from .forms import FormPanel, field_row
from .panel import PanelStatus

SPEEDS = (10, 30, 100, 300, 1_000, 3_000, 10_000, 100_000, 0)    # steps per second; 0 = as fast as it goes
DEFAULT_SPEED = 2
CHUNK_SECONDS = 0.05            # at full speed, a worker chunk takes about this long
SURFACE_NAMES = ("rosenbrock", "beale", "himmelblau", "booth", "rastrigin", "ackley", "quadratic", "saddle",
                 "goldstein_price", "styblinski_tang", "linreg")
OPTIMIZER_NAMES = ("sgd", "momentum", "nag", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam", "radam",
                   "adamax")


def redraw_hz() -> float:
    """Plots redraw at 15 Hz, or slower where TEXTUAL_FPS asks for it (e.g. over a slow SSH link)."""
    try:
        fps = float(os.environ.get("TEXTUAL_FPS", "15"))
    except ValueError:
        fps = 15.0
    return max(1.0, min(15.0, fps))


SURFACE_COMMANDS = [
    Command("a", "add_run", "Add run", "add an optimizer run (Runs tab to edit it)"),
    Command("d", "remove_run", "Remove run", "remove the selected run", footer=False),
    Command("R", "restart_run", "Restart run", "restart the selected run alone", footer=False),
    Command("l", "toggle_log", "Log loss", "loss plot: linear / log scale of the gap to the minimum", footer=False),
    Command("plus", "faster", "Faster", "more steps per second", footer=False),
    Command("minus", "slower", "Slower", "fewer steps per second", footer=False),
    Command("w", "sweep", "Sweep", "compute the stability map of the Sweep tab's two hyperparameters", footer=False),
    Command("1", "show_tab('race')", "Race tab", "contour, paths and loss curves", footer=False),
    Command("2", "show_tab('runs')", "Runs tab", "optimizers and their hyperparameters", footer=False),
    Command("3", "show_tab('setup')", "Setup tab", "surface, start point, batch size, regularizer", footer=False),
    Command("4", "show_tab('sweep')", "Sweep tab", "stability map of two hyperparameters", footer=False),
]
PLOT_COMMANDS = [
    Command("left", "move_start(-1, 0)", "Start left", "move the start point left (on the plot)", footer=False),
    Command("right", "move_start(1, 0)", "Start right", "move the start point right (on the plot)", footer=False),
    Command("up", "move_start(0, 1)", "Start up", "move the start point up (on the plot)", footer=False),
    Command("down", "move_start(0, -1)", "Start down", "move the start point down (on the plot)", footer=False),
]


class RacePlot(PlotextPlot, can_focus=True):
    """Contour lines with every run's path; arrow keys move the start point while focused."""

    BINDINGS = bindings(PLOT_COMMANDS)

    def __init__(self, panel: "SurfacePanel", **kwargs):
        super().__init__(**kwargs)
        self.panel = panel

    def render(self):
        if self.panel.race is not None:
            from .plots import draw_race

            draw_race(self.plt, self.panel.race, self.size.width, self.size.height)
        return super().render()

    async def action_move_start(self, dx: int, dy: int) -> None:
        await self.panel.move_start(dx, dy)


class LossPlot(PlotextPlot):
    def __init__(self, panel: "SurfacePanel", **kwargs):
        super().__init__(**kwargs)
        self.panel = panel

    def render(self):
        if self.panel.race is not None:
            from .plots import draw_losses

            self.border_title = draw_losses(self.plt, self.panel.race, self.panel.log_loss)
        return super().render()


class SurfacePanel(FormPanel):
    KIND = "surface"
    BINDINGS = bindings(SURFACE_COMMANDS)
    SPEEDS = SPEEDS
    TABS_ID = "#surface-tabs"
    ERROR_ID = "#form-error"
    RUN_GROUP = "surface-run"

    class Prepared(Message):
        """A worker built the runs (and compiled the kernels on a first start)."""

        def __init__(self, race) -> None:
            super().__init__()
            self.race = race

    class Progress(Message):
        """A worker advanced the runs; only the newest matters."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SurfacePanel.Progress)

    class Stopped(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class SweepDone(Message):
        def __init__(self, result: dict) -> None:
            super().__init__()
            self.result = result

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.race = None
        self.log_loss = False
        self.speed = DEFAULT_SPEED
        self.selected = 0
        self.sweep_result: dict | None = None
        self._dirty = True
        self._status = ""
        self._table_syncing = False

    def compose(self) -> ComposeResult:
        with TabbedContent(id="surface-tabs", initial="race"):
            with TabPane("Race", id="race"):
                with Horizontal(id="race-row"):
                    yield RacePlot(self, id="race-plot")
                    with Vertical(id="race-side"):
                        yield LossPlot(self, id="loss-plot")
                        yield Static(id="legend")
            with TabPane("Runs", id="runs"):
                with Horizontal(id="runs-row"):
                    yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
                    yield VerticalScroll(id="run-editor")
            with TabPane("Setup", id="setup"):
                yield VerticalScroll(id="setup-form")
            with TabPane("Sweep", id="sweep"):
                with Horizontal(id="sweep-controls"):
                    yield Select([], prompt="axis a", id="sweep-a", allow_blank=True, compact=True)
                    yield Select([], prompt="axis b", id="sweep-b", allow_blank=True, compact=True)
                    yield Button("Compute (w)", id="sweep-go", compact=True)
                yield Static("Pick two hyperparameters of the selected run and press w.", id="heatmap")
        yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one("#race-plot").border_title = "loss surface"
        table = self.query_one("#runs-table", DataTable)
        table.add_columns("", "run", "optimizer", "lr", "step", "loss", "status")
        self.set_interval(1.0 / redraw_hz(), self._tick)

    # --- KindPanel --------------------------------------------------------------------------
    def load_scenario(self, scenario) -> None:
        self._stop()
        self.race = None
        self.sweep_result = None
        self._say("warming up the numeric kernels (the first start compiles them)…")
        self._prepare(scenario)

    def step_once(self) -> None:
        if self._ready():
            self.running = False
            self._drive(1)

    def reset(self) -> None:
        if self._ready():
            self._stop()
            self.race.restart()
            self._changed("reset: every run back at its start")

    def advance(self, steps: int) -> None:
        if self._ready() and steps > 0:
            self.running = False
            self._drive(steps)

    def commands(self) -> list:
        return SURFACE_COMMANDS + PLOT_COMMANDS

    # --- workers ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="surface-prepare", exit_on_error=False)
    def _prepare(self, scenario) -> None:
        from .plots import plot_dots
        from .surface_model import Race

        race = Race(scenario)
        race.contour_points(*plot_dots(80, 30))     # compiles / loads the contour kernels off the UI thread
        self.post_message(self.Prepared(race))

    @work(thread=True, exclusive=True, group="surface-run", exit_on_error=False)
    def _drive(self, budget: int | None) -> None:
        """Advance the runs: `budget` steps, or (None) until paused or every run reached `steps`."""
        worker = get_current_worker()
        race = self.race
        left = budget
        chunk = 1 if budget is None else max(1, budget // 10)
        while not worker.is_cancelled:
            started = time.perf_counter()
            speed = SPEEDS[self.speed]
            if budget is None:
                if race.finished():
                    self.post_message(self.Stopped(f"done: every run reached {race.settings.steps} steps"))
                    return
                if speed:
                    chunk = max(1, round(speed / redraw_hz()))
                race.advance(chunk, limit=race.settings.steps)
            else:
                chunk = min(left, chunk)
                race.advance(chunk)
                left -= chunk
            elapsed = time.perf_counter() - started
            self._dirty = True
            self._drawn.clear()
            self.post_message(self.Progress())
            if budget is not None and left <= 0:
                self.post_message(self.Stopped(self._summary("paused")))
                return
            if budget is None and speed:
                time.sleep(max(0.0, chunk / speed - elapsed))
            elif elapsed < CHUNK_SECONDS / 2:             # as fast as it goes: chunks of ~CHUNK_SECONDS
                chunk = max(chunk + 1, min(chunk * 4, int(chunk * CHUNK_SECONDS / max(elapsed, 1e-6))))
            self._drawn.wait(0.5)                        # backpressure: never far ahead of the screen

    @work(thread=True, exclusive=True, group="surface-sweep", exit_on_error=False)
    def _sweep(self, run, steps: int, axis_a: str, axis_b: str, side_a: int, side_b: int) -> None:
        """The stability map of one run's setup (sweep() reads the run's settings, never its state)."""
        from ..core.surface_run import sweep
        from .surface_model import sweep_axis

        values_a, values_b = sweep_axis(run.optimizer, axis_a, side_a), sweep_axis(run.optimizer, axis_b, side_b)
        result = sweep(run, axis_a, values_a, axis_b, values_b, steps)
        result["steps"] = steps
        result["label"] = run.optimizer.label
        self.post_message(self.SweepDone(result))

    # --- messages --------------------------------------------------------------------------
    async def on_surface_panel_prepared(self, message: Prepared) -> None:
        self.race = message.race
        self.selected = 0
        await self._rebuild_forms()
        self._changed(self._summary("ready: space runs, n steps, r resets"))

    def on_surface_panel_progress(self, message: Progress) -> None:
        self._status = self._summary("running" if self.running else "stepping")

    def on_surface_panel_stopped(self, message: Stopped) -> None:
        self.running = False
        self._dirty = True
        self._status = ""                     # the final word beats a pending progress line
        self._say(message.reason)

    def on_surface_panel_sweep_done(self, message: SweepDone) -> None:
        from .plots import heatmap_text

        self.sweep_result = message.result
        heat = self.query_one("#heatmap", Static)
        heat.update(heatmap_text(message.result, heat.size.width or 80))
        self._say(f"sweep of {message.result['label']} done")

    def _tick(self) -> None:
        """The redraw timer: plots and tables only when something changed, only the tab in view."""
        if not self._dirty or self.race is None:
            return
        self._dirty = False
        tab = self.query_one("#surface-tabs", TabbedContent).active
        if tab == "race":
            self.query_one("#race-plot").refresh()
            self.query_one("#loss-plot").refresh()
            self._update_legend()
        elif tab == "runs":
            self._update_table()
        if self._status:
            self.post_message(PanelStatus(self._status))
            self._status = ""
        self._drawn.set()

    def _setup(self):
        return self.race

    def _finished_text(self) -> str:
        return f"all runs reached {self.race.settings.steps} steps: raise Steps (Setup tab) or press r"

    def _summary(self, state: str) -> str:
        race = self.race
        if race is None:
            return state
        steps = max((lane.run.t for lane in race.lanes), default=0)
        speed = SPEEDS[self.speed]
        pace = f"{speed} steps/s" if speed else "full speed"
        diverged = sum(lane.run.diverged for lane in race.lanes)
        gone = f", {diverged} diverged" if diverged else ""
        return f"{state}: step {steps}/{race.settings.steps}{gone} ({pace}; +/- to change)"

    # --- legend and tables -----------------------------------------------------------------
    def _update_legend(self) -> None:
        """One entry per run (colour, label, loss, step); entries flow into columns when short of rows."""
        from rich.text import Text

        from ..output import fmt

        legend = self.query_one("#legend", Static)
        entries = []
        with self.race.lock:
            for lane in self.race.lanes:
                entry = Text.assemble(("● ", lane.style), f"{lane.label:<9.9} {fmt(lane.history.last_loss):>9.9}")
                entry.append(" ✗" if lane.run.diverged else "  ", style="bold red")
                entries.append(entry)
        width = max(legend.size.width, 24)
        rows = max(1, self.screen.size.height // 4 - 1)
        columns = max(1, min(width // 24, -(-len(entries) // rows)))
        text = Text()
        for start in range(0, len(entries), columns):
            if start:
                text.append("\n")
            for entry in entries[start:start + columns]:
                text.append_text(entry)
                text.append("  ")
        steps = max((lane.run.t for lane in self.race.lanes), default=0)
        legend.border_title = f"runs @ step {steps}"
        legend.update(text)

    def _update_table(self) -> None:
        """The runs table, updated in place (rebuilt only when runs come or go); its cursor is the
        selected run."""
        from textual.coordinate import Coordinate

        from ..output import fmt

        table = self.query_one("#runs-table", DataTable)
        with self.race.lock:
            rows = [[f"[{lane.style}]●[/]", lane.label, lane.run.optimizer.name,
                     fmt(lane.run.optimizer.hyperparams.get("lr")), lane.run.t, fmt(lane.history.last_loss),
                     f"diverged at {lane.run.t + 1}" if lane.run.diverged else "ok"] for lane in self.race.lanes]
        if table.row_count != len(rows):
            self._table_syncing = True          # ignore the cursor's travels until it reaches `selected`
            table.clear()
            for row in rows:
                table.add_row(*row)
            table.move_cursor(row=self.selected)
            return
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.update_cell_at(Coordinate(r, c), value)

    async def _rebuild_forms(self) -> None:
        await self._rebuild_editor()
        await self._rebuild_setup()
        self._update_table()
        self._update_sweep_axes()

    async def _rebuild_editor(self) -> None:
        """The selected run's optimizer and every hyperparameter, with PyTorch's default beside it."""
        from ..core.optim import OPTIMIZERS

        editor = self.query_one("#run-editor", VerticalScroll)
        await editor.remove_children()
        raw_runs = self.race.raw["optimizers"]
        self.selected = min(self.selected, len(raw_runs) - 1)
        entry = raw_runs[self.selected]
        lane = self.race.lanes[self.selected]
        spec = OPTIMIZERS[entry["name"]]
        rows = [Label(f"run {self.selected + 1}: [{lane.style}]●[/] {lane.label} — {spec.summary}",
                      classes="editor-title"),
                Horizontal(Label("optimizer", classes="field-label"),
                           Select([(n, n) for n in OPTIMIZER_NAMES], value=entry["name"], allow_blank=False,
                                  id="optimizer-select", compact=True), classes="field-row"),
                field_row("label", ("optimizers", self.selected, "label"), entry.get("label"), entry["name"])]
        for h in spec.hypers:
            rows.append(field_row(h.name, ("optimizers", self.selected, h.name), entry.get(h.name), h.default, h.help))
        rows.append(Label("Enter applies an edit and restarts that run; a: add run, d: remove, R: restart.",
                          classes="field-hint"))
        await editor.mount_all(rows)
        editor.border_title = "edit run"

    async def _rebuild_setup(self) -> None:
        from ..core.surfaces import LINREG_DATA_DEFAULTS, SURFACES

        form = self.query_one("#setup-form", VerticalScroll)
        await form.remove_children()
        raw = self.race.raw
        surface = self.race.surface
        spec = surface.spec
        run = raw.get("run", {})
        rows = [Label("Loss surface", classes="section-title"),
                Horizontal(Label("surface", classes="field-label"),
                           Select([(n, n) for n in SURFACE_NAMES], value=spec.name, allow_blank=False,
                                  id="surface-select", compact=True), classes="field-row"),
                Label(f"f(x, y) = {spec.formula}", classes="field-hint"),
                field_row("start", ("surface", "start"), raw["surface"].get("start"), list(spec.start),
                          "x, y (or arrow keys on the plot)")]
        for name, default in spec.params.items():
            rows.append(field_row(name, ("surface", name), raw["surface"].get(name), default))
        if spec.data_driven:
            data = raw.get("data", {})
            rows += [field_row("data n", ("data", "n"), data.get("n"), LINREG_DATA_DEFAULTS["n"]),
                     field_row("data noise", ("data", "noise"), data.get("noise"), LINREG_DATA_DEFAULTS["noise"])]
        rows.append(field_row("steps", ("run", "steps"), run.get("steps"), 200, "the race's length"))
        rows.append(field_row("seed", ("seed",), raw.get("seed"), 0))
        rows.append(Label("Batch size", classes="section-title"))
        batch = run.get("batch_size", 0)
        if spec.data_driven:
            mode = 0 if batch == 0 else 1 if batch == 1 else 2
            rows.append(RadioSet(RadioButton("full batch", value=mode == 0), RadioButton("SGD (1 example)", value=mode == 1),
                                 RadioButton("mini-batch", value=mode == 2), id="batch-mode", compact=True))
            rows.append(field_row("batch size", ("run", "batch_size"), batch if mode == 2 else None, 0,
                                  "0 = full batch"))
        else:
            rows.append(RadioSet(RadioButton("full batch", value=True), RadioButton("SGD (1 example)"),
                                 RadioButton("mini-batch"), id="batch-mode", disabled=True, compact=True))
            rows.append(Label(f"{spec.name} is a formula, not a data set: every step sees the exact gradient. "
                              "Choose linreg to compare batch sizes.", classes="field-hint"))
        rows += [Label("Regularizer", classes="section-title"),
                 field_row("l2", ("run", "l2"), run.get("l2"), 0.0, "adds (l2/2)(x²+y²)"),
                 field_row("l1", ("run", "l1"), run.get("l1"), 0.0, "adds l1(|x|+|y|)"),
                 field_row("grad noise", ("run", "grad_noise"), run.get("grad_noise"), 0.0,
                           "std of Gaussian noise on each gradient")]
        await form.mount_all(rows)

    def _update_sweep_axes(self) -> None:
        from .surface_model import sweep_axes

        names = sweep_axes(self.race.lanes[self.selected].run.optimizer)
        a, b = self.query_one("#sweep-a", Select), self.query_one("#sweep-b", Select)
        a.set_options([(n, n) for n in names])
        b.set_options([(n, n) for n in names])
        if names:
            a.value = names[0]
            b.value = names[1] if len(names) > 1 else names[0]

    # --- edits -----------------------------------------------------------------------------
    async def _edit(self, change, rebuild: bool, what: str) -> bool:
        """Apply an edit through the scenario validator; a bad value shows its one-line error."""
        if not self._validated(change):
            return False
        if rebuild:
            await self._rebuild_forms()
        else:
            self._update_table()
        self._changed(self._summary(what))
        return True

    async def _apply_field(self, path: tuple, value, what: str) -> bool:
        return await self._edit(lambda: self.race.set(path, value), rebuild=False, what=what)

    @on(Select.Changed, "#optimizer-select")
    async def _optimizer_changed(self, event: Select.Changed) -> None:
        if self.race and event.value != self.race.raw["optimizers"][self.selected]["name"]:
            await self._edit(lambda: self.race.set_optimizer(self.selected, event.value), True, "optimizer changed")

    @on(Select.Changed, "#surface-select")
    async def _surface_changed(self, event: Select.Changed) -> None:
        if self.race and event.value != self.race.surface.name:
            self._stop()
            await self._edit(lambda: self.race.set_surface(event.value), True, f"surface {event.value}")

    @on(RadioSet.Changed, "#batch-mode")
    async def _batch_changed(self, event: RadioSet.Changed) -> None:
        if self.race is None or not self.race.surface.spec.data_driven:
            return
        current = self.race.raw.get("run", {}).get("batch_size", 0)
        size = [0, 1, current if current > 1 else min(16, self.race.surface.data_x.shape[0])][event.index]
        if size != current:
            await self._edit(lambda: self.race.set(("run", "batch_size"), size), True, f"batch size {size or 'full'}")

    @on(DataTable.RowHighlighted, "#runs-table")
    async def _run_selected(self, event: DataTable.RowHighlighted) -> None:
        if self._table_syncing:
            self._table_syncing = event.cursor_row != self.selected
            return
        if self.race and event.cursor_row != self.selected and 0 <= event.cursor_row < len(self.race.lanes):
            self.selected = event.cursor_row
            await self._rebuild_editor()
            self._update_sweep_axes()

    @on(Button.Pressed, "#sweep-go")
    def _sweep_pressed(self) -> None:
        self.action_sweep()

    @on(TabbedContent.TabActivated, "#surface-tabs")
    def _tab_shown(self) -> None:
        self._dirty = True

    # --- actions ---------------------------------------------------------------------------
    async def action_add_run(self) -> None:
        if self._ready() and len(self.race.lanes) < 16:
            previous, self.selected = self.selected, len(self.race.lanes)     # select the new run
            if not await self._edit(lambda: self.race.add_run(), True, "run added"):
                self.selected = previous

    async def action_remove_run(self) -> None:
        if not self._ready():
            return
        if len(self.race.lanes) <= 1:
            self._say("the last run stays: a race needs a runner")
            return
        await self._edit(lambda: self.race.remove_run(self.selected), True, "run removed")

    def action_restart_run(self) -> None:
        if self._ready():
            self.race.restart(self.selected)
            self._changed(f"run {self.race.lanes[self.selected].label} restarted")

    def action_toggle_log(self) -> None:
        self.log_loss = not self.log_loss
        self._changed("loss plot: " + ("log scale of loss − f*" if self.log_loss else "linear scale"))

    def action_sweep(self) -> None:
        if not self._ready():
            return
        a, b = self.query_one("#sweep-a", Select).value, self.query_one("#sweep-b", Select).value
        if not isinstance(a, str) or not isinstance(b, str) or a == b:
            self._say("sweep: pick two different hyperparameters first (Sweep tab)")
            return
        self.query_one("#surface-tabs", TabbedContent).active = "sweep"
        self.query_one("#heatmap", Static).update(f"computing {a} × {b} on all cores "
                                                  "(the first sweep compiles its kernel)…")
        lane = self.race.lanes[min(self.selected, len(self.race.lanes) - 1)]
        self._sweep(lane.run, self.race.settings.steps, a, b, 24, 12)

    async def move_start(self, dx: int, dy: int) -> None:
        """Arrow keys on the plot: nudge the start point by 1/40 of the window; every run restarts."""
        if not self._ready():
            return
        x0, x1, y0, y1 = self.race.surface.window()
        sx, sy = self.race.start_point()
        start = [round(sx + dx * (x1 - x0) / 40, 6), round(sy + dy * (y1 - y0) / 40, 6)]
        self._stop()
        await self._edit(lambda: self.race.set(("surface", "start"), start), True, f"start ({start[0]:g}, {start[1]:g})")
