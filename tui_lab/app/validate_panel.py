"""The validate kind's panel: the picture a lecturer draws for each generalization experiment.

The whole experiment is computed once in a thread worker (it takes well under a second once the
kernels are compiled); the panel then reveals its rows one at a time, so `n` adds one more fold,
degree, replicate or model to the picture, and `space` plays the rest through. Left: the data
with the fits (or, for cross-validation, the fold layout); right: the numbers as curves.
"""

from __future__ import annotations

import copy
import math

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ..core.validate import CV_METHODS, METHODS
from .commands import Command, bindings
from .autoplay import AutoplayPanel

PLAY_SECONDS = 6.0          # `space` plays a long experiment through in about this long,
SLOWEST_RATE = 2.0          # and a short one at this many rows per second, so each can be seen
TICK_SECONDS = 0.1
LOG_SPAN = 30.0             # loss plots switch to a log axis when the losses span more than this factor

VALIDATE_COMMANDS = [
    Command("m", "next_method", "Method", "switch to the next validation method (same data and model)"),
]

FOLD_MARKS = {0: ("·", "dim"), 1: ("█", "dodger_blue2"), 2: ("░", "orange1"), 3: ("×", "red")}
TITLES = {
    "kfold": "k-fold cross-validation", "loo": "leave-one-out cross-validation",
    "timeseries": "forward-chaining (time series) validation", "capacity": "capacity: under- and overfitting",
    "bias_variance": "bias-variance decomposition", "bootstrap": "bootstrap: spread of fits and of the test loss",
    "bagging": "bagging: averaging bootstrap models", "boosting": "boosting: fitting the residuals, round by round",
}


class LossAxis:
    """Losses as plotted: their log10, with 1eK tick labels, when they span orders of magnitude
    (an overfit fold can be a million times worse than the rest), else as they are. Built from
    every row of the experiment, so the axis holds still while the rows are revealed."""

    def __init__(self, values):
        finite = [v for v in values if math.isfinite(v) and v > 0]
        self.low, self.high = (min(finite), max(finite)) if finite else (1.0, 1.0)
        self.log = self.high / self.low > LOG_SPAN

    def __call__(self, values) -> list[float]:
        return [math.log10(max(v, 1e-300)) for v in values] if self.log else list(values)

    def ticks(self, plt) -> None:
        if self.log:
            first, last = math.floor(math.log10(self.low)), math.ceil(math.log10(self.high))
            powers = list(range(first, last + 1, max(1, math.ceil((last - first) / 5))))
            plt.yticks(powers, [f"1e{k}" for k in powers])


CANDIDATE_KEYS = ("degree", "width", "l2")
CLASS_COLOURS = ("blue", "orange", "green", "magenta", "cyan", "red")


def candidate_key(row: dict) -> tuple:
    """Which candidate (degree / width / l2) a row belongs to."""
    return tuple((key, row[key]) for key in CANDIDATE_KEYS if key in row)


def candidate_name(row: dict, keys: list[str]) -> str:
    """A short name from the keys the candidates differ in, e.g. 'd3', 'w16', 'λ0.01', 'd9 λ0.1'."""
    symbols = {"degree": "d", "width": "w", "l2": "λ"}
    return " ".join(f"{symbols[key]}{row[key]:g}" for key in keys)


def varying_keys(candidates: list[dict]) -> list[str]:
    return [key for key in CANDIDATE_KEYS if len({c.get(key) for c in candidates}) > 1]


def complexity(rows: list[dict]) -> str:
    """The swept complexity of capacity / bias_variance rows."""
    return "width" if rows and "width" in rows[0] else "degree"


def clipped(values, ylim: tuple[float, float]) -> list[float]:
    lo, hi = ylim
    return [min(max(float(v), lo), hi) for v in values]


class Picture(PlotextPlot, can_focus=True):
    """A plot drawn by the panel from its current outcome and reveal count (focusable, so the
    panel's own keys reach it when the lab puts the focus inside the panel)."""

    def __init__(self, panel: "ValidatePanel", which: str, **kwargs):
        super().__init__(**kwargs)
        self.panel = panel
        self.which = which

    def render(self):
        self.plt.clear_figure()
        if self.panel.outcome is not None:
            self.border_title = self.panel.draw(self.which, self.plt)
        return super().render()


