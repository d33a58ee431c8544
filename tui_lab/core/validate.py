"""Generalization experiments: cross-validation (k-fold, leave-one-out, leave-p-out, forward chaining,
nested), hyperparameter search, capacity, bias-variance, bootstrap, bagging, boosting, AdaBoost.

Each method takes a `Problem` (one data set with its train / validation / test rows, and for
synthetic regression the noiseless generating function and a way to draw fresh samples) and
`Learner`s (things that fit many index sets at once and predict), and returns an `Outcome`:
`results` rows and a `summary` in the layout of the JSON output (docs/json.md), `extras` for more JSON keys
and `curves` (arrays on a 1-D plotting grid) for the pictures.

The test rows never feed a choice: folds, candidate selection and early decisions use the
train and validation rows only; the test rows are scored once, after the choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import itertools
import math

import numpy as np

from ..i18n import tr
from .datasets import Dataset
from .ensembles import (adaboost_fit, adaboost_staged, as_float32_values, bootstrap_indices, ridge_fit_many,
                        ridge_predict_many, running_mean, tree_fit_many, tree_predict_many)
from .models import Model
from .optim import Optimizer
from .rng import key_for, permutation, uniform
from .train import TrainConfig, Trainer

METHODS = ("kfold", "loo", "leave_p_out", "timeseries", "nested", "search", "bootstrap", "bias_variance", "capacity",
           "bagging", "boosting", "adaboost")
CV_METHODS = ("kfold", "loo", "leave_p_out", "timeseries")     # one choice from per-fold losses
KFOLD_SHUFFLES = 20      # leave-p-out is compared with k-fold cross-validation under this many shuffles
REGION_GRID = (60, 30)   # AdaBoost's decision regions: cells across x0 and x1 of two-input data
WEIGHT_HISTORY = 2_000_000   # AdaBoost keeps every round's sample weights up to this many numbers
GRID_POINTS = 121
BIAS_VARIANCE_POINTS = 200   # test inputs the decomposition is averaged over, at least
FAN_FITS = 20            # replicate fits kept on the plotting grid for the bias-variance fans
BOOTSTRAP_FAN = 50       # and for the bootstrap's

# rng streams of one seed, one per purpose, so changing one experiment never shifts another's draws
STREAM_FOLDS = 11
STREAM_BOOTSTRAP = 12
STREAM_TEST_RESAMPLE = 13
STREAM_BAGGING = 14
STREAM_REPLICATE_BAGS = 15
STREAM_SHUFFLES = 16
STREAM_SEARCH = 17
STREAM_INNER_FOLDS = 1000    # + the outer fold's number


class Learner(Protocol):
    label: dict           # how rows name it, e.g. {"degree": 3, "l2": 0.0}

    def fit_many(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray): ...

    def predict_many(self, params, xq: np.ndarray) -> np.ndarray: ...


@dataclass
class PolyRidge:
    """Polynomial least squares with an l2 penalty (closed form); degree 1 is the linear model."""
    degree: int
    l2: float

    @property
    def label(self) -> dict:
        return {"degree": self.degree, "l2": self.l2}

    def fit_many(self, x, y, idx):
        return ridge_fit_many(x, y, idx, self.degree, self.l2)

    def predict_many(self, params, xq):
        return ridge_predict_many(params, xq, self.degree)


@dataclass
class Tree:
    """A regression tree of a given depth; depth 1 is a decision stump (one threshold on one input)."""
    depth: int

    @property
    def label(self) -> dict:
        return {"depth": self.depth}

    def fit_many(self, x, y, idx):
        return tree_fit_many(x, y, np.atleast_2d(idx), self.depth)

    def predict_many(self, params, xq):
        return tree_predict_many(params, xq)


@dataclass
class Trained:
    """A model fit by gradient descent with the train kind's loop (logistic regression, mlp):
    one Trainer per index set, all from the same initial weights, so fits differ only by data."""
    model: Model
    optimizer: Optimizer
    config: TrainConfig
    init: str
    seed: int
    dataset: str                      # the data set's name (augmentations depend on it)
    label: dict

    def fit_many(self, x, y, idx):
        data = Dataset(self.dataset, x, y, self.model.n_classes, 0.0)
        # the validation rows only feed the per-epoch curve (no early stopping here): the fit's own rows
        return [Trainer(data, (rows, rows, rows[:0]), self.model, self.optimizer, self.config, self.seed,
                        self.init).run() for rows in np.atleast_2d(idx)]

    def predict_many(self, params, xq):
        return np.stack([trainer.predict(xq) for trainer in params])


@dataclass
class Problem:
    x: np.ndarray                     # (n, d) every row
    y: np.ndarray                     # (n,)
    train: np.ndarray                 # row indices
    val: np.ndarray
    test: np.ndarray
    truth: Callable[[np.ndarray], np.ndarray] | None = None          # noiseless f(x), synthetic regression
    draw: Callable[[int, int], tuple[np.ndarray, np.ndarray]] | None = None   # (n, replicate) -> fresh (x, y)
    n_classes: int = 0                # 0 = regression

    def loss(self, pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The train kind's data loss along the last axis of y: squared error for regression,
        cross-entropy for classification (pred: P(class 1), or class probabilities on a last axis)."""
        return mse(pred, y) if self.n_classes == 0 else cross_entropy(pred, y)

    @property
    def pool(self) -> np.ndarray:
        """The rows folds and choices may use: train + validation, in row order."""
        return np.sort(np.concatenate([self.train, self.val]))

    def grid(self) -> np.ndarray | None:
        """(GRID_POINTS, 1) inputs across the data's range for drawing fits; None unless 1-D."""
        if self.x.shape[1] != 1:
            return None
        lo, hi = float(self.x[:, 0].min()), float(self.x[:, 0].max())
        return np.linspace(lo, hi, GRID_POINTS)[:, None]


