"""The train kind's panel: a model learning a data set, live.

Three tabs: Train (the data with the model's current fit or decision boundary; train and
validation loss curves with their gap; one legend line per run), Setup (data set, model, batch
size, every regularizer, epochs, seed) and Runs (the optimizers and their hyperparameters).
Every edit goes through the scenario validator, so a bad value shows its one-line error and
changes nothing. Training runs in a thread worker in chunks of epochs; each chunk ends with a
snapshot (curves, fit) posted as a message, and the plots redraw on a timer from the newest one.
"""

from __future__ import annotations

import asyncio
import copy
import math
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, RadioButton, RadioSet, Select, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from ..i18n import N_, tr
from .commands import Command, tab_label
from .canvas import RUN_COLOURS as CANVAS_COLOURS
from .forms import FormPanel, edited, field_row, select_row
from .plots import BraillePlot, Curve, SafePlot, curves_figure, marker_of, plotext_colour
from .image_model import HeldOutCurve, ImageSnapshot, image_snapshot
from .image_views import IMAGE_COMMANDS, PAGES, ImageBoard, sparkline
from .inspector import TRAIN_INSPECT_COMMANDS
from .inspector.host import StepView, TrainInspectorHost
from .inspector.text import rule_text
from .surface_panel import OPTIMIZER_NAMES, redraw_hz

SPEEDS = (10, 30, 100, 300, 1_000, 0)        # epochs per second; 0 = as fast as it goes
DEFAULT_SPEED = 2
CHUNK_SECONDS = 0.06                          # at full speed, a worker chunk takes about this long
LESSON_FRAMES = 5                             # a lesson step draws at most about this many frames:
                                              # a frame of the image board costs ~0.15 s CPU
GRID = (72, 36)                               # decision-boundary grid (columns, rows) in data coordinates
CURVE_POINTS = 300
# Each run's colour in plotext and in the Rich legend.
RUN_COLOURS = tuple((plotext_colour(c), c) for c in CANVAS_COLOURS)
TRAIN_STYLE, VAL_STYLE = "bright_cyan", "bright_yellow"      # the loss plot's two lines
CLASS_COLOURS = ("blue+", "red+", "green+", "orange+", "magenta+", "cyan+", "yellow+", "white", "gray+", "blue")
MAX_RUNS = 16
LEGEND_LINES = 5                              # runs listed under the loss plot at once

TRAIN_COMMANDS = [
    Command("v", "select_next", N_("Next run"), N_("show the next run's fit and loss curves")),
    Command("l", "toggle_log", N_("Log loss"), N_("loss plot: linear / log scale"), footer=False),
    Command("a", "add_run", N_("Add run"), N_("add an optimizer run (Runs tab to edit it)"), footer=False),
    Command("d", "remove_run", N_("Remove run"), N_("remove the selected run"), footer=False),
    Command("plus", "faster", N_("Faster"), N_("more epochs per second"), footer=False),
    Command("minus", "slower", N_("Slower"), N_("fewer epochs per second"), footer=False),
    Command("1", "show_tab('train-view')", N_("Train tab"), N_("data, fit and loss curves"), footer=False),
    Command("2", "show_tab('train-setup')", N_("Setup tab"), N_("data set, model, batch size, regularizers"), footer=False),
    Command("3", "show_tab('train-runs')", N_("Runs tab"), N_("optimizers and their hyperparameters"), footer=False),
]


PROFILE_WIDTH = 21        # the sharpness loss profile's points, one block character each


@dataclass
class RunView:
    """What the screen shows of one run, copied out of its trainer after a chunk."""
    label: str
    colour: tuple[str, str]         # plotext, Rich
    epoch: int
    epochs: int
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_metric: float
    val_metric: float
    state: str
    fit: np.ndarray | None          # regression: y on the grid's x; classification: class per grid cell
    images: ImageSnapshot | None = None   # image sets: what the image board draws
    sharpness: dict | None = None   # a finished run with train.sharpness on: lambda_max and the loss profile


