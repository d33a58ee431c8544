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

from ..i18n import N_, tr
from .commands import Command, tab_label
from .forms import FormPanel, field_row, select_row
from ..core.optim import OPTIMIZERS
from .inspector import INSPECT_COMMANDS
from .inspector.host import StepView, SurfaceInspectorHost
from .inspector.text import rule_text
from .plots import BraillePlot, draw_losses, draw_race, legend_text

TABS_TEXTS = ("Race", "Runs", "Setup", "Sweep")     # the sub-tabs' names, shown through tab_label
SPEEDS = (10, 30, 100, 300, 1_000, 3_000, 10_000, 100_000, 0)    # steps per second; 0 = as fast as it goes
DEFAULT_SPEED = 2
CHUNK_SECONDS = 0.05            # at full speed, a worker chunk takes about this long
SURFACE_NAMES = ("rosenbrock", "beale", "himmelblau", "booth", "rastrigin", "ackley", "quadratic", "saddle",
                 "goldstein_price", "styblinski_tang", "linreg")
OPTIMIZER_NAMES = tuple(OPTIMIZERS)      # the optimizer registry's order


def redraw_hz() -> float:
    """Plots redraw at 15 Hz, or slower where TEXTUAL_FPS asks for it (e.g. over a slow SSH link)."""
    try:
        fps = float(os.environ.get("TEXTUAL_FPS", "15"))
    except ValueError:
        fps = 15.0
    return max(1.0, min(15.0, fps))


SURFACE_COMMANDS = [
    Command("a", "add_run", N_("Add run"), N_("add an optimizer run (Runs tab to edit it)")),
    Command("d", "remove_run", N_("Remove run"), N_("remove the selected run"), footer=False),
    Command("R", "restart_run", N_("Restart run"), N_("restart the selected run alone"), footer=False),
    Command("l", "toggle_log", N_("Log loss"), N_("loss plot: linear / log scale of the gap to the minimum"),
            footer=False),
    Command("plus", "faster", N_("Faster"), N_("more steps per second"), footer=False),
    Command("minus", "slower", N_("Slower"), N_("fewer steps per second"), footer=False),
    Command("w", "sweep", N_("Sweep"), N_("compute the stability map of the Sweep tab's two hyperparameters"),
            footer=False),
    Command("greater_than_sign", "scale_lr(2)", N_("lr ×2"),
            N_("double the selected run's learning rate (it restarts)")),
    Command("less_than_sign", "scale_lr(0.5)", N_("lr ÷2"),
            N_("halve the selected run's learning rate (it restarts)")),
    Command("m", "step_momentum(1)", N_("Momentum +"), N_("raise the selected run's momentum or beta1 (it restarts)"),
            footer=False),
    Command("M", "step_momentum(-1)", N_("Momentum −"),
            N_("lower the selected run's momentum or beta1 (it restarts)"),
            footer=False),
    Command("v", "select_next", N_("Next run"), N_("select the next run (the one <, >, m, M, d, R change)"),
            footer=False),
    Command("1", "show_tab('race')", N_("Race tab"), N_("contour, paths and loss curves"), footer=False),
    Command("2", "show_tab('runs')", N_("Runs tab"), N_("optimizers and their hyperparameters"), footer=False),
    Command("3", "show_tab('setup')", N_("Setup tab"), N_("surface, start point, batch size, regularizer"),
            footer=False),
    Command("4", "show_tab('sweep')", N_("Sweep tab"), N_("stability map of two hyperparameters"), footer=False),
]
RACE_COMMANDS = [
    Command("left", "move_start(-1, 0)", N_("Start left"),
            N_("move the start point left (Race tab; or click the plot)"),
            footer=False, view="race"),
    Command("right", "move_start(1, 0)", N_("Start right"), N_("move the start point right (Race tab)"), footer=False,
            view="race"),
    Command("up", "move_start(0, 1)", N_("Start up"), N_("move the start point up (Race tab)"), footer=False,
            view="race"),
    Command("down", "move_start(0, -1)", N_("Start down"), N_("move the start point down (Race tab)"), footer=False,
            view="race"),
]
SWEEP_COMMANDS = [
    Command("left", "move_cell(-1, 0)", N_("Cell left"), N_("move the sweep map's cursor (Sweep tab)"), footer=False,
            view="sweep"),
    Command("right", "move_cell(1, 0)", N_("Cell right"), N_("move the sweep map's cursor (Sweep tab)"), footer=False,
            view="sweep"),
    Command("up", "move_cell(0, 1)", N_("Cell up"), N_("move the sweep map's cursor (Sweep tab)"), footer=False,
            view="sweep"),
    Command("down", "move_cell(0, -1)", N_("Cell down"), N_("move the sweep map's cursor (Sweep tab)"), footer=False,
            view="sweep"),
    Command("u", "use_cell", N_("Use cell"), N_("add the sweep cell under the cursor as a run (or click a cell)"),
            view="sweep"),
]