@dataclass
class Outcome:
    method: str
    results: list[dict]
    summary: dict
    extras: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)


def mse(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared error along the last axis (one value per row of a (reps, q) prediction)."""
    return np.mean((pred - y) ** 2, axis=-1)


def cross_entropy(prob: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of class labels y (q,) under probabilities (..., q) for two classes
    (P(class 1)) or (..., q, classes); clipped so a confident miss costs ~28, not infinity."""
    if prob.ndim > y.ndim and prob.shape[-1] > 1 and prob.shape[-2] == y.shape[-1]:
        picked = np.take_along_axis(prob, y.astype(np.int64)[:, None], axis=-1)[..., 0]
    else:
        picked = np.where(y == 1.0, prob, 1.0 - prob)
    return -np.mean(np.log(np.clip(picked, 1e-12, 1.0)), axis=-1)


def fit_predict(learner: Learner, x, y, rows: np.ndarray, *queries: np.ndarray) -> list[np.ndarray]:
    """Fit once on `rows`; predictions (q,) at each query array."""
    params = learner.fit_many(x, y, rows[None, :])
    return [learner.predict_many(params, q)[0] for q in queries]


def spread(values) -> dict:
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "se": std / np.sqrt(values.size)}


def with_grid(problem: Problem, curves: dict) -> dict:
    grid = problem.grid()
    if grid is None:
        return {}
    out = {"grid": grid[:, 0]}
    if problem.truth is not None:
        out["truth"] = problem.truth(grid)
    out.update(curves)
    return out


# -- cross-validation ------------------------------------------------------------------------------