class TrainLab:
    """The runs of one train scenario (built from a scenario dict) and the pictures of them."""

    def __init__(self, raw: dict):
        self.lock = threading.RLock()
        self.generation = 0
        self.apply(raw)

    def apply(self, raw: dict) -> None:
        """Validate a new setup (ScenarioError if bad) and restart every run on it."""
        from .. import load_scenario

        scenario = load_scenario(raw)
        trainers = scenario.settings.make_trainers(scenario.seed)
        with self.lock:
            self.raw, self.scenario, self.trainers = raw, scenario, trainers
            self.generation += 1
            data = trainers[0].data
            self.data = data
            self.image_shape = scenario.settings.model.image_shape
            if self.image_shape is not None:     # image sets: an image board instead of a plane
                self.test_curves = [HeldOutCurve() for _ in trainers]
                self.chosen_image = getattr(self, "chosen_image", 0)
                return
            x = data.x
            span = x.max(axis=0) - x.min(axis=0)
            low, high = x.min(axis=0) - 0.1 * span, x.max(axis=0) + 0.1 * span
            self.window = (low[0], high[0], low[1], high[1]) if data.features == 2 else (low[0], high[0], None, None)
            if data.features == 1:
                self.grid = np.linspace(low[0], high[0], 200)[:, None]
            else:
                gx = np.linspace(low[0], high[0], GRID[0])
                gy = np.linspace(low[1], high[1], GRID[1])
                self.grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)

    def restart(self) -> None:
        self.apply(self.raw)

    @property
    def settings(self):
        return self.scenario.settings

    @property
    def epochs(self) -> int:
        return max(tr.config.epochs for tr in self.trainers)

    def finished(self) -> bool:
        return all(tr.finished for tr in self.trainers)

    def advance(self, epochs: int) -> None:
        for tr in self.trainers:
            tr.advance(epochs)

    def view(self, index: int, with_fit: bool) -> RunView:
        from ..core.train import BEST_EPOCH, EARLY_STOPPED, TRAIN_LOSS, TRAIN_METRIC, VAL_LOSS, VAL_METRIC

        trainer = self.trainers[index]
        train_metric = trainer.history[TRAIN_METRIC, trainer.epoch - 1] if trainer.epoch else math.nan
        val_metric = trainer.history[VAL_METRIC, trainer.epoch - 1] if trainer.epoch else math.nan
        state = (tr("diverged") if trainer.diverged
                 else tr("early stop, best {epoch}", epoch=int(trainer.progress[BEST_EPOCH]))
                 if trainer.status == EARLY_STOPPED else tr("done") if trainer.finished else "")
        fit = images = None
        if with_fit and self.image_shape is not None:
            images = image_snapshot(trainer, self.test_curves[index], self.chosen_image, self.image_shape)
        elif with_fit:
            out = trainer.predict(self.grid)
            fit = out if trainer.data.is_regression else (out > 0.5).astype(int) if out.ndim == 1 else out.argmax(axis=1)
        return RunView(trainer.label, RUN_COLOURS[index % len(RUN_COLOURS)], trainer.epoch, trainer.config.epochs,
                       trainer.curve(TRAIN_LOSS).copy(), trainer.curve(VAL_LOSS).copy(), float(train_metric),
                       float(val_metric), state, fit, images, trainer.measured_sharpness())

    def snapshot(self, selected: int) -> list[RunView]:
        """Every run's curves; fits for the selected run (all runs for regression: curves are cheap)."""
        with self.lock:
            regression = self.data.is_regression
            return [self.view(i, regression or i == selected) for i in range(len(self.trainers))]

    def results(self) -> dict:
        from ..kinds.train import results_of

        sc = self.scenario
        return {"title": sc.title, "kind": "train", "seed": sc.seed, **results_of(sc.settings, self.trainers)}


def fmt3(value: float) -> str:
    """A number in at most 6 characters, for the legend."""
    if not math.isfinite(value):
        return "-"
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.0e}"


def thin(values: np.ndarray, points: int) -> tuple[list, list]:
    """At most `points` (epoch, value) pairs of a curve, evenly spaced, the last one kept."""
    n = values.size
    idx = np.unique(np.linspace(0, n - 1, min(n, points)).astype(int)) if n else np.arange(0)
    return (idx + 1).tolist(), values[idx].tolist()


def shared_prefix(labels: list[str]) -> str:
    """The start all labels share, up to and including its last '=' or space ("" if none, or if
    some label would be left empty)."""
    if len(labels) < 2:
        return ""
    start = os.path.commonprefix(labels)
    cut = max(start.rfind("="), start.rfind(" ")) + 1
    return start[:cut] if cut and all(len(label) > cut for label in labels) else ""


