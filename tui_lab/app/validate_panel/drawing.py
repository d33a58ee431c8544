"""The Validate tab's two pictures, drawn with plotext from a ValidateState: left the data with the
fits (or the trials of a search, or AdaBoost's decision regions), right the numbers as curves.
Each drawing returns (title, key): the key names what every colour shows."""

from __future__ import annotations

import math

import numpy as np

from ...core.validate import CV_METHODS
from ...i18n import tr
from .model import ValidateState, candidate_key, candidate_name, complexity, varying_keys

LOG_SPAN = 30.0             # loss plots switch to a log axis when the losses span more than this factor
CLASS_COLOURS = ("blue", "orange", "green", "magenta", "cyan", "red")
REGION_COLOURS = ("blue", "orange+", "green", "magenta", "cyan", "red")


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

    @property
    def note(self) -> str:
        return " " + tr("(log axis)") if self.log else ""


def clipped(values, ylim: tuple[float, float]) -> list[float]:
    lo, hi = ylim
    return [min(max(float(v), lo), hi) for v in values]


class Figures:
    """Draws the state's left ('fits') or right ('curves') picture on a plotext figure."""

    def __init__(self, state: ValidateState):
        self.state = state
        self._ylim = (-1.0, 1.0)

    @property
    def outcome(self):
        return self.state.outcome

    @property
    def shown(self) -> int:
        return self.state.shown

    def draw(self, which: str, plt) -> tuple[str, str] | None:
        """(title, key) of the picture drawn: the key says what each colour shows."""
        if self.outcome is None:
            return None
        method = self.outcome.method
        if which == "curves":
            return {"bias_variance": self._draw_decomposition, "bootstrap": self._draw_spread,
                    "search": self._draw_search_progress, "adaboost": self._draw_adaboost_errors,
                    "nested": self._draw_nested}.get(method, self._draw_losses)(plt)
        if method == "search":
            return self._draw_trials(plt)
        if method == "adaboost":
            return self._draw_regions(plt)
        if "grid" not in self.outcome.curves:
            return self._draw_classes(plt)
        self._draw_data(plt)
        return getattr(self, f"_fits_{method}", self._fits_refit)(plt)

    # --- the left picture ---------------------------------------------------------------------
    def _draw_classes(self, plt) -> tuple[str, str]:
        """Two-input data: the training points, one colour per class."""
        p = self.state.problem
        x, y = p.x[p.train], p.y[p.train]
        for label in np.unique(y):
            mine = y == label
            plt.scatter(x[mine, 0].tolist(), x[mine, 1].tolist(), marker="dot",
                        color=CLASS_COLOURS[int(label) % len(CLASS_COLOURS)])
        return tr("training points"), tr("one colour per class")

    def _draw_data(self, plt) -> None:
        p = self.state.problem
        if "truth" in self.outcome.curves:             # under the points, so no point is hidden by it
            plt.plot(self.outcome.curves["grid"].tolist(), self.outcome.curves["truth"].tolist(),
                     marker="braille", color="green")
        plt.scatter(p.x[p.train, 0].tolist(), p.y[p.train].tolist(), marker="dot", color="gray")
        lo, hi = float(p.y.min()), float(p.y.max())
        pad = 0.25 * (hi - lo)
        self._ylim = (lo - pad, hi + pad)
        plt.ylim(*self._ylim)

    def _curve(self, plt, values, color: str) -> None:
        plt.plot(self.outcome.curves["grid"].tolist(), clipped(values, self._ylim), marker="braille", color=color)

    def _truth(self) -> str:
        return tr(", green the truth") if "truth" in self.outcome.curves else ""

    def _fits_refit(self, plt) -> tuple[str, str]:
        """Cross-validation: the chosen candidate refit on the pool, once every fold is in."""
        refit = self.outcome.curves.get("refit")
        if refit is None or self.shown < self.state.total:
            return tr("data"), tr("gray training points{truth}; the chosen model appears at the end", truth=self._truth())
        self._curve(plt, refit, "orange")
        chosen = {k.removeprefix("chosen_"): v for k, v in self.outcome.summary.items() if k.startswith("chosen_")}
        keys = [k for k in varying_keys(self.outcome.extras.get("candidates", [])) if k in chosen]
        name = candidate_name(chosen, keys) or tr("model")
        return (tr("chosen: {name}", name=name),
                tr("orange the chosen {name} refit on train + validation{truth}", name=name, truth=self._truth()))

    def _fits_capacity(self, plt) -> tuple[str, str]:
        if not self.shown:
            return tr("data"), tr("gray training points{truth}", truth=self._truth())
        self._curve(plt, self.outcome.curves["fits"][self.shown - 1], "orange")
        row = self.outcome.results[self.shown - 1]
        name = f"{complexity([row])} {row[complexity([row])]}"
        return tr("fit of {name}", name=name), tr("orange the fit of {name}{truth}", name=name, truth=self._truth())

    def _fits_bias_variance(self, plt) -> tuple[str, str]:
        if not self.shown:
            return tr("data"), tr("gray training points{truth}", truth=self._truth())
        i = self.shown - 1
        for fit in self.outcome.curves["fans"][i]:
            self._curve(plt, fit, "gray")
        self._curve(plt, self.outcome.curves["mean_fits"][i], "orange")
        row = self.outcome.results[i]
        name = f"{complexity([row])} {row[complexity([row])]}"
        return (tr("{name}: fits to fresh data", name=name),
                tr("gray fits to fresh data sets, orange their mean{truth}", truth=self._truth()))

    def _fits_bootstrap(self, plt) -> tuple[str, str]:
        curves = self.outcome.curves
        for fit in curves["fits"][:self.shown]:
            self._curve(plt, fit, "gray")
        band = ""
        if self.shown >= self.state.total:
            self._curve(plt, curves["band_low"], "red")
            self._curve(plt, curves["band_high"], "red")
            band = tr(", red the {level} band", level=f"{self.outcome.summary['level']:.0%}")
        self._curve(plt, curves["fit"], "orange")
        count = min(self.shown, len(curves["fits"]))
        return (tr("{count} bootstrap fits", count=count),
                tr("gray fits to resamples, orange the fit to all data{band}", band=band))

    def _fits_bagging(self, plt) -> tuple[str, str]:
        curves = self.outcome.curves
        self._curve(plt, curves["single"], "blue")
        for fit in curves["fits"][max(0, self.shown - 5):self.shown]:
            self._curve(plt, fit, "gray")
        if self.shown:
            self._curve(plt, curves["ensembles"][self.shown - 1], "orange")
        return (tr("ensemble of {count}", count=self.shown),
                tr("orange the ensemble of {count}, blue a single model, gray the latest members", count=self.shown))

    def _fits_boosting(self, plt) -> tuple[str, str]:
        if self.shown:
            self._curve(plt, self.outcome.curves["path"][self.shown - 1], "orange")
        return (tr("after {count} rounds", count=self.shown),
                tr("orange the boosted fit after {count} rounds{truth}", count=self.shown, truth=self._truth()))

    def _draw_trials(self, plt) -> tuple[str, str]:
        """Search: where each strategy's trials landed in the hyperparameter plane (λ on a log axis)."""
        rows = self.state.rows
        names = [key.removeprefix("grid_") for key in self.outcome.results[0] if key.startswith("grid_")
                 and key not in ("grid_cv", "grid_best")]
        if not rows:
            return tr("trials"), tr("blue ■ grid, orange ● random")
        for strategy, marker, colour in (("grid", "■", "blue"), ("random", "●", "orange")):
            points = [[self._searched(name, r[f"{strategy}_{name}"]) for name in names] for r in rows]
            xs = [p[0] for p in points]
            ys = [p[1] if len(p) > 1 else 0.0 for p in points]
            plt.scatter(xs, ys, marker=marker, color=colour)
        for axis, name in zip((plt.xlim, plt.ylim), names):    # the whole search's extent: the axes hold still
            values = [self._searched(name, r[f"{s}_{name}"]) for r in self.outcome.results for s in ("grid", "random")]
            low, high = min(values), max(values)
            pad = 0.05 * (high - low) or 0.5
            axis(low - pad, high + pad)
        axis = " × ".join("log10 λ" if n == "l2" else n for n in names)
        return tr("trials in {axis}", axis=axis), tr("blue ■ grid, orange ● random")

    @staticmethod
    def _searched(name: str, value: float) -> float:
        return math.log10(value) if name == "l2" else float(value)

    def _draw_regions(self, plt) -> tuple[str, str]:
        """AdaBoost: the ensemble's class regions after the rounds shown (dim dots), the training points
        (one colour per class) and the heaviest points (×) the next stump is fit to."""
        p, curves = self.state.problem, self.outcome.curves
        m = max(1, self.shown)
        if "regions" in curves and self.shown:
            x0, x1, y0, y1 = curves["extent"]
            regions = curves["regions"][m - 1]
            rows, cols = regions.shape
            gx, gy = np.linspace(x0, x1, cols), np.linspace(y0, y1, rows)
            for label in np.unique(regions):
                where = np.nonzero(regions == label)
                plt.scatter(gx[where[1]].tolist(), gy[where[0]].tolist(), marker="·",
                            color=REGION_COLOURS[int(label) % len(REGION_COLOURS)])
        x, y = p.x[p.train], p.y[p.train]
        for label in np.unique(y):
            mine = y == label
            plt.scatter(x[mine, 0].tolist(), x[mine, 1].tolist(), marker="dot",
                        color=CLASS_COLOURS[int(label) % len(CLASS_COLOURS)])
        heavy = ""
        weights = curves.get("weights")
        if weights is not None and self.shown and np.ptp(weights[self.shown - 1]) > 0:
            w = weights[self.shown - 1]                  # what the latest stump was fit to
            top = w >= np.quantile(w, 0.9)
            plt.scatter(x[top, 0].tolist(), x[top, 1].tolist(), marker="×", color="red")
            heavy = tr(", red × the heaviest 10% the latest stump was fit to")
        if not self.shown:
            return tr("training points"), tr("one colour per class")
        stumps = tr("{count} stumps", count=self.shown) if self.shown > 1 else tr("1 stump")
        return (tr("after {stumps}", stumps=stumps),
                tr("dim dots the regions after {stumps}, points by class{heavy}", stumps=stumps, heavy=heavy))

    # --- the right picture --------------------------------------------------------------------
    def _draw_losses(self, plt) -> tuple[str, str]:
        rows = self.state.rows
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
        drawn = []
        for name, color in series:
            if rows and name in rows[0]:
                plt.plot(xs, axis([r[name] for r in rows]), marker="braille", color=color)
                drawn.append(f"{tr(color)} {tr(name.removesuffix('_loss'))}")
        if method == "bagging" and rows:
            plt.hline(axis([self.outcome.summary["single_test_loss"]])[0], "blue")
            drawn.append(tr("blue line a single model's test loss"))
            if "variance" in rows[0]:
                plt.plot(xs, axis([r["variance"] for r in rows]), marker="braille", color="magenta")
                drawn.append(tr("magenta variance"))
        axis.ticks(plt)
        if rows:
            plt.xlim(min(xs), max(r[key] for r in every))
        what = key if method == "capacity" else tr("number of models")
        return tr("loss vs {what}", what=what) + axis.note, ", ".join(drawn)

    def _draw_cv(self, plt, rows) -> tuple[str, str]:
        candidates = self.outcome.extras["candidates"]
        if len(candidates) == 1:
            axis = LossAxis([r[key] for r in self.outcome.results for key in ("val_loss", "train_loss")])
            folds = [r["fold"] for r in rows]
            if rows:
                plt.scatter(folds, axis([r["val_loss"] for r in rows]), marker="●", color="orange")
                plt.scatter(folds, axis([r["train_loss"] for r in rows]), marker="●", color="blue")
                plt.xlim(0.5, len(self.outcome.results) + 0.5)
            axis.ticks(plt)
            return tr("loss per fold") + axis.note, tr("orange ● validation, blue ● train")
        names = [candidate_name(c, varying_keys(candidates)) for c in candidates]
        index = {candidate_key(c): i + 1 for i, c in enumerate(candidates)}
        xs = [index[candidate_key(r)] for r in rows]
        axis = LossAxis([r["val_loss"] for r in self.outcome.results])
        plt.scatter(xs, axis([r["val_loss"] for r in rows]), marker="dot", color="gray")
        done = sorted(set(xs))[:-1] if self.shown < self.state.total else sorted(set(xs))
        means = axis([candidates[i - 1]["cv_mean"] for i in done])
        if done:
            plt.plot(done, means, marker="braille", color="orange")
            plt.scatter(done, means, marker="●", color="orange")
        axis.ticks(plt)
        plt.xticks(list(range(1, len(names) + 1)), names)
        plt.xlim(0.5, len(names) + 0.5)
        return tr("validation loss per candidate") + axis.note, tr("gray · each fold, orange ● their mean")

    def _draw_nested(self, plt) -> tuple[str, str]:
        rows = self.state.rows
        s = self.outcome.summary
        axis = LossAxis([r[k] for r in self.outcome.results for k in ("val_loss", "inner_cv_mean")]
                        + [s["plain_cv_loss"]])
        if rows:
            folds = [r["fold"] for r in rows]
            plt.scatter(folds, axis([r["inner_cv_mean"] for r in rows]), marker="●", color="blue")
            plt.scatter(folds, axis([r["val_loss"] for r in rows]), marker="■", color="orange")
        plt.xlim(0.5, len(self.outcome.results) + 0.5)
        plt.xticks(list(range(1, len(self.outcome.results) + 1)))
        extra = ""
        if self.shown >= self.state.total:
            plt.hline(axis([s["nested_loss_mean"]])[0], "orange")
            plt.hline(axis([s["plain_cv_loss"]])[0], "gray")
            extra = tr("; lines: orange the nested mean, gray plain CV's best")
        axis.ticks(plt)
        return tr("per outer fold") + axis.note, tr("blue ● inner CV of the choice, orange ■ outer score{extra}", extra=extra)

    def _draw_search_progress(self, plt) -> tuple[str, str]:
        rows = self.state.rows
        every = self.outcome.results
        axis = LossAxis([r[k] for r in every for k in ("grid_best", "random_best")])
        if rows:
            trials = [r["trial"] for r in rows]
            plt.plot(trials, axis([r["grid_best"] for r in rows]), marker="braille", color="blue")
            plt.plot(trials, axis([r["random_best"] for r in rows]), marker="braille", color="orange")
        plt.xlim(1, max(2, len(every)))
        axis.ticks(plt)
        return tr("best CV loss so far") + axis.note, tr("blue grid, orange random")

    def _draw_adaboost_errors(self, plt) -> tuple[str, str]:
        rows = self.state.rows
        if rows:
            rounds = [r["n_models"] for r in rows]
            for key, colour in (("train_error", "blue"), ("val_error", "orange"), ("test_error", "red")):
                if key in rows[0]:
                    plt.plot(rounds, [r[key] for r in rows], marker="braille", color=colour)
        plt.xlim(1, max(2, self.state.total))
        plt.ylim(0, max(0.05, max((r["train_error"] for r in self.outcome.results), default=0.5) * 1.1,
                        max((r.get("test_error", 0.0) for r in self.outcome.results), default=0.5) * 1.1))
        return tr("error rate vs rounds"), tr("blue train, orange validation, red test")

    def _draw_decomposition(self, plt) -> tuple[str, str]:
        rows = self.state.rows
        if not rows:
            return tr("bias² + variance + noise"), tr("per complexity")
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
        plt.stacked_bar(at, [list(parts) for parts in zip(*stacks)], color=["blue", "orange", "gray"], width=0.6)
        for marker, keep in (("●", lambda e: e <= top), ("▲", lambda e: e > top)):
            points = [(i, min(r["expected_error"], top)) for i, r in zip(at, rows) if keep(r["expected_error"])]
            if points:
                plt.scatter(*zip(*points), marker=marker, color="red")
        plt.xticks(at, [str(r[complexity(rows)]) for r in rows])
        plt.ylim(0, top * 1.05)
        return (tr("decomposition per {complexity}", complexity=complexity(rows)),
                tr("blue bias², orange variance, gray noise; red ● measured error (▲ off the top)"))

    def _draw_spread(self, plt) -> tuple[str, str]:
        rows = self.state.rows
        summary = self.outcome.summary
        if len(rows) < 2:
            return tr("test loss of refits"), tr("the histogram fills as replicates are revealed")
        values = np.array([r["test_loss"] for r in rows])
        cap = np.percentile(values, 95) * 2
        plt.hist(np.minimum(values, cap).tolist(), bins=20, color="orange")
        extra = ""
        if self.shown >= self.state.total:
            plt.vline(summary["test_loss_ci_low"], "red")
            plt.vline(summary["test_loss_ci_high"], "red")
            plt.vline(summary["test_loss"], "blue")
            extra = tr("; red the {level} interval, blue the full fit", level=f"{summary['level']:.0%}")
        return tr("test loss of {count} refits", count=len(rows)), tr("orange histogram{extra}", extra=extra)