def make_folds(problem: Problem, method: str, k: int, seed: int, *, p: int = 1,
               stream: int = STREAM_FOLDS, draw: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, validation rows) per fold, all drawn from the pool (train + validation).
    kfold: a seeded shuffle (the `draw`-th of its stream) cut into k near-equal parts; loo: one row
    out at a time; leave_p_out: every set of p rows out, in lexicographic order (exhaustive: C(n, p)
    folds); timeseries: the pool in row order (= time) cut into k+1 blocks, fold i training on
    blocks 0..i-1 and validating on block i, so every validation row comes after all its training rows."""
    pool = problem.pool
    if method == "timeseries":
        blocks = np.array_split(pool, k + 1)
        return [(np.concatenate(blocks[:i]), blocks[i]) for i in range(1, k + 1)]
    if method == "leave_p_out":
        everything = np.ones(pool.size, dtype=bool)
        folds = []
        for out in itertools.combinations(range(pool.size), p):
            keep = everything.copy()
            keep[list(out)] = False
            folds.append((pool[keep], pool[list(out)]))
        return folds
    if method == "loo":
        parts = [pool[i:i + 1] for i in range(pool.size)]
    else:
        order = np.empty(pool.size, dtype=np.int64)
        permutation(key_for(seed, stream), draw * pool.size, order)
        parts = np.array_split(pool[order], k)
    return [(np.sort(np.concatenate(parts[:i] + parts[i + 1:])), np.sort(part)) for i, part in enumerate(parts)]


FOLD_BATCH = 512          # folds fit in one call (many at once: leave-p-out has thousands of small fits),
BATCH_VALUES = 500_000    # as long as a batch's rows (fits x rows each) stay within this many


def fold_losses(problem: Problem, learner: Learner, folds: list) -> list[tuple[float, float]]:
    """(training loss, validation loss) of the learner fit on each fold's training rows. Folds with
    the same number of training rows are fit together (one fit_many call per batch), each fit on
    its own rows only, and predicted on every row of the folds, from which each fold takes its own."""
    x, y = problem.x, problem.y
    rows = np.unique(np.concatenate([np.concatenate([f, v]) for f, v in folds]))
    where = np.full(x.shape[0], -1, dtype=np.int64)
    where[rows] = np.arange(rows.size)
    out: list[tuple[float, float] | None] = [None] * len(folds)
    by_size: dict[int, list[int]] = {}
    for i, (fit_rows, _) in enumerate(folds):
        by_size.setdefault(fit_rows.size, []).append(i)
    for size, group in by_size.items():
        step = max(1, min(FOLD_BATCH, BATCH_VALUES // (size + rows.size)))
        for start in range(0, len(group), step):
            batch = group[start:start + step]
            params = learner.fit_many(x, y, np.stack([folds[i][0] for i in batch]))
            pred = learner.predict_many(params, x[rows])
            for r, i in enumerate(batch):
                fit_rows, val_rows = folds[i]
                out[i] = (float(problem.loss(pred[r][where[fit_rows]], y[fit_rows])),
                          float(problem.loss(pred[r][where[val_rows]], y[val_rows])))
    return out


def simplicity(label: dict) -> tuple:
    """Sort key from the simplest candidate to the most flexible (low degree / width, high l2)."""
    return (label.get("degree", 0), label.get("width", 0), -label.get("l2", 0.0))


def cross_validate(problem: Problem, candidates: list[Learner], method: str, folds: list,
                   select: str = "min") -> Outcome:
    """Per-fold losses of every candidate on `folds` (from make_folds); the candidate with the least
    mean validation loss (or, with select = "one_se", the simplest one within one standard error of
    it) is refit on the whole pool and scored once on the test rows."""
    x, y = problem.x, problem.y
    rows, table = [], []
    for learner in candidates:
        val_losses = []
        for number, ((fit_rows, val_rows), (train_loss, val_loss)) in enumerate(
                zip(folds, fold_losses(problem, learner, folds)), start=1):
            val_losses.append(val_loss)
            rows.append({**learner.label, "fold": number, "n_train": fit_rows.size, "n_val": val_rows.size,
                         "train_loss": train_loss, "val_loss": val_loss})
        s = spread(val_losses)
        table.append({**learner.label, "cv_mean": s["mean"], "cv_std": s["std"], "cv_se": s["se"]})
    best = min(range(len(table)), key=lambda i: table[i]["cv_mean"])
    chosen = best
    if select == "one_se":
        limit = table[best]["cv_mean"] + table[best]["cv_se"]
        chosen = min((i for i in range(len(table)) if table[i]["cv_mean"] <= limit),
                     key=lambda i: simplicity(table[i]))
    learner = candidates[chosen]
    pool = problem.pool
    grid = problem.grid()
    params = learner.fit_many(x, y, pool[None, :])
    pred_pool, pred_test, *pred_grid = [learner.predict_many(params, q)[0] for q in
                                        (x[pool], x[problem.test], *([grid] if grid is not None else []))]
    chosen_rows = [r for r in rows if all(r.get(key) == value for key, value in learner.label.items())]
    summary = {
        **{f"chosen_{key}": value for key, value in learner.label.items()},
        "n_folds": len(folds),
        "val_loss_mean": table[chosen]["cv_mean"], "val_loss_std": table[chosen]["cv_std"],
        "val_loss_se": table[chosen]["cv_se"],
        "train_loss_mean": float(np.mean([r["train_loss"] for r in chosen_rows])),
        "refit_train_loss": float(problem.loss(pred_pool, y[pool])),
        "test_loss": float(problem.loss(pred_test, y[problem.test])),
    }
    layout = {"pool": pool, "test": problem.test,
              "folds": [{"train": f, "val": v} for f, v in folds]}
    curves = with_grid(problem, {"refit": pred_grid[0]} if pred_grid else {})
    curves["layout"] = layout
    extras = {"candidates": table, "select": select}
    if isinstance(params, np.ndarray):       # closed-form fits: the refit's learned weights (bias last)
        extras["parameters"] = params[0].tolist()
    return Outcome(method, rows, summary, extras, curves)


def kfold_beside_exhaustive(problem: Problem, learner: Learner, p: int, seed: int) -> list[float]:
    """The k-fold estimate (folds of about p rows: k = pool // p) of one learner under KFOLD_SHUFFLES
    shuffles: the non-exhaustive method's answer depends on the shuffle, leave-p-out's does not."""
    k = problem.pool.size // p
    if k < 2:
        return []
    means = []
    for draw in range(KFOLD_SHUFFLES):
        folds = make_folds(problem, "kfold", k, seed, stream=STREAM_SHUFFLES, draw=draw)
        means.append(float(np.mean([val for _, val in fold_losses(problem, learner, folds)])))
    return means


def leave_p_out(problem: Problem, candidates: list[Learner], p: int, seed: int, select: str = "min") -> Outcome:
    """Exhaustive cross-validation: every set of p pool rows is held out once (C(n, p) fits per
    candidate). Beside it, the chosen candidate's k-fold estimate with folds of p rows under
    KFOLD_SHUFFLES shuffles: k-fold uses k of those splits, so its estimate moves with the shuffle."""
    outcome = cross_validate(problem, candidates, "leave_p_out", make_folds(problem, "leave_p_out", 0, seed, p=p),
                             select)
    chosen = next(c for c in candidates if all(outcome.summary[f"chosen_{key}"] == value
                                               for key, value in c.label.items()))
    shuffles = kfold_beside_exhaustive(problem, chosen, p, seed)
    outcome.summary["p"] = p
    if shuffles:
        outcome.summary.update({"kfold_k": problem.pool.size // p, "kfold_shuffles": len(shuffles),
                                "kfold_mean_low": min(shuffles), "kfold_mean_high": max(shuffles),
                                "kfold_mean_average": float(np.mean(shuffles))})
        outcome.extras["kfold_means"] = shuffles
    return outcome


def sub_problem(problem: Problem, fit_rows: np.ndarray, held_out: np.ndarray) -> Problem:
    """The same data with `fit_rows` as the whole pool and `held_out` as the test rows (an outer fold)."""
    return Problem(problem.x, problem.y, fit_rows, fit_rows[:0], held_out, problem.truth, problem.draw,
                   problem.n_classes)


def nested(problem: Problem, candidates: list[Learner], k: int, inner_k: int, seed: int,
           select: str = "min") -> Outcome:
    """Nested cross-validation. Each outer fold's training rows run their own inner k-fold
    cross-validation, which chooses a candidate; it is refit on those rows and scored on the outer
    fold's held-out rows, which took no part in the choice. The mean outer score estimates how well
    'choose by cross-validation, then refit' does on new data; the plain cross-validation minimum
    over the same outer folds (the same folds choose and score) is the optimistic figure beside it.
    The model finally used is chosen by plain cross-validation on the pool and scored on the test rows."""
    outer = make_folds(problem, "kfold", k, seed)
    rows = []
    for number, (fit_rows, held_out) in enumerate(outer, start=1):
        inner_problem = sub_problem(problem, fit_rows, held_out)
        inner = cross_validate(inner_problem, candidates, "kfold",
                               make_folds(inner_problem, "kfold", inner_k, seed, stream=STREAM_INNER_FOLDS + number),
                               select)
        s = inner.summary
        rows.append({"fold": number, "n_train": fit_rows.size, "n_val": held_out.size,
                     **{key.removeprefix("chosen_"): value for key, value in s.items() if key.startswith("chosen_")},
                     "inner_cv_mean": s["val_loss_mean"], "train_loss": s["refit_train_loss"],
                     "val_loss": s["test_loss"]})
    plain = cross_validate(problem, candidates, "kfold", outer, select)
    scores = spread([r["val_loss"] for r in rows])
    picks = {tuple((key, r[key]) for key in candidates[0].label) for r in rows}
    summary = {**{key: value for key, value in plain.summary.items() if key.startswith("chosen_")},
               "n_folds": k, "inner_k": inner_k,
               "nested_loss_mean": scores["mean"], "nested_loss_std": scores["std"], "nested_loss_se": scores["se"],
               "plain_cv_loss": plain.summary["val_loss_mean"], "distinct_choices": len(picks),
               "refit_train_loss": plain.summary["refit_train_loss"], "test_loss": plain.summary["test_loss"]}
    curves = dict(plain.curves)
    curves["layout"] = {"pool": problem.pool, "test": problem.test,
                        "folds": [{"train": f, "val": v} for f, v in outer]}
    return Outcome("nested", rows, summary, {"candidates": plain.extras["candidates"], "select": select}, curves)


# -- hyperparameter search -------------------------------------------------------------------------

@dataclass
class Axis:
    """One named hyperparameter's range: integers evenly spread, or positive reals log-spaced."""
    name: str
    low: float
    high: float
    integer: bool

    def grid(self, count: int) -> list[float]:
        if self.integer:
            return [int(v) for v in np.unique(np.round(np.linspace(self.low, self.high, count)))]
        return np.geomspace(self.low, self.high, count).tolist()

    def draw(self, u: float) -> float:
        if self.integer:
            return int(min(self.low + math.floor(u * (self.high - self.low + 1)), self.high))
        return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))

    @property
    def distinct(self) -> int:
        return int(self.high - self.low + 1) if self.integer else 10 ** 9