class ValidatePanel(AutoplayPanel):
    KIND = "validate"
    BINDINGS = bindings(VALIDATE_COMMANDS)
    DEFAULT_CSS = """
    ValidatePanel { layout: vertical; }
    ValidatePanel #validate-head { height: auto; max-height: 3; }
    ValidatePanel #validate-row { height: 1fr; }
    ValidatePanel #validate-left { width: 1fr; }
    ValidatePanel #validate-right { width: 1fr; }
    ValidatePanel #validate-layout { height: 1fr; display: none; }
    ValidatePanel #validate-numbers { height: auto; max-height: 5; }
    ValidatePanel.folds #validate-layout { display: block; }
    ValidatePanel.folds #validate-fits { display: none; }
    """

    class Computed(Message):
        def __init__(self, scenario, problem, outcome, result: dict) -> None:
            super().__init__()
            self.scenario, self.problem, self.outcome, self.result = scenario, problem, outcome, result

    class Failed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scenario = None
        self.problem = None
        self.outcome = None
        self.result: dict | None = None
        self.shown = 0            # rows of the outcome revealed so far
        self._credit = 0.0        # rows owed to the play timer (it reveals fractions of a row per tick)

    def compose(self) -> ComposeResult:
        yield Static("no scenario loaded", id="validate-head")
        with Horizontal(id="validate-row"):
            with Vertical(id="validate-left"):
                yield Picture(self, "fits", id="validate-fits")
                yield Static("", id="validate-layout")
            yield Picture(self, "curves", id="validate-right")
        yield Static("", id="validate-numbers")

    def on_mount(self) -> None:
        self._start_timer(TICK_SECONDS)

    # --- KindPanel --------------------------------------------------------------------------
    def load_scenario(self, scenario) -> None:
        self._pause()
        self.scenario = scenario
        self.outcome = None
        self.shown = 0
        self._say(f"computing {scenario.settings.method}…")
        self._compute(scenario)

    def _before_play(self) -> None:
        if self.shown >= self.total:
            self.shown = 0
        self._credit = 0.0

    def step_once(self) -> None:
        self.advance(1)

    def advance(self, steps: int) -> None:
        if self._ready():
            self._pause()
            self._reveal(self.shown + steps)

    def reset(self) -> None:
        if self._ready():
            self._pause()
            self._reveal(0)

    def to_scenario(self) -> dict:
        if self.scenario is None:
            raise RuntimeError("no scenario loaded")
        return copy.deepcopy(self.scenario.raw)

    def results(self) -> dict | None:
        return self.result

    def commands(self) -> list:
        return VALIDATE_COMMANDS

    def action_next_method(self) -> None:
        """The same data and model under the next method; keys only the old method used are dropped."""
        from ..kinds.validate import KEY_METHODS
        from ..scenario import ScenarioError, load_scenario

        if self.scenario is None:
            return
        raw = copy.deepcopy(self.scenario.raw)
        table = raw.setdefault("validate", {})
        method = METHODS[(METHODS.index(self.scenario.settings.method) + 1) % len(METHODS)]
        table["method"] = method
        for key in [k for k in table if k in KEY_METHODS and method not in KEY_METHODS[k]]:
            del table[key]
        if method not in ("bagging", "boosting"):
            table.pop("depth", None)
        try:
            self.load_scenario(load_scenario(raw))
        except ScenarioError as err:
            self._say(f"cannot switch to {method}: {err}")

    # --- computing ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="validate-compute", exit_on_error=False)
    def _compute(self, scenario) -> None:
        from ..kinds.validate import experiment, result_dict

        try:
            problem, outcome = experiment(scenario.settings, scenario.seed)
        except ValueError as err:
            self.post_message(self.Failed(str(err)))
            return
        result = {"title": scenario.title, "kind": scenario.kind, "seed": scenario.seed,
                  **result_dict(scenario.settings, problem, outcome, include_data=True)}
        self.post_message(self.Computed(scenario, problem, outcome, result))

    def on_validate_panel_computed(self, message: Computed) -> None:
        if message.scenario is not self.scenario:
            return                      # a newer scenario is on its way
        self.problem, self.outcome, self.result = message.problem, message.outcome, message.result
        self.set_class(self.outcome.method in CV_METHODS, "folds")
        st = self.scenario.settings
        head = Text()
        head.append(TITLES[st.method], style="bold")
        head.append(f"  ·  data {st.data.name} (n={st.data.n}, noise={st.data.noise:g})  ·  {self._model_text()}")
        head.append(f"\n{self.total} {self._unit()}s to reveal: n adds one, space plays, r resets, m next method",
                    style="dim")
        self.query_one("#validate-head", Static).update(head)
        self._reveal(0)
        self._say(self._progress("ready"))

    def on_validate_panel_failed(self, message: Failed) -> None:
        self._say(f"error: {message.text}")

    # --- revealing ---------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return 0 if self.outcome is None else len(self.outcome.results)

    def _reveal(self, count: int) -> None:
        self.shown = max(0, min(count, self.total))
        self.query_one("#validate-fits").refresh()
        self.query_one("#validate-right").refresh()
        if self.outcome.method in CV_METHODS:
            layout = self.query_one("#validate-layout", Static)
            layout.update(self._fold_layout(layout.size.width or 40, layout.size.height or 12))
        self.query_one("#validate-numbers", Static).update(self._numbers())
        if not self.playing:
            self._say(self._progress("paused" if self.shown else "ready"))

    def _tick(self) -> None:
        if not self.playing or self.outcome is None:
            return
        self._credit += max(self.total / PLAY_SECONDS, SLOWEST_RATE) * TICK_SECONDS
        rows = int(self._credit)
        if not rows:
            return
        self._credit -= rows
        self._reveal(self.shown + rows)
        self._say(self._progress("playing"))
        if self.shown >= self.total:
            self._pause()
            self._say(self._progress("done"))

    def _ready(self) -> bool:
        if self.outcome is None:
            self._say("still computing: one moment…")
            return False
        return True

    def _unit(self) -> str:
        sweep = complexity(self.outcome.results)
        return {"capacity": sweep, "bias_variance": sweep, "bootstrap": "replicate", "bagging": "model",
                "boosting": "round"}.get(self.outcome.method, "fold")

    def _progress(self, state: str) -> str:
        return f"{state}: {self._unit()} {self.shown}/{self.total}"

    def _model_text(self) -> str:
        st = self.scenario.settings
        if st.method in ("bagging", "boosting") and st.learner != "model":
            return "learner " + ("stump" if st.learner == "stump" else f"tree of depth {st.depth}")
        if st.degrees or st.widths:
            return ("degrees " if st.degrees else "widths ") + ", ".join(map(str, st.degrees or st.widths))
        return f"model {st.model.name}" + (f" degree {st.model.degree}" if st.model.name == "poly" else "")

    # --- the numbers line ----------------------------------------------------------------------
    def _numbers(self) -> Text:
        from ..output import fmt

        text = Text()
        rows = self.outcome.results[:self.shown]
        if rows:
            last = rows[-1]
            text.append("latest: ", style="bold")
            text.append("  ".join(f"{k} {fmt(v)}" for k, v in last.items()))
            text.append("\n")
        if self.shown >= self.total:
            text.append("result: ", style="bold")
            text.append("  ".join(f"{k} {fmt(v)}" for k, v in self.outcome.summary.items()))
        return text

    # --- the fold layout -----------------------------------------------------------------------
    def _fold_layout(self, width: int, height: int) -> Text:
        """One line per fold: the pool's points (binned to fit) as train █ / validation ░, the test
        points apart on the right; then the fold's losses. The latest folds stay in view."""
        layout = self.outcome.curves["layout"]
        pool, test = layout["pool"], layout["test"]
        timeseries = self.outcome.method == "timeseries"
        folds = layout["folds"]
        if timeseries:
            display = np.concatenate([pool, test])                  # time order, the future (test) last
        else:                                                       # each fold's validation block together
            display = np.concatenate([f["val"] for f in folds] + [test])
        column_of = {row: i for i, row in enumerate(display)}
        rows = self.outcome.results[:self.shown]
        keys = varying_keys(self.outcome.extras["candidates"])
        prefix = max(len(candidate_name(r, keys)) for r in self.outcome.results) + 5
        bins = max(8, min(width - prefix - len(" val 0.0000e+00"), display.size))
        text = Text()
        for mark, name in zip(FOLD_MARKS.values(), ("unused", "train", "validation", "test (never used)")):
            text.append(*mark)
            text.append(f" {name}  ", style="dim")
        text.append("\n")
        visible = rows[-max(1, height - 2):]
        for row in visible:
            fold = folds[row["fold"] - 1]
            marks = np.zeros(display.size, dtype=np.int8)          # 0 unused, 1 train, 2 val, 3 test
            marks[[column_of[r] for r in fold["train"]]] = 1
            marks[[column_of[r] for r in fold["val"]]] = 2
            marks[pool.size:] = 3
            label = candidate_name(row, keys)
            text.append(f"{label} {row['fold']:>3} ".rjust(prefix), style="bold")
            for chunk in np.array_split(marks, bins):
                text.append(*FOLD_MARKS[int(chunk.max())])     # a bin shows its most telling point
            text.append(f" val {row['val_loss']:.3g}\n")
        return text

    # --- the plots -----------------------------------------------------------------------------
    def draw(self, which: str, plt) -> str:
        """Draw the left ('fits') or right ('curves') picture; returns the plot's title."""
        method = self.outcome.method
        if which == "curves":
            return {"bias_variance": self._draw_decomposition, "bootstrap": self._draw_spread,
                    }.get(method, self._draw_losses)(plt)
        if "grid" not in self.outcome.curves:
            return self._draw_classes(plt)
        self._draw_data(plt)
        return getattr(self, f"_fits_{method}", self._fits_none)(plt)

    def _draw_classes(self, plt) -> str:
        """Two-input data: the training points, one colour per class."""
        p = self.problem
        x, y = p.x[p.train], p.y[p.train]
        for label in np.unique(y):
            mine = y == label
            plt.scatter(x[mine, 0].tolist(), x[mine, 1].tolist(), marker="dot",
                        color=CLASS_COLOURS[int(label) % len(CLASS_COLOURS)])
        return "training points by class"

    def _draw_data(self, plt) -> None:
        p = self.problem
        plt.scatter(p.x[p.train, 0].tolist(), p.y[p.train].tolist(), marker="dot", color="gray")
        if "truth" in self.outcome.curves:
            plt.plot(self.outcome.curves["grid"].tolist(), self.outcome.curves["truth"].tolist(),
                     marker="braille", color="green")
        lo, hi = float(p.y.min()), float(p.y.max())
        pad = 0.25 * (hi - lo)
        plt.ylim(lo - pad, hi + pad)
        self._ylim = (lo - pad, hi + pad)

    def _curve(self, plt, values, color: str) -> None:
        plt.plot(self.outcome.curves["grid"].tolist(), clipped(values, self._ylim), marker="braille", color=color)

    def _fits_none(self, plt) -> str:
        return "data"

    def _fits_capacity(self, plt) -> str:
        if not self.shown:
            return "data (green: the truth)"
        self._curve(plt, self.outcome.curves["fits"][self.shown - 1], "orange")
        row = self.outcome.results[self.shown - 1]
        return f"fit of {complexity([row])} {row[complexity([row])]} (green: truth)"

    def _fits_bias_variance(self, plt) -> str:
        if not self.shown:
            return "data (green: the truth)"
        i = self.shown - 1
        for fit in self.outcome.curves["fans"][i]:
            self._curve(plt, fit, "gray")
        self._curve(plt, self.outcome.curves["mean_fits"][i], "orange")
        row = self.outcome.results[i]
        return f"{complexity([row])} {row[complexity([row])]}: fits to fresh data sets, mean (orange)"

    def _fits_bootstrap(self, plt) -> str:
        curves = self.outcome.curves
        for fit in curves["fits"][:self.shown]:
            self._curve(plt, fit, "gray")
        if self.shown >= self.total:
            self._curve(plt, curves["band_low"], "red")
            self._curve(plt, curves["band_high"], "red")
        self._curve(plt, curves["fit"], "orange")
        return f"{min(self.shown, len(curves['fits']))} bootstrap fits; orange: fit on all data"

    def _fits_bagging(self, plt) -> str:
        curves = self.outcome.curves
        self._curve(plt, curves["single"], "blue")
        for fit in curves["fits"][max(0, self.shown - 5):self.shown]:
            self._curve(plt, fit, "gray")
        if self.shown:
            self._curve(plt, curves["ensembles"][self.shown - 1], "orange")
        return f"ensemble of {self.shown} (orange), single model (blue)"

    def _fits_boosting(self, plt) -> str:
        if self.shown:
            self._curve(plt, self.outcome.curves["path"][self.shown - 1], "orange")
        return f"boosted fit after {self.shown} rounds"

    def _draw_losses(self, plt) -> str:
        rows = self.outcome.results[:self.shown]
        method = self.outcome.method
        if method in CV_METHODS:
            return self._draw_cv(plt, rows)
        key = complexity(self.outcome.results) if method == "capacity" else "n_models"
        xs = [r[key] for r in rows]
        series = [("train_loss", "blue"), ("val_loss", "orange"), ("test_loss", "red")]
        if method == "capacity":
            series = series[:2]
        every = self.outcome.results
        axis = LossAxis([r[name] for r in every for name, _ in series if name in r]
                        + [self.outcome.summary.get("single_test_loss", math.nan)])
        for name, color in series:
            if rows and name in rows[0]:
                plt.plot(xs, axis([r[name] for r in rows]), marker="braille", color=color,
                         label=name.replace("_loss", ""))
        if method == "bagging" and rows:
            plt.hline(axis([self.outcome.summary["single_test_loss"]])[0], "blue")
            if "variance" in rows[0]:
                plt.plot(xs, axis([r["variance"] for r in rows]), marker="braille", color="magenta",
                         label="variance")
        axis.ticks(plt)
        if rows:
            plt.xlim(min(xs), max(r[key] for r in every))
        return "loss vs " + (key if method == "capacity" else "number of models")

    def _draw_cv(self, plt, rows) -> str:
        candidates = self.outcome.extras["candidates"]
        if len(candidates) == 1:
            axis = LossAxis([r[key] for r in self.outcome.results for key in ("val_loss", "train_loss")])
            folds = [r["fold"] for r in rows]
            if rows:
                plt.scatter(folds, axis([r["val_loss"] for r in rows]), marker="●", color="orange", label="val")
                plt.scatter(folds, axis([r["train_loss"] for r in rows]), marker="●", color="blue", label="train")
                plt.xlim(0.5, len(self.outcome.results) + 0.5)
            axis.ticks(plt)
            return "loss per fold: validation ● orange, train ● blue"
        names = [candidate_name(c, varying_keys(candidates)) for c in candidates]
        index = {candidate_key(c): i + 1 for i, c in enumerate(candidates)}
        xs = [index[candidate_key(r)] for r in rows]
        axis = LossAxis([r["val_loss"] for r in self.outcome.results])
        plt.scatter(xs, axis([r["val_loss"] for r in rows]), marker="dot", color="gray")
        done = sorted(set(xs))[:-1] if self.shown < self.total else sorted(set(xs))
        means = axis([candidates[i - 1]["cv_mean"] for i in done])
        if done:
            plt.plot(done, means, marker="braille", color="orange")
            plt.scatter(done, means, marker="●", color="orange", label="mean")
        axis.ticks(plt)
        plt.xticks(list(range(1, len(names) + 1)), names)
        plt.xlim(0.5, len(names) + 0.5)
        return "validation loss per fold (·) and mean, per candidate"

    def _draw_decomposition(self, plt) -> str:
        rows = self.outcome.results[:self.shown]
        if not rows:
            return "bias² / variance / noise per complexity"
        # the axis stops at a few times the noise floor: an overfit degree's variance can be 1000 times
        # larger, and its bar (clipped, its measured error drawn as ▲ on the top edge) would hide the rest
        top = min(max(r["expected_error"] for r in rows), 4 * max(r["noise"] for r in rows))
        stacks = []
        for r in rows:
            room, parts = top, []
            for key in ("bias2", "variance", "noise"):
                parts.append(min(r[key], room))
                room -= parts[-1]
            stacks.append(parts)
        at = list(range(1, len(rows) + 1))
        plt.stacked_bar(at, [list(parts) for parts in zip(*stacks)], labels=["bias²", "variance", "noise"],
                        color=["blue", "orange", "gray"], width=0.6)
        for marker, keep in (("●", lambda e: e <= top), ("▲", lambda e: e > top)):
            points = [(i, min(r["expected_error"], top)) for i, r in zip(at, rows) if keep(r["expected_error"])]
            if points:
                plt.scatter(*zip(*points), marker=marker, color="red")
        plt.xticks(at, [str(r[complexity(rows)]) for r in rows])
        plt.ylim(0, top * 1.05)
        return f"bias² + variance + noise vs measured error ● (per {complexity(rows)})"

    def _draw_spread(self, plt) -> str:
        rows = self.outcome.results[:self.shown]
        summary = self.outcome.summary
        if len(rows) < 2:
            return "test loss over bootstrap refits"
        values = np.array([r["test_loss"] for r in rows])
        cap = np.percentile(values, 95) * 2
        plt.hist(np.minimum(values, cap).tolist(), bins=20, color="orange")
        if self.shown >= self.total:
            plt.vline(summary["test_loss_ci_low"], "red")
            plt.vline(summary["test_loss_ci_high"], "red")
            plt.vline(summary["test_loss"], "blue")
        return f"test loss of {len(rows)} refits; red: {summary['level']:.0%} interval"