class RacePlot(BraillePlot, can_focus=True):
    """Contour lines with every run's path; a click sets the start point there."""

    def __init__(self, panel: "SurfacePanel", **kwargs):
        super().__init__(**kwargs)
        self.panel = panel

    def figure(self, width: int, height: int):
        if self.panel.race is None:
            return None
        return draw_race(self.panel.race, width, height, overlay=self.panel.inspect_overlay)

    async def on_click(self, event) -> None:
        from .plots import race_point_at

        offset = event.get_content_offset(self)
        point = None if offset is None or self.panel.race is None else race_point_at(
            self.panel.race, self.content_size.width, self.content_size.height, offset.x, offset.y)
        if point is not None:
            await self.panel.set_start(*point)


class LossPlot(BraillePlot):
    def __init__(self, panel: "SurfacePanel", **kwargs):
        super().__init__(**kwargs)
        self.panel = panel

    def figure(self, width: int, height: int):
        return None if self.panel.race is None else draw_losses(self.panel.race, self.panel.log_loss, width, height)


class SurfacePanel(SurfaceInspectorHost, FormPanel):
    KIND = "surface"
    COMMANDS = SURFACE_COMMANDS + RACE_COMMANDS + SWEEP_COMMANDS + INSPECT_COMMANDS
    SPEEDS = SPEEDS
    TABS_ID = "#surface-tabs"
    ERROR_ID = "#form-error"
    RUN_GROUP = "surface-run"

    class Prepared(Message):
        """A worker built the runs (and compiled the kernels on a first start)."""

        def __init__(self, race, load: object) -> None:
            super().__init__()
            self.race = race
            self.load = load             # which load_scenario call this race answers

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
        self._load: object | None = None   # the latest load_scenario call (see Prepared.load)
        self.log_loss = False
        self.speed = DEFAULT_SPEED
        self.selected = 0
        self.sweep_result: dict | None = None
        self.sweep_cell = (0, 0)       # the sweep map's cursor: (index along axis a, along axis b)
        self._dirty = True
        self._progressed = False        # a worker advanced the runs since the last redraw
        self._table_syncing = False

    def compose(self) -> ComposeResult:
        with TabbedContent(id="surface-tabs", initial="race"):
            with TabPane(tab_label("Race"), id="race"):
                with Horizontal(id="race-row"):
                    yield RacePlot(self, id="race-plot")
                    with Vertical(id="race-side"):
                        yield LossPlot(self, id="loss-plot")
                        yield Static(id="legend")
                        yield StepView(id="step-view")
            with TabPane(tab_label("Runs"), id="runs"):
                with Horizontal(id="runs-row"):
                    yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
                    yield VerticalScroll(id="run-editor")
            with TabPane(tab_label("Setup"), id="setup"):
                yield VerticalScroll(id="setup-form")
            with TabPane(tab_label("Sweep"), id="sweep"):
                with Horizontal(id="sweep-controls"):
                    yield Select([], prompt=tr("axis a"), id="sweep-a", allow_blank=True, compact=True)
                    yield Select([], prompt=tr("axis b"), id="sweep-b", allow_blank=True, compact=True)
                    yield Button(tr("Compute (w)"), id="sweep-go", compact=True)
                yield Static(tr("Pick two hyperparameters of the selected run and press w."), id="heatmap")
        yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.query_one("#race-plot").border_title = tr("loss surface")
        table = self.query_one("#runs-table", DataTable)
        table.add_columns("", tr("run"), tr("optimizer"), "lr", tr("step"), tr("loss"), tr("status"))
        self.set_interval(1.0 / redraw_hz(), self._tick)

    # --- KindPanel --------------------------------------------------------------------------
    def load_scenario(self, scenario) -> None:
        self._stop()
        self.race = None
        self.sweep_result = None
        self._say(tr("warming up the numeric kernels (the first start compiles them)…"))
        self._load = load = object()   # a later load (a lesson key pressed while warming up) supersedes this one
        self._prepare(scenario, load)

    def step_once(self) -> None:
        self.advance(1)

    def reset(self) -> None:
        if self._ready():
            self._stop()
            self.race.restart()
            self._changed(tr("reset: every run back at its start"))

    def advance(self, steps: int) -> None:
        """`steps` further (never past the race's length), as fast as it goes, then paused."""
        if not self._ready() or steps <= 0:
            return
        if self.race.finished():
            self._stop()
            self._say(self._finished_text())
            return
        self.running, self.stepping = False, True
        self._drive(steps)

    # --- workers ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="surface-prepare", exit_on_error=False)
    def _prepare(self, scenario, load: object) -> None:
        from .plots import plot_dots
        from .surface_model import Race

        race = Race(scenario)
        race.contour_points(*plot_dots(80, 30))     # compiles / loads the contour kernels off the UI thread
        self.post_message(self.Prepared(race, load))

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
                    self.post_message(self.Stopped(tr("done: every run reached {steps} steps",
                                                      steps=race.settings.steps)))
                    return
                if speed:
                    chunk = max(1, round(speed / redraw_hz()))
                race.advance(chunk, limit=race.settings.steps)
            else:
                chunk = min(left, chunk)
                race.advance(chunk, limit=race.settings.steps)
                left = 0 if race.finished() else left - chunk
            elapsed = time.perf_counter() - started
            self._dirty = True
            self._drawn.clear()
            self.post_message(self.Progress())
            if budget is not None and left <= 0:
                self.post_message(self.Stopped(self._summary(N_("paused"))))
                return
            if budget is None and speed:
                time.sleep(max(0.0, chunk / speed - elapsed))
            elif elapsed < CHUNK_SECONDS / 2:             # as fast as it goes: chunks of ~CHUNK_SECONDS
                chunk = max(chunk + 1, min(chunk * 4, int(chunk * CHUNK_SECONDS / max(elapsed, 1e-6))))
            self._drawn.wait(0.5)                        # backpressure: never far ahead of the screen

    @work(thread=True, exclusive=True, group="surface-sweep", exit_on_error=False)
    def _sweep(self, run, index: int, steps: int, axis_a: str, axis_b: str, side_a: int, side_b: int) -> None:
        """The stability map of one run's setup (sweep() reads the run's settings, never its state)."""
        from ..core.surface_run import sweep
        from .surface_model import sweep_axis

        values_a, values_b = sweep_axis(run.optimizer, axis_a, side_a), sweep_axis(run.optimizer, axis_b, side_b)
        result = sweep(run, axis_a, values_a, axis_b, values_b, steps)
        result["steps"] = steps
        result["label"] = run.optimizer.label
        result["run_index"] = index
        self.post_message(self.SweepDone(result))

    # --- messages --------------------------------------------------------------------------
    def on_surface_panel_prepared(self, message: Prepared) -> None:
        if message.load is not self._load:      # superseded: its race would replace a later load's, steps and all
            return
        self.race = message.race
        self.selected = 0
        self.query_one("#race-plot").refresh()
        self.query_one("#loss-plot").refresh()
        self._update_table()
        self._changed(self._summary(N_("ready: space runs, n steps, r resets")))
        # the race is drawn first; the Runs and Setup forms (a third of a second of widgets, behind
        # their tabs) are built once it is on screen
        self.call_after_refresh(self._build_forms_for, message.race)

    async def _build_forms_for(self, race) -> None:
        if self.race is race:              # (not if another scenario came meanwhile)
            await self._rebuild_forms()

    def on_surface_panel_progress(self, message: Progress) -> None:
        self._progressed = True

    def on_surface_panel_stopped(self, message: Stopped) -> None:
        self.running = self.stepping = False
        self._dirty = True
        self._progressed = False              # the final word beats a pending progress line
        self._say(message.reason)

    def on_surface_panel_sweep_done(self, message: SweepDone) -> None:
        self.sweep_result = message.result
        count_a, count_b = message.result["final_loss"].shape
        self.sweep_cell = (count_a // 2, count_b // 2)
        self._show_heatmap()
        self._say(tr("sweep of {label} done: arrows pick a cell, u makes it a run", label=message.result["label"]))

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
            self.inspect_refresh()
        elif tab == "runs":
            self._update_table()
        if self._progressed and (self.running or self.stepping):     # a paused race says nothing new
            self._say(self._summary(N_("running") if self.running else N_("stepping")))
        self._progressed = False
        self._drawn.set()

    def _setup(self):
        return self.race

    def _finished_text(self) -> str:
        return tr("all runs reached {steps} steps: raise Steps (Setup tab) or press r", steps=self.race.settings.steps)

    def _summary(self, state: str) -> str:
        state = tr(state)       # the words passed in are marked N_ where they are written, or translated
        race = self.race
        if race is None:
            return state
        steps = max((lane.run.t for lane in race.lanes), default=0)
        speed = SPEEDS[self.speed]
        pace = tr("{speed} steps/s", speed=speed) if speed else tr("full speed")
        diverged = sum(lane.run.diverged for lane in race.lanes)
        gone = tr(", {count} diverged", count=diverged) if diverged else ""
        return tr("{state}: step {step}/{steps}{diverged} ({pace}; +/- to change)",
                  state=state, step=steps, steps=race.settings.steps, diverged=gone, pace=pace)

    # --- legend and tables -----------------------------------------------------------------
    def _update_legend(self) -> None:
        """One entry per run (marker, whole label, loss); entries flow into columns when short of rows."""
        legend = self.query_one("#legend", Static)
        legend.update(legend_text(self.race, max(legend.content_size.width, 24), max(1, self.screen.size.height // 4 - 1)))
        steps = max((lane.run.t for lane in self.race.lanes), default=0)
        legend.border_title = tr("runs @ step {step}", step=steps)

    def _update_table(self) -> None:
        """The runs table, updated in place (rebuilt only when runs come or go); its cursor is the
        selected run."""
        from textual.coordinate import Coordinate

        from ..output import fmt

        table = self.query_one("#runs-table", DataTable)
        with self.race.lock:
            rows = [[f"[{lane.style}]●[/]", lane.label, lane.run.optimizer.name,
                     fmt(lane.run.optimizer.hyperparams.get("lr")), lane.run.t, fmt(lane.history.last_loss),
                     tr("diverged at {step}", step=lane.run.t + 1) if lane.run.diverged else tr("ok")]
                    for lane in self.race.lanes]
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
        if self.race is None:       # another scenario started loading while the forms were rebuilt
            return
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
        rows = [Label(tr("run {number}: ", number=self.selected + 1)
                      + f"[{lane.style}]●[/] {lane.label} — {tr(spec.summary)}",
                      classes="editor-title"),
                select_row("optimizer", "optimizer-select", OPTIMIZER_NAMES, entry["name"]),
                field_row("label", ("optimizers", self.selected, "label"), entry.get("label"), entry["name"])]
        for h in spec.hypers:
            rows.append(field_row(h.name, ("optimizers", self.selected, h.name), entry.get(h.name), h.default, tr(h.help)))
        rows.append(Static(rule_text(lane.run.optimizer, tr("update rule (I shows a step's numbers)")),
                           classes="field-hint"))
        rows.append(Label(tr("Enter applies an edit and restarts that run; a: add run, d: remove, R: restart."),
                          classes="field-hint"))
        await editor.mount_all(rows)
        editor.border_title = tr("edit run")

    async def _rebuild_setup(self) -> None:
        from ..core.surfaces import LINREG_DATA_DEFAULTS, SURFACES

        form = self.query_one("#setup-form", VerticalScroll)
        await form.remove_children()
        raw = self.race.raw
        surface = self.race.surface
        spec = surface.spec
        run = raw.get("run", {})
        rows = [Label(tr("Loss surface"), classes="section-title"),
                select_row("surface", "surface-select", SURFACE_NAMES, spec.name),
                Label(f"f(x, y) = {tr(spec.formula)}", classes="field-hint"),
                field_row("start", ("surface", "start"), raw["surface"].get("start"), list(spec.start),
                          tr("x, y (or arrow keys on the plot)"))]
        for name, default in spec.params.items():
            rows.append(field_row(name, ("surface", name), raw["surface"].get(name), default))
        if spec.data_driven:
            data = raw.get("data", {})
            rows += [field_row("data n", ("data", "n"), data.get("n"), LINREG_DATA_DEFAULTS["n"]),
                     field_row("data noise", ("data", "noise"), data.get("noise"), LINREG_DATA_DEFAULTS["noise"])]
        rows.append(field_row("steps", ("run", "steps"), run.get("steps"), 200, tr("the race's length")))
        rows.append(field_row("seed", ("seed",), raw.get("seed"), 0))
        rows.append(Label(tr("Batch size"), classes="section-title"))
        batch = run.get("batch_size", 0)
        if spec.data_driven:
            mode = 0 if batch == 0 else 1 if batch == 1 else 2
            rows.append(RadioSet(RadioButton(tr("full batch"), value=mode == 0),
                                 RadioButton(tr("SGD (1 example)"), value=mode == 1),
                                 RadioButton(tr("mini-batch"), value=mode == 2), id="batch-mode", compact=True))
            rows.append(field_row("batch size", ("run", "batch_size"), batch if mode == 2 else None, 0,
                                  tr("0 = full batch")))
        else:
            rows.append(RadioSet(RadioButton(tr("full batch"), value=True), RadioButton(tr("SGD (1 example)")),
                                 RadioButton(tr("mini-batch")), id="batch-mode", disabled=True, compact=True))
            rows.append(Label(tr("{name} is a formula, not a data set: every step sees the exact gradient. "
                                 "Choose linreg to compare batch sizes.", name=spec.name), classes="field-hint"))
        rows += [Label(tr("Regularizer"), classes="section-title"),
                 field_row("l2", ("run", "l2"), run.get("l2"), 0.0, tr("adds (l2/2)(x²+y²)")),
                 field_row("l1", ("run", "l1"), run.get("l1"), 0.0, tr("adds l1(|x|+|y|)")),
                 field_row("grad noise", ("run", "grad_noise"), run.get("grad_noise"), 0.0,
                           tr("std of Gaussian noise on each gradient"))]
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
            await self._edit(lambda: self.race.set_optimizer(self.selected, event.value), True, tr("optimizer changed"))

    @on(Select.Changed, "#surface-select")
    async def _surface_changed(self, event: Select.Changed) -> None:
        if self.race and event.value != self.race.surface.name:
            self._stop()
            await self._edit(lambda: self.race.set_surface(event.value), True, tr("surface {name}", name=event.value))

    @on(RadioSet.Changed, "#batch-mode")
    async def _batch_changed(self, event: RadioSet.Changed) -> None:
        if self.race is None or not self.race.surface.spec.data_driven:
            return
        current = self.race.raw.get("run", {}).get("batch_size", 0)
        size = [0, 1, current if current > 1 else min(16, self.race.surface.data_x.shape[0])][event.index]
        if size != current:
            await self._edit(lambda: self.race.set(("run", "batch_size"), size), True,
                             tr("batch size {size}", size=size) if size else tr("full batch"))

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
            if not await self._edit(lambda: self.race.add_run(), True, tr("run added")):
                self.selected = previous

    async def action_remove_run(self) -> None:
        if not self._ready():
            return
        if len(self.race.lanes) <= 1:
            self._say(tr("the last run stays: a race needs a runner"))
            return
        await self._edit(lambda: self.race.remove_run(self.selected), True, tr("run removed"))

    def action_restart_run(self) -> None:
        if self._ready():
            self.race.restart(self.selected)
            self._changed(tr("run {label} restarted", label=self.race.lanes[self.selected].label))

    def action_toggle_log(self) -> None:
        self.log_loss = not self.log_loss
        self._changed(tr("loss plot: log scale of loss − f*") if self.log_loss else tr("loss plot: linear scale"))

    def action_sweep(self) -> None:
        if not self._ready():
            return
        a, b = self.query_one("#sweep-a", Select).value, self.query_one("#sweep-b", Select).value
        if not isinstance(a, str) or not isinstance(b, str) or a == b:
            self._say(tr("sweep: pick two different hyperparameters first (Sweep tab)"))
            return
        self.query_one("#surface-tabs", TabbedContent).active = "sweep"
        self.query_one("#heatmap", Static).update(
            tr("computing {a} × {b} on all cores (the first sweep compiles its kernel)…", a=a, b=b))
        index = min(self.selected, len(self.race.lanes) - 1)
        self._sweep(self.race.lanes[index].run, index, self.race.settings.steps, a, b, 24, 12)

    async def action_move_start(self, dx: int, dy: int) -> None:
        """Arrow keys on the Race tab: nudge the start point by 1/40 of the window; every run restarts."""
        if not self._ready():
            return
        x0, x1, y0, y1 = self.race.surface.window()
        sx, sy = self.race.start_point()
        await self.set_start(sx + dx * (x1 - x0) / 40, sy + dy * (y1 - y0) / 40)

    async def set_start(self, x: float, y: float) -> None:
        """A new start point (arrow keys, a click on the plot): every run restarts from it."""
        if not self._ready():
            return
        start = [round(x, 6), round(y, 6)]
        self._stop()
        await self._edit(lambda: self.race.set(("surface", "start"), start), True,
                             tr("start ({x}, {y})", x=f"{start[0]:g}", y=f"{start[1]:g}"))

    async def action_scale_lr(self, factor: float) -> None:
        if not self._ready():
            return
        index = self.selected
        holder = {}
        if await self._edit(lambda: holder.setdefault("lr", self.race.scale_lr(index, factor)), True, tr("lr changed")):
            self._say(self._summary(tr("{label}: lr {lr}, restarted", label=self.race.lanes[index].label,
                                       lr=f"{holder['lr']:g}")))

    async def action_step_momentum(self, direction: int) -> None:
        if not self._ready():
            return
        index = self.selected
        holder = {}
        if not await self._edit(lambda: holder.setdefault("step", self.race.step_momentum(index, direction)), True,
                                tr("momentum changed")):
            return
        if holder["step"] is None:
            self._say(tr("{label} has no momentum or beta1 to change", label=self.race.lanes[index].label))
        else:
            name, value = holder["step"]
            self._say(self._summary(tr("{label}: {name} {value}, restarted", label=self.race.lanes[index].label,
                                       name=name, value=f"{value:g}")))

    async def action_select_next(self) -> None:
        if not self._ready():
            return
        self.selected = (self.selected + 1) % len(self.race.lanes)
        self._table_syncing = True
        self.query_one("#runs-table", DataTable).move_cursor(row=self.selected)
        await self._rebuild_editor()
        self._update_sweep_axes()
        self._dirty = True
        self._say(tr("selected run {number}: {label}", number=self.selected + 1,
                     label=self.race.lanes[self.selected].label))

    # --- the sweep map's cursor ---------------------------------------------------------------
    def _show_heatmap(self) -> None:
        """The map with its cursor cell in reverse video, and what the cursor points at."""
        from .plots import HEAT_LEFT, HEAT_TOP, heatmap_cell_width, heatmap_text

        sweep = self.sweep_result
        heat = self.query_one("#heatmap", Static)
        width = heat.size.width or 80
        text = heatmap_text(sweep, width)
        i, j = self.sweep_cell
        cell = heatmap_cell_width(sweep, width)
        lines = text.plain.split("\n")
        line = HEAT_TOP + sweep["final_loss"].shape[1] - 1 - j
        start = sum(len(part) + 1 for part in lines[:line]) + HEAT_LEFT + i * cell
        text.stylize("reverse", start, start + cell)
        loss = sweep["final_loss"][i, j]
        text.append(f"\n{tr('cursor')}: {sweep['axis_a']}={sweep['values_a'][i]:.3g}, {sweep['axis_b']}="
                    f"{sweep['values_b'][j]:.3g} → " + (tr("loss {loss}", loss=f"{loss:.4g}")
                                                         if loss == loss and abs(loss) != float("inf")
                                                         else tr("diverged"))
                    + tr("   (arrows move it; u or a click adds it as a run)"), style="bold")
        heat.update(text)

    def _no_sweep_text(self) -> str:
        if any(w.group == "surface-sweep" and w.is_running for w in self.workers):
            return tr("the sweep is still computing: one moment…")
        return tr("no sweep yet: press w to compute one")

    def action_move_cell(self, di: int, dj: int) -> None:
        if self.sweep_result is None:
            self._say(self._no_sweep_text())
            return
        count_a, count_b = self.sweep_result["final_loss"].shape
        i, j = self.sweep_cell
        self.sweep_cell = (min(max(i + di, 0), count_a - 1), min(max(j + dj, 0), count_b - 1))
        self._show_heatmap()

    async def action_use_cell(self) -> None:
        if self.sweep_result is None:
            self._say(self._no_sweep_text())
            return
        if not self._ready() or len(self.race.lanes) >= 16:
            return
        i, j = self.sweep_cell
        previous, self.selected = self.selected, len(self.race.lanes)
        if await self._edit(lambda: self.race.use_sweep_cell(self.sweep_result, i, j), True, tr("sweep cell added")):
            lane = self.race.lanes[-1]
            cell = (f"{self.sweep_result['axis_a']}={self.sweep_result['values_a'][i]:.3g}, "
                    f"{self.sweep_result['axis_b']}={self.sweep_result['values_b'][j]:.3g}")
            self._say(self._summary(tr("run {label} added from the sweep cell ({cell})", label=lane.label, cell=cell)))
        else:
            self.selected = previous

    async def on_click(self, event) -> None:
        """A click on a cell of the sweep map makes it a run."""
        from .plots import heatmap_cell_at

        heat = self.query_one("#heatmap", Static)
        if self.sweep_result is None or event.widget is not heat:
            return
        offset = event.get_content_offset(heat)
        cell = None if offset is None else heatmap_cell_at(self.sweep_result, heat.size.width or 80, offset.x, offset.y)
        if cell is not None:
            self.sweep_cell = cell
            self._show_heatmap()
            await self.action_use_cell()