def grid_shape(axes: list[Axis], budget: int) -> list[int]:
    """Values per axis of the largest grid within the budget, as even as the axes allow (an integer
    axis has only so many values; the rest of the budget goes to the other axis)."""
    if len(axes) == 1:
        return [min(budget, axes[0].distinct)]
    side = math.isqrt(budget)
    first = min(side, axes[0].distinct)
    second = min(budget // first, axes[1].distinct)
    if second < side:
        first = min(budget // second, axes[0].distinct)
    return [first, second]


def search_points(axes: list[Axis], budget: int, seed: int) -> tuple[list[dict], list[dict]]:
    """(grid points, random points): the grid of grid_shape, and as many random draws (uniform
    integers, log-uniform reals), so both strategies spend the same budget."""
    counts = grid_shape(axes, budget)
    grid = [dict(zip((a.name for a in axes), values))
            for values in itertools.product(*(a.grid(c) for a, c in zip(axes, counts)))]
    key = key_for(seed, STREAM_SEARCH)
    random = [{a.name: a.draw(float(uniform(key, t * len(axes) + j))) for j, a in enumerate(axes)}
              for t in range(len(grid))]
    return grid, random


def search(problem: Problem, axes: list[Axis], make: Callable[[dict], Learner], budget: int, k: int,
           seed: int) -> Outcome:
    """Grid search against random search over named hyperparameters with the same budget of trials,
    each trial scored by k-fold cross-validation on the pool (the same folds for both). Each
    strategy's best trial is refit on the pool and scored once on the test rows. One row per trial
    number: both strategies' t-th trial and their best cross-validation loss so far."""
    folds = make_folds(problem, "kfold", k, seed)
    rows: list[dict] = []
    summary: dict = {}
    refits = {}
    for strategy, points in zip(("grid", "random"), search_points(axes, budget, seed)):
        outcome = cross_validate(problem, [make(point) for point in points], "kfold", folds)
        best = math.inf
        for t, (point, cand) in enumerate(zip(points, outcome.extras["candidates"])):
            if len(rows) <= t:
                rows.append({"trial": t + 1})
            best = min(best, cand["cv_mean"])
            rows[t].update({**{f"{strategy}_{name}": value for name, value in point.items()},
                            f"{strategy}_cv": cand["cv_mean"], f"{strategy}_best": best})
        s = outcome.summary
        summary.update({**{f"{strategy}_{key}": value for key, value in s.items() if key.startswith("chosen_")},
                        f"{strategy}_cv_loss": s["val_loss_mean"], f"{strategy}_test_loss": s["test_loss"]})
        for axis in axes:
            summary[f"{strategy}_distinct_{axis.name}"] = len({point[axis.name] for point in points})
        refits[strategy] = outcome.curves.get("refit")
    summary["budget"] = len(rows)
    summary["n_folds"] = k
    curves = with_grid(problem, {f"{name}_refit": fit for name, fit in refits.items() if fit is not None})
    return Outcome("search", rows, summary, {}, curves)


# -- capacity --------------------------------------------------------------------------------------

def capacity(problem: Problem, candidates: list[Learner]) -> Outcome:
    """Train and validation loss of each complexity, fit on the training rows: the U-shaped curve."""
    x, y, train, val = problem.x, problem.y, problem.train, problem.val
    grid = problem.grid()
    rows, fits = [], []
    for learner in candidates:
        pred_train, pred_val, *pred_grid = fit_predict(learner, x, y, train, x[train], x[val],
                                                       *([grid] if grid is not None else []))
        rows.append({**learner.label, "train_loss": float(problem.loss(pred_train, y[train])),
                     "val_loss": float(problem.loss(pred_val, y[val]))})
        fits += pred_grid
    best = min(range(len(rows)), key=lambda i: rows[i]["val_loss"])
    pred_test, = fit_predict(candidates[best], x, y, train, x[problem.test])
    summary = {**{f"best_{key}": value for key, value in candidates[best].label.items()},
               "best_val_loss": rows[best]["val_loss"], "test_loss": float(problem.loss(pred_test, y[problem.test])),
               "train_loss_min": min(r["train_loss"] for r in rows)}
    return Outcome("capacity", rows, summary, {}, with_grid(problem, {"fits": np.array(fits)} if fits else {}))


# -- bias-variance ---------------------------------------------------------------------------------

def fresh_training_sets(problem: Problem, n: int, reps: int, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`reps` new training sets of n rows from the generating process, stacked; idx[r] are set r's rows."""
    draws = [problem.draw(n, first + r) for r in range(reps)]
    xs = np.concatenate([d[0] for d in draws])
    ys = np.concatenate([d[1] for d in draws])
    return xs, ys, np.arange(reps * n).reshape(reps, n)


def fresh_noise(problem: Problem, n: int, reps: int, first: int) -> np.ndarray:
    """(reps, n) noise draws of the generating process: y - f(x) of fresh samples."""
    out = np.empty((reps, n))
    for r in range(reps):
        xr, yr = problem.draw(n, first + r)
        out[r] = yr - problem.truth(xr)
    return out


def decompose(pred: np.ndarray, truth: np.ndarray, noise: np.ndarray) -> dict:
    """The decomposition at fixed test inputs, from predictions (reps, q) of models fit on independent
    training sets and independent noise draws (reps, q) for the test targets y = f + noise:
    mean (y - pred)^2 = noise^2 + bias^2 + variance + 2 mean(noise (f - pred)), exactly, where the
    last (cross) term has mean zero; its standard error says how close 'adds up' should be."""
    mean_fit = pred.mean(axis=0)
    cross = 2.0 * np.mean(noise * (truth - pred), axis=1)
    return {
        "bias2": float(np.mean((mean_fit - truth) ** 2)),
        "variance": float(np.mean((pred - mean_fit) ** 2)),
        "noise": float(np.mean(noise ** 2)),
        "expected_error": float(np.mean((truth + noise - pred) ** 2)),
        "gap": float(cross.mean()),
        "gap_se": float(cross.std(ddof=1) / np.sqrt(cross.size)) if cross.size > 1 else 0.0,
    }


def bias_variance(problem: Problem, candidates: list[Learner], n_datasets: int) -> Outcome:
    """Per complexity, over n_datasets training sets drawn afresh (as many rows as the training
    split), measured at fixed test inputs (the test rows' inputs and fresh ones from the same
    process, at least BIAS_VARIANCE_POINTS in all, so the average over x is steady) with fresh
    noise on their targets in every replicate."""
    if problem.truth is None or problem.draw is None:
        raise ValueError(tr("bias_variance needs a synthetic regression data set (a known generating function)"))
    x_test = problem.x[problem.test]
    extra = BIAS_VARIANCE_POINTS - x_test.shape[0]
    if extra > 0:
        x_test = np.concatenate([x_test, problem.draw(extra, 2 * n_datasets)[0]])
    truth = problem.truth(x_test)
    n = problem.train.size
    xs, ys, idx = fresh_training_sets(problem, n, n_datasets, first=0)
    noise = fresh_noise(problem, x_test.shape[0], n_datasets, first=n_datasets)
    grid = problem.grid()
    rows, mean_fits, fans = [], [], []
    for learner in candidates:
        params = learner.fit_many(xs, ys, idx)
        pred = learner.predict_many(params, x_test)
        pred_train = np.stack([learner.predict_many(params[r:r + 1], xs[idx[r]])[0] for r in range(n_datasets)])
        rows.append({**learner.label, **decompose(pred, truth, noise),
                     "train_loss": float(np.mean(mse(pred_train, ys[idx])))})
        if grid is not None:
            on_grid = learner.predict_many(params, grid)
            mean_fits.append(on_grid.mean(axis=0))
            fans.append(on_grid[:FAN_FITS])
    best = min(range(len(rows)), key=lambda i: rows[i]["expected_error"])
    summary = {**{f"best_{key}": value for key, value in candidates[best].label.items()},
               "best_expected_error": rows[best]["expected_error"], "n_datasets": n_datasets,
               "n_train": n, "n_test_points": x_test.shape[0],
               "max_gap_in_se": max(abs(r["gap"]) / r["gap_se"] if r["gap_se"] > 0 else 0.0 for r in rows)}
    curves = with_grid(problem, {"mean_fits": np.array(mean_fits), "fans": np.array(fans)} if mean_fits else {})
    return Outcome("bias_variance", rows, summary, {}, curves)


# -- bootstrap -------------------------------------------------------------------------------------

def percentile_interval(values: np.ndarray, level: float, axis: int = 0) -> tuple:
    tail = 100.0 * (1.0 - level) / 2.0
    return np.percentile(values, tail, axis=axis), np.percentile(values, 100.0 - tail, axis=axis)


def bootstrap(problem: Problem, learner: Learner, n_boot: int, level: float, seed: int) -> Outcome:
    """Refit on n_boot resamples (with replacement) of the training rows: the spread of the fit and of
    its test loss; and, for the model fit on all training rows, resamples of the test rows: the
    spread of the test metric that comes from having only so many test points."""
    x, y, train, test = problem.x, problem.y, problem.train, problem.test
    picks = bootstrap_indices(key_for(seed, STREAM_BOOTSTRAP), n_boot, train.size, train.size)
    idx = train[picks]
    params = learner.fit_many(x, y, idx)
    pred_test = learner.predict_many(params, x[test])
    pred_train = learner.predict_many(params, x[train])
    test_loss = problem.loss(pred_test, y[test])
    base_train, base_test = fit_predict(learner, x, y, train, x[train], x[test])
    test_picks = bootstrap_indices(key_for(seed, STREAM_TEST_RESAMPLE), n_boot, test.size, test.size)
    resampled = problem.loss(base_test[test_picks], y[test][test_picks])
    rows = []
    for r in range(n_boot):
        out_of_bag = np.setdiff1d(np.arange(train.size), picks[r])
        oob = float(problem.loss(pred_train[r, out_of_bag], y[train][out_of_bag])) if out_of_bag.size else float("nan")
        rows.append({"replicate": r + 1, "train_loss": float(problem.loss(pred_train[r, picks[r]], y[train][picks[r]])),
                     "oob_loss": oob, "test_loss": float(test_loss[r]), "test_loss_resampled": float(resampled[r])})
    lo, hi = percentile_interval(test_loss, level)
    set_lo, set_hi = percentile_interval(resampled, level)
    oob_values = [r["oob_loss"] for r in rows if np.isfinite(r["oob_loss"])]
    summary = {"level": level, "n_boot": n_boot,
               "train_loss": float(problem.loss(base_train, y[train])), "test_loss": float(problem.loss(base_test, y[test])),
               "test_loss_mean": float(test_loss.mean()), "test_loss_std": float(test_loss.std(ddof=1)),
               "test_loss_ci_low": float(lo), "test_loss_ci_high": float(hi),
               "test_set_ci_low": float(set_lo), "test_set_ci_high": float(set_hi),
               "oob_loss_mean": float(np.mean(oob_values)) if oob_values else float("nan")}
    curves = {}
    grid = problem.grid()
    if grid is not None:
        on_grid = learner.predict_many(params, grid)
        band_lo, band_hi = percentile_interval(on_grid, level)
        curves = {"fits": on_grid[:BOOTSTRAP_FAN], "fit": fit_predict(learner, x, y, train, grid)[0],
                  "band_low": band_lo, "band_high": band_hi}
    return Outcome("bootstrap", rows, summary, {}, with_grid(problem, curves))


# -- bagging ---------------------------------------------------------------------------------------

def bagging(problem: Problem, learner: Learner, n_models: int, n_datasets: int, seed: int) -> Outcome:
    """Average of n_models fits on bootstrap resamples of the training rows, scored after each model
    is added, against one model fit on all of them. With a generating function, the same is repeated
    on n_datasets fresh training sets to measure the variance (and bias^2) of the ensemble's
    prediction at the test inputs as models are added."""
    x, y, train, test = problem.x, problem.y, problem.train, problem.test
    picks = bootstrap_indices(key_for(seed, STREAM_BAGGING), n_models, train.size, train.size)
    params = learner.fit_many(x, y, train[picks])
    ens_train = running_mean(learner.predict_many(params, x[train]))
    ens_test = running_mean(learner.predict_many(params, x[test]))
    single_train, single_test = fit_predict(learner, x, y, train, x[train], x[test])
    rows = [{"n_models": m + 1, "train_loss": float(problem.loss(ens_train[m], y[train])),
             "test_loss": float(problem.loss(ens_test[m], y[test]))} for m in range(n_models)]
    summary = {"single_train_loss": float(problem.loss(single_train, y[train])),
               "single_test_loss": float(problem.loss(single_test, y[test])),
               "train_loss": rows[-1]["train_loss"], "test_loss": rows[-1]["test_loss"]}
    if problem.truth is not None and problem.draw is not None and n_datasets > 1:
        x_test = x[test]
        truth = problem.truth(x_test)
        xs, ys, idx = fresh_training_sets(problem, train.size, n_datasets, first=0)
        single = learner.predict_many(learner.fit_many(xs, ys, idx), x_test)
        bag_picks = bootstrap_indices(key_for(seed, STREAM_REPLICATE_BAGS), n_models, train.size, train.size)
        ensembles = np.stack([running_mean(learner.predict_many(learner.fit_many(xs, ys, idx[r][bag_picks]), x_test))
                              for r in range(n_datasets)])          # (datasets, models, test points)
        mean_fit = ensembles.mean(axis=0)
        variance = np.mean((ensembles - mean_fit) ** 2, axis=(0, 2))
        bias2 = np.mean((mean_fit - truth) ** 2, axis=1)
        for m, row in enumerate(rows):
            row["variance"] = float(variance[m])
            row["bias2"] = float(bias2[m])
        single_mean = single.mean(axis=0)
        summary.update({"single_variance": float(np.mean((single - single_mean) ** 2)),
                        "single_bias2": float(np.mean((single_mean - truth) ** 2)),
                        "variance": rows[-1]["variance"], "n_datasets": n_datasets})
    curves = {}
    grid = problem.grid()
    if grid is not None:
        on_grid = learner.predict_many(params, grid)
        curves = {"fits": on_grid, "ensembles": running_mean(on_grid),
                  "single": fit_predict(learner, x, y, train, grid)[0]}
    return Outcome("bagging", rows, summary, {}, with_grid(problem, curves))


# -- boosting --------------------------------------------------------------------------------------

def boosting(problem: Problem, learner: Learner, rounds: int, learning_rate: float) -> Outcome:
    """L2 boosting: start from the mean training target; each round fits the weak learner to the
    current residuals on the training rows and adds learning_rate times it. A least-squares weak
    learner's fit is a projection of the residuals, so the training loss can only go down."""
    x, y, train, val, test = problem.x, problem.y, problem.train, problem.val, problem.test
    grid = problem.grid()
    queries = {"train": x[train], "val": x[val], "test": x[test]}
    if grid is not None:
        queries["grid"] = grid
    base = float(y[train].mean())
    current = {name: np.full(q.shape[0], base) for name, q in queries.items()}
    everything = np.arange(train.size)
    rows, path = [], []
    for m in range(rounds):
        residual = y[train] - current["train"]
        params = learner.fit_many(x[train], residual, everything[None, :])
        for name, q in queries.items():
            current[name] = current[name] + learning_rate * learner.predict_many(params, q)[0]
        rows.append({"n_models": m + 1, "train_loss": float(mse(current["train"], y[train])),
                     "val_loss": float(mse(current["val"], y[val])),
                     "test_loss": float(mse(current["test"], y[test]))})
        if grid is not None:
            path.append(current["grid"])
    best = min(range(rounds), key=lambda i: rows[i]["val_loss"])
    summary = {"base_train_loss": float(mse(np.full(train.size, base), y[train])),
               "train_loss": rows[-1]["train_loss"], "test_loss": rows[-1]["test_loss"],
               "best_rounds": best + 1, "best_val_loss": rows[best]["val_loss"],
               "test_loss_at_best": rows[best]["test_loss"], "learning_rate": learning_rate}
    return Outcome("boosting", rows, summary, {}, with_grid(problem, {"path": np.array(path)} if path else {}))


# -- AdaBoost --------------------------------------------------------------------------------------

def region_grid(problem: Problem) -> tuple[np.ndarray, tuple] | None:
    """(cells, 2) points of a REGION_GRID over two-input data (row-major, x1 rising), and the extent."""
    if problem.x.shape[1] != 2:
        return None
    (x0_lo, x1_lo), (x0_hi, x1_hi) = problem.x.min(axis=0), problem.x.max(axis=0)
    pad0, pad1 = 0.05 * (x0_hi - x0_lo), 0.05 * (x1_hi - x1_lo)
    extent = (x0_lo - pad0, x0_hi + pad0, x1_lo - pad1, x1_hi + pad1)
    gx = np.linspace(extent[0], extent[1], REGION_GRID[0])
    gy = np.linspace(extent[2], extent[3], REGION_GRID[1])
    return np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2), extent


def adaboost(problem: Problem, rounds: int, learning_rate: float) -> Outcome:
    """AdaBoost (discrete SAMME, as scikit-learn's AdaBoostClassifier computes it) with decision
    stumps on the training rows: each round fits a stump to the weighted rows, then multiplies the
    weights of the rows it gets wrong by exp(alpha). Rows are scored after every round: error rate
    and cross-entropy of the ensemble's class probabilities on train, validation and test rows."""
    if problem.n_classes < 2:
        raise ValueError(tr("adaboost classifies: it needs a classification data set"))
    x = as_float32_values(problem.x)
    labels = problem.y.astype(np.int64)
    train = problem.train
    history = np.empty((rounds if rounds * train.size <= WEIGHT_HISTORY else 0, train.size))
    stumps, alphas, errors, peaks = adaboost_fit(x[train], labels[train], problem.n_classes, rounds, learning_rate,
                                                 history)
    staged = {part: adaboost_staged(stumps, alphas, x[rows], labels[rows], problem.n_classes, False)
              for part, rows in (("train", train), ("val", problem.val), ("test", problem.test))}
    rows = []
    for m in range(alphas.size):
        row = {"n_models": m + 1, "feature": int(stumps[m, 0]), "threshold": float(stumps[m, 1]),
               "alpha": float(alphas[m]), "weighted_error": float(errors[m]), "max_weight": float(peaks[m])}
        for part, (error, loss, _) in staged.items():
            if error.size:
                row[f"{part}_error"] = float(error[m])
        for part, (error, loss, _) in staged.items():
            if error.size:
                row[f"{part}_loss"] = float(loss[m])
        rows.append(row)
    scored = "val" if problem.val.size else "train"
    best = int(np.argmin(staged[scored][0])) if alphas.size else 0
    summary = {"rounds": int(alphas.size), "learning_rate": learning_rate, "n_classes": problem.n_classes,
               "stump_test_error": rows[0]["test_error"], "train_error": rows[-1]["train_error"],
               "test_error": rows[-1]["test_error"], "test_loss": rows[-1]["test_loss"],
               "best_rounds": best + 1, "test_error_at_best": rows[best]["test_error"]}
    curves = {"stumps": stumps, "alphas": alphas}
    if history.shape[0]:
        curves["weights"] = history[:alphas.size]      # (rounds, n train): the weights each stump was fit to
    cells = region_grid(problem)
    if cells is not None:
        points, extent = cells
        _, _, regions = adaboost_staged(stumps, alphas, as_float32_values(points), np.zeros(len(points), np.int64),
                                        problem.n_classes, True)
        curves.update({"regions": regions.reshape(alphas.size, REGION_GRID[1], REGION_GRID[0]), "extent": extent})
    return Outcome("adaboost", rows, summary, {}, curves)