class DataPlot(SafePlot):
    """The data set with the selected run's fit (regression) or decision regions (classification)."""

    def __init__(self, panel: "TrainPanel", **kwargs):
        super().__init__(**kwargs)
        self.panel = panel

    def draw(self, plt):
        lab = self.panel.lab        # image sets draw on the image board instead
        return self.panel.draw_data(plt) if lab is not None and self.panel.views and lab.image_shape is None else None


class LossPlot(BraillePlot):
    def __init__(self, panel: "TrainPanel", **kwargs):
        super().__init__(**kwargs)
        self.panel = panel

    def figure(self, width: int, height: int):
        return self.panel.draw_losses(width, height) if self.panel.views else None


class TrainPanel(TrainInspectorHost, FormPanel):
    KIND = "train"
    COMMANDS = TRAIN_COMMANDS + IMAGE_COMMANDS + TRAIN_INSPECT_COMMANDS
    SPEEDS = SPEEDS
    TABS_ID = "#train-tabs"
    ERROR_ID = "#train-error"
    RUN_GROUP = "train-run"
    DEFAULT_CSS = """
    TrainPanel { layout: vertical; }
    TrainPanel #train-tabs { height: 1fr; }
    TrainPanel #train-row { height: 1fr; }
    TrainPanel #train-main { width: 1fr; }
    TrainPanel #train-side { width: 1fr; max-width: 60; }
    TrainPanel.-inspect-wide #train-side { max-width: 100%; }
    TrainPanel #train-loss { height: 1fr; }
    TrainPanel #train-legend { height: auto; }
    TrainPanel #train-error { display: none; height: auto; padding: 0 1; background: $error 20%; }
    TrainPanel #train-error.shown { display: block; }
    TrainPanel .field-row { height: 1; }
    TrainPanel .field-label { width: 16; }
    TrainPanel .field-input { width: 18; }
    TrainPanel .field-hint { color: $text-muted; padding-left: 1; }
    TrainPanel .section-title { text-style: bold; color: $accent; margin-top: 1; }
    TrainPanel .field-row Select { width: 22; }
    TrainPanel RadioSet { height: auto; }
    """

    class Prepared(Message):
        """A worker built the runs (compiling the kernels on a first start)."""

        def __init__(self, lab: TrainLab, views: list[RunView], load: object) -> None:
            super().__init__()
            self.lab = lab
            self.views = views
            self.load = load             # which load_scenario call these runs answer

    class Progress(Message):
        """A worker advanced the runs: the newest snapshot (older ones are dropped)."""

        def __init__(self, generation: int, views: list[RunView]) -> None:
            super().__init__()
            self.generation = generation
            self.views = views

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TrainPanel.Progress)

    class Stopped(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lab: TrainLab | None = None
        self._load: object | None = None   # the latest load_scenario call (see Prepared.load)
        self.views: list[RunView] = []
        self.selected = 0
        self.log_loss = False
        self.speed = DEFAULT_SPEED
        self._dirty = False
        self._forms_lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        with TabbedContent(id="train-tabs", initial="train-view"):
            with TabPane(tab_label("Train"), id="train-view"):
                with Horizontal(id="train-row"):
                    with Vertical(id="train-main"):     # the data plot, or the image board for an image set
                        yield DataPlot(self, id="train-data")
                        yield ImageBoard(id="train-images")
                    with Vertical(id="train-side"):
                        yield LossPlot(self, id="train-loss")
                        yield Static(id="train-legend")
                        yield StepView(id="step-view")
            with TabPane(tab_label("Setup"), id="train-setup"):
                yield VerticalScroll(id="train-setup-form")
            with TabPane(tab_label("Runs"), id="train-runs"):
                yield VerticalScroll(id="train-runs-form")
        yield Static("", id="train-error")

    def on_mount(self) -> None:
        self.set_interval(1.0 / redraw_hz(), self._tick)

    # --- KindPanel --------------------------------------------------------------------------
    def load_scenario(self, scenario) -> None:
        self._stop()
        self.lab = None
        self.views = []
        self._say(tr("warming up the training kernels (the first start compiles them)…"))
        self._load = load = object()   # a later load (a lesson key pressed while warming up) supersedes this one
        self._prepare(copy.deepcopy(scenario.raw) if scenario.raw else None, scenario, load)

    def step_once(self) -> None:
        self.advance(1)

    def reset(self) -> None:
        if self._ready():
            self._stop()
            self.lab.restart()
            self._refresh_views(tr("reset: every run back at epoch 0"))

    def advance(self, steps: int) -> None:
        """`steps` epochs further, as fast as they go (a lesson step plays in seconds), then paused."""
        if self._ready() and steps > 0:
            self._stop()
            self.stepping = True
            self._drive(steps)

    # --- workers ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="train-prepare", exit_on_error=False)
    def _prepare(self, raw: dict | None, scenario, load: object) -> None:
        lab = TrainLab(raw if raw is not None else scenario_dict(scenario))
        lab.trainers[0].evaluate(lab.trainers[0].train_idx)      # compiles / loads the kernels off the UI thread
        self.post_message(self.Prepared(lab, lab.snapshot(0), load))

    @work(thread=True, exclusive=True, group="train-run", exit_on_error=False)
    def _drive(self, budget: int | None) -> None:
        """Advance every run: `budget` epochs, or (None) until paused or every run has finished."""
        worker = get_current_worker()
        lab = self.lab
        generation = lab.generation
        left = budget
        chunk = 1 if budget is None else max(1, -(-budget // LESSON_FRAMES))
        while not worker.is_cancelled:
            if lab.finished():
                self.post_message(self.Stopped(N_("done")))
                return
            speed = SPEEDS[self.speed] if budget is None else 0
            if speed:
                chunk = max(1, round(speed / redraw_hz()))
            step = chunk if left is None else min(chunk, left)
            started = time.perf_counter()
            with lab.lock:
                if lab.generation != generation:      # the setup changed under us
                    return
                lab.advance(step)
                views = lab.snapshot(self.selected)
            elapsed = time.perf_counter() - started
            self._drawn.clear()
            self.post_message(self.Progress(generation, views))
            if left is not None:
                left -= step
                if left <= 0:
                    self.post_message(self.Stopped(N_("paused")))
                    return
            if speed:
                time.sleep(max(0.0, step / speed - elapsed))
            elif elapsed < CHUNK_SECONDS / 2:
                chunk = max(chunk + 1, min(chunk * 4, int(chunk * CHUNK_SECONDS / max(elapsed, 1e-6))))
            self._drawn.wait(0.5)                         # never far ahead of the screen

    # --- messages --------------------------------------------------------------------------
    async def on_train_panel_prepared(self, message: Prepared) -> None:
        if message.load is not self._load:      # superseded: its runs would replace a later load's, steps and all
            return
        self.lab = message.lab
        self.views = message.views
        self.selected = 0
        await self._rebuild_forms()
        if self.lab is message.lab:              # not dropped by a reload meanwhile
            self._changed(self._summary(N_("ready: space trains, n runs one epoch, r resets")))

    def on_train_panel_progress(self, message: Progress) -> None:
        if self.lab is not None and message.generation == self.lab.generation:
            self.views = message.views
            self._dirty = True

    def on_train_panel_stopped(self, message: Stopped) -> None:
        """Said here, after the last snapshot (posted before this message) is in `views`."""
        self.running = self.stepping = False
        self._dirty = True
        self._say(self._summary(message.reason))

    def _tick(self) -> None:
        """The redraw timer: only when a new snapshot came, only the tab in view."""
        if not self._dirty or self.lab is None:
            return
        self._dirty = False
        if self.query_one("#train-tabs", TabbedContent).active == "train-view":
            self.query_one("#train-data").refresh()
            self._show_images()
            self.query_one("#train-loss").refresh()
            self._update_legend()
            self.inspect_refresh()
        if self.running or self.stepping:
            self._say(self._summary(N_("running") if self.running else N_("stepping")))
        self._drawn.set()

    def _refresh_views(self, status: str) -> None:
        self.views = self.lab.snapshot(self.selected)
        self._changed(status)

    def _setup(self):
        return self.lab

    def _finished_text(self) -> str:
        return tr("every run has finished: raise epochs (Setup tab) or press r")

    def _summary(self, state: str) -> str:
        state = tr(state)       # the words passed in are marked N_ where they are written
        if self.lab is None or not self.views:
            return state
        epoch = max(v.epoch for v in self.views)
        speed = SPEEDS[self.speed]
        pace = tr("{speed} epochs/s", speed=speed) if speed else tr("full speed")
        return tr("{state}: epoch {epoch}/{epochs} ({pace}; +/- to change)",
                  state=state, epoch=epoch, epochs=self.lab.epochs, pace=pace)

    # --- drawing ---------------------------------------------------------------------------
    def draw_data(self, plt) -> str:
        lab, view = self.lab, self.views[min(self.selected, len(self.views) - 1)]
        data = lab.data
        x0, x1, y0, y1 = lab.window
        train, val = lab.trainers[0].train_idx, lab.trainers[0].val_idx
        if data.is_regression:
            grid = lab.grid[:, 0].tolist()
            plt.plot(grid, data.truth(lab.grid[:, 0]).tolist(), marker="braille", color="gray")
            plt.scatter(data.x[train, 0].tolist(), data.y[train].tolist(), marker="•", color="white")
            plt.scatter(data.x[val, 0].tolist(), data.y[val].tolist(), marker="○", color="gray+")
            for v in self.views:
                if v.fit is not None and np.all(np.isfinite(v.fit)):
                    lo, hi = float(data.y.min()), float(data.y.max())
                    pad = 0.5 * (hi - lo)
                    plt.plot(grid, np.clip(v.fit, lo - pad, hi + pad).tolist(), marker="braille", color=v.colour[0])
            plt.xlim(x0, x1)
            return tr("{name}: • train ○ val, gray truth", name=data.name)
        if view.fit is not None:
            for k in range(data.n_classes):
                cells = lab.grid[view.fit == k]
                if cells.size:
                    plt.scatter(cells[:, 0].tolist(), cells[:, 1].tolist(), marker="·",
                                color=CLASS_COLOURS[k % len(CLASS_COLOURS)])
        for k in range(data.n_classes):
            colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
            for idx, mark in ((train, "●"), (val, "○")):
                pts = idx[data.y[idx] == k]
                plt.scatter(data.x[pts, 0].tolist(), data.x[pts, 1].tolist(), marker=mark, color=colour)
        plt.xlim(x0, x1)
        plt.ylim(y0, y1)
        return tr("{name}: ● train ○ val", name=data.name)

    def draw_losses(self, width: int, height: int) -> Text:
        """The selected run's train and validation loss per epoch; the key shows each line's own colour."""
        view = self.views[min(self.selected, len(self.views) - 1)]
        curves = [Curve(*thin(values, CURVE_POINTS), style, "●")
                  for values, style in ((view.train_loss, TRAIN_STYLE), (view.val_loss, VAL_STYLE)) if values.size]
        gap = view.val_loss[-1] - view.train_loss[-1] if view.val_loss.size and view.train_loss.size else math.nan
        key = [(" ━ " + tr("train"), f"bold {TRAIN_STYLE}"), (" ━ " + tr("val"), f"bold {VAL_STYLE}"),
               ("  " + tr("gap {gap}", gap=fmt3(gap)), "")]
        title = tr("{label}: loss (log)", label=view.label) if self.log_loss else tr("{label}: loss", label=view.label)
        return curves_figure(curves, self.log_loss, width, height, title, key, note=tr("press space or n to train"))

    def _update_legend(self) -> None:
        """One line per run, its whole label last (never cut; a long one wraps); ▶ marks the run shown.
        Many runs: the lines around the shown one (s walks through them)."""
        views = self.views
        heads = {v.label.partition(" ")[0] for v in views}
        common = len(heads) == 1 and all(" " in v.label for v in views)   # e.g. "adam l2=0.003": drop "adam"
        first = max(0, min(self.selected - LEGEND_LINES // 2, len(views) - LEGEND_LINES))
        metric = "R²" if self.lab.data.is_regression else tr("acc")
        labels = [v.label.partition(" ")[2] if common else v.label for v in views]
        shared = shared_prefix(labels)            # e.g. "batch_size=": said once, as the run column's name
        text = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False)
        text.add_column("", no_wrap=True)
        text.add_column(shared.rstrip("= ") or tr("run"), overflow="fold")   # a long label wraps in its column
        for name in (tr("epoch"), tr("train"), tr("val"), metric):
            text.add_column(name, justify="right", no_wrap=True)
        for i in range(first, min(first + LEGEND_LINES, len(views))):
            v = views[i]
            label = labels[i][len(shared):]
            last_t = v.train_loss[-1] if v.train_loss.size else math.nan
            last_v = v.val_loss[-1] if v.val_loss.size else math.nan
            mark = Text("▶" if i == self.selected else " ")
            mark.append(marker_of(v.colour[1]), style=f"bold {v.colour[1]}")
            run = Text(label)
            if v.state:
                run.append(f" {v.state}", style="italic")
            if v.sharpness is not None:     # the curvature at the minimum, and the loss along a direction through it
                run.append(f" λmax {fmt3(v.sharpness['sharpness'])} ")
                run.append(sparkline(list(v.sharpness["loss_profile"]["loss"]), PROFILE_WIDTH), style=v.colour[1])
            text.add_row(mark, run, str(v.epoch), fmt3(last_t), fmt3(last_v), fmt3(v.val_metric))
        self.query_one("#train-legend", Static).update(text)

    # --- forms -----------------------------------------------------------------------------
    async def _rebuild_forms(self) -> None:
        async with self._forms_lock:     # one rebuild at a time: a form must be mounted before it is replaced
            if self.lab is not None:     # a reload (a lesson key) drops the runs while a rebuild awaits
                await self._rebuild_setup()
            if self.lab is not None:
                await self._rebuild_runs()

    async def _rebuild_setup(self) -> None:
        from ..core.datasets import DATASETS, MULTICLASS
        from ..core.cnn import POOLS
        from ..core.cnn_train import IMAGE_AUGMENTS
        from ..core.image_data import IMAGE_NOISE, IMAGE_SIZES
        from ..core.models import ACTIVATIONS, INITS, MODELS
        from ..core.train import AUGMENTS

        raw = self.lab.raw
        data, model, train, reg = (raw.get(k, {}) for k in ("data", "model", "train", "regularize"))
        batch = train.get("batch_size", 0)
        mode = 0 if batch == 0 else 1 if batch == 1 else 2
        rows = [Label(tr("Data set"), classes="section-title"),
                select_row("data set", "train-data-name", DATASETS, data.get("name")),
                field_row("n", ("data", "n"), data.get("n"), IMAGE_SIZES.get(data.get("name"), 200),
                          tr("points in all")),
                field_row("noise", ("data", "noise"), data.get("noise"),
                          IMAGE_NOISE.get(data.get("name"), 0.1)),
                field_row("split", ("data", "split"), data.get("split"), [0.6, 0.2, 0.2], tr("train, val, test"))]
        if data.get("name") in MULTICLASS:
            rows.append(field_row("classes", ("data", "classes"), data.get("classes"), None, "spirals / blobs"))
        rows += [Label(tr("Model"), classes="section-title"),
                 select_row("model", "train-model-name", MODELS + ("cnn",), model.get("name")),
                 field_row("hidden", ("model", "hidden"), model.get("hidden"), [16], tr("dense layer widths")),
                 select_row("activation", "train-activation", ACTIVATIONS, model.get("activation", "tanh")),
                 field_row("degree", ("model", "degree"), model.get("degree"), 3, "poly"),
                 field_row("init", ("model", "init"), model.get("init"), "xavier", " | ".join(INITS)),
                 *([field_row("conv", ("model", "conv"), model.get("conv"), [8, 16], tr("channels per conv layer")),
                    field_row("kernel", ("model", "kernel"), model.get("kernel"), 3, tr("kernel side")),
                    field_row("pool", ("model", "pool"), model.get("pool"), "max", " | ".join(POOLS))]
                   if model.get("name") == "cnn" else []),
                 Label(tr("Batch size"), classes="section-title"),
                 RadioSet(RadioButton(tr("full batch"), value=mode == 0), RadioButton(tr("SGD (1 example)"), value=mode == 1),
                          RadioButton(tr("mini-batch"), value=mode == 2), id="train-batch-mode", compact=True),
                 field_row("batch size", ("train", "batch_size"), batch if mode == 2 else None, 0,
                           tr("0 = full, 1 = SGD; a list compares")),
                 field_row("drop last", ("train", "drop_last"), train.get("drop_last"), False),
                 field_row("epochs", ("train", "epochs"), train.get("epochs"), 100),
                 field_row("sharpness", ("train", "sharpness"), train.get("sharpness"), 0.0, tr("λ_max + loss profile radius, 0 = off")),
                 field_row("seed", ("seed",), raw.get("seed"), 0),
                 Label(tr("Regularizers (a list of values compares them, one run each)"), classes="section-title")]
        for key, default, hint in (
                ("l2", 0.0, "(l2/2)·Σw²"), ("l1", 0.0, "l1·Σ|w|"),
                ("dropout", 0.0, N_("dense hidden layers, inverted")),
                ("batchnorm", False, N_("mlp hidden / cnn conv layers")), ("input_noise", 0.0, N_("std on inputs")),
                ("weight_noise", 0.0, N_("std on weights")), ("label_smoothing", 0.0, N_("classification")),
                ("mixup", 0.0, "Beta(α, α)"),
                ("augment", "none", tr("{augments}; images: {image_augments}", augments=" | ".join(AUGMENTS), image_augments=" | ".join(IMAGE_AUGMENTS))),
                ("cutout", 0, N_("cnn: square side, px")), ("cutmix", 0.0, "cnn: Beta(α, α)"),
                ("early_stopping", 0, N_("patience, 0 = off"))):
            rows.append(field_row(key.replace("_", " "), ("regularize", key), reg.get(key), default, tr(hint)))
        form = self.query_one("#train-setup-form", VerticalScroll)
        await form.remove_children()
        await form.mount_all(rows)

    async def _rebuild_runs(self) -> None:
        from ..core.optim import OPTIMIZERS

        rows = [Label(tr("a: add a run, d: remove the selected one, v: select the next; Enter applies an edit."),
                      classes="field-hint")]
        for i, entry in enumerate(self.lab.raw["optimizers"]):
            spec = OPTIMIZERS[entry["name"]]
            rows += [Label(tr("run {number}: {label} — {summary}", number=i + 1, label=entry.get('label', entry['name']),
                              summary=tr(spec.summary)), classes="section-title"),
                     select_row("optimizer", f"train-opt-{i}", OPTIMIZER_NAMES, entry["name"]),
                     field_row("label", ("optimizers", i, "label"), entry.get("label"), entry["name"])]
            rows += [field_row(h.name, ("optimizers", i, h.name), entry.get(h.name), h.default, tr(h.help))
                     for h in spec.hypers]
            if i < len(self.lab.trainers):
                rows.append(Static(rule_text(self.lab.trainers[i].optimizer,
                                               tr("update rule (I on the Train tab shows a step's numbers)")), classes="field-hint"))
        form = self.query_one("#train-runs-form", VerticalScroll)
        await form.remove_children()
        await form.mount_all(rows)

    # --- edits -----------------------------------------------------------------------------
    async def _edit(self, raw: dict, what: str, rebuild: bool = False) -> bool:
        """Apply a new setup through the scenario validator; a bad one shows its one-line error."""
        self._stop()
        if not self._validated(lambda: self.lab.apply(raw)):
            return False
        self.selected = min(self.selected, len(self.lab.trainers) - 1)
        if rebuild:
            await self._rebuild_forms()
        self._refresh_views(tr("{what}: every run restarted", what=what))
        return True

    async def _apply_field(self, path: tuple, value, what: str) -> bool:
        if path in (("model", "hidden"), ("data", "split")) and value is not None and not isinstance(value, list):
            value = [value]                     # one number is a one-element list here
        return await self._edit(edited(self.lab.raw, path, value), what,
                                rebuild=path[0] == "optimizers" and path[-1] == "label")

    @on(Select.Changed, "ChoiceSelect")
    async def _select_changed(self, event: Select.Changed) -> None:
        select = event.select
        if self.lab is None or not isinstance(event.value, str) or event.value == select.applied:
            return
        raw, value, name = self.lab.raw, event.value, select.id or ""
        if name == "train-data-name":
            applied = await self._edit(switch_data(raw, value), tr("data set {name}", name=value), rebuild=True)
        elif name == "train-model-name":
            applied = await self._edit(edited(raw, ("model", "name"), value), tr("model {name}", name=value), rebuild=True)
        elif name == "train-activation":
            applied = await self._edit(edited(raw, ("model", "activation"), value), tr("activation {name}", name=value))
        else:
            i = int(name.removeprefix("train-opt-"))
            applied = await self._edit(switch_optimizer(raw, i, value), tr("run {number}: {name}", number=i + 1, name=value), rebuild=True)
        if applied:
            select.applied = value

    @on(RadioSet.Changed, "#train-batch-mode")
    async def _batch_changed(self, event: RadioSet.Changed) -> None:
        if self.lab is None:
            return
        current = self.lab.raw.get("train", {}).get("batch_size", 0)
        mini = current if isinstance(current, int) and current > 1 else min(32, self.lab.settings.data.sizes[0])
        size = [0, 1, mini][event.index]
        if size != current:
            await self._edit(edited(self.lab.raw, ("train", "batch_size"), size),
                             tr("batch size {size}", size=size) if size else tr("batch size full"),
                             rebuild=True)

    @on(TabbedContent.TabActivated, "#train-tabs")
    def _tab_shown(self) -> None:
        self._dirty = True

    # --- actions ---------------------------------------------------------------------------
    def action_select_next(self) -> None:
        if self._ready():
            self.selected = (self.selected + 1) % len(self.lab.trainers)
            self._refresh_views(tr("showing {label}", label=self.lab.trainers[self.selected].label))

    # --- image sets (image_views.py draws the board) ----------------------------------------------
    def _show_images(self) -> None:
        """The image board in place of the data plot for an image set, with the selected run's snapshot."""
        images = self.lab is not None and self.lab.image_shape is not None
        board = self.query_one("#train-images", ImageBoard)
        self.query_one("#train-data").display = not images
        board.display = images
        if images and self.views:
            board.snapshot = self.views[min(self.selected, len(self.views) - 1)].images
            board.refresh()

    def action_next_image_page(self) -> None:
        if self.lab is None or self.lab.image_shape is None:
            data = self.lab.data.name if self.lab is not None else tr("not loaded yet")
            self._say(tr("image views (i) are for image data sets; this one is {data}", data=data))
            return
        board = self.query_one("#train-images", ImageBoard)
        board.page = PAGES[(PAGES.index(board.page) + 1) % len(PAGES)]
        board.refresh()
        self._say(tr("image board: {page}", page=tr(board.page)))

    def action_choose_image(self, delta: int) -> None:
        if self._ready() and self.lab.image_shape is not None:
            with self.lab.lock:
                shown = self.lab.trainers[0].test_idx.size or 1
                self.lab.chosen_image = (self.lab.chosen_image + delta) % shown
            self._refresh_views(tr("feature maps of test image {number}", number=self.lab.chosen_image + 1))

    def action_toggle_log(self) -> None:
        self.log_loss = not self.log_loss
        self._changed(tr("loss plot: log scale") if self.log_loss else tr("loss plot: linear scale"))

    async def action_add_run(self) -> None:
        if self._ready() and len(self.lab.raw["optimizers"]) < MAX_RUNS:
            raw = copy.deepcopy(self.lab.raw)
            raw["optimizers"].append({"name": "adam", "lr": 0.01})
            await self._edit(raw, tr("run added"), rebuild=True)

    async def action_remove_run(self) -> None:
        if not self._ready():
            return
        runs = self.lab.raw["optimizers"]
        if len(runs) <= 1:
            self._say(tr("the last run stays"))
            return
        raw = copy.deepcopy(self.lab.raw)
        del raw["optimizers"][min(self.selected, len(runs) - 1) % len(runs)]
        await self._edit(raw, tr("run removed"), rebuild=True)



def switch_data(raw: dict, name: str) -> dict:
    """Another data set, with the model switched where the old one no longer fits (regression <-> classes)."""
    from ..core.datasets import MULTICLASS, REGRESSION

    raw = edited(raw, ("data", "name"), name)
    if name not in MULTICLASS:
        raw["data"].pop("classes", None)
    model = raw.setdefault("model", {})
    regression_model = model.get("name") in ("linear", "poly")
    if (name in REGRESSION) != regression_model and model.get("name") != "mlp":
        model["name"] = "mlp"
    if name in REGRESSION:
        raw.get("regularize", {}).pop("label_smoothing", None)
    return raw


def switch_optimizer(raw: dict, index: int, name: str) -> dict:
    """Run `index` with another optimizer: its label kept, the learning rate kept, other keys dropped."""
    raw = copy.deepcopy(raw)
    old = raw["optimizers"][index]
    entry = {"name": name, **{k: old[k] for k in ("label", "lr") if k in old}}
    raw["optimizers"][index] = entry
    return raw


def scenario_dict(scenario) -> dict:
    """A scenario given as a parsed object without its source dict: rebuilt from its settings."""
    st = scenario.settings
    base = st.variants[0]
    config = base.config
    return {"title": scenario.title, "description": scenario.description, "kind": "train", "seed": scenario.seed,
            "data": st.data.to_dict(), "model": base.model.to_dict(),
            "train": {"epochs": config.epochs, "batch_size": config.batch_size, "drop_last": config.drop_last},
            "optimizers": [{"name": o.name, "label": o.label, **o.hyperparams} for o in st.optimizers]}
