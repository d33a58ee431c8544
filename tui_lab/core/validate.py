"""Generalization experiments: cross-validation, capacity, bias-variance, bootstrap, bagging, boosting.

Each method takes a `Problem` (one data set with its train / validation / test rows, and for
synthetic regression the noiseless generating function and a way to draw fresh samples) and
`Learner`s (things that fit many index sets at once and predict), and returns an `Outcome`:
`results` rows and a `summary` in the layout of the SPEC's JSON, `extras` for more JSON keys
and `curves` (arrays on a 1-D plotting grid) for the pictures.

The test rows never feed a choice: folds, candidate selection and early decisions use the
train and validation rows only; the test rows are scored once, after the choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .datasets import Dataset
from .ensembles import (bootstrap_indices, ridge_fit_many, ridge_predict_many, running_mean,
                        tree_fit_many, tree_predict_many)
from .models import Model
from .optim import Optimizer
from .rng import key_for, permutation
from .train import TrainConfig, Trainer

METHODS = ("kfold", "loo", "timeseries", "bootstrap", "bias_variance", "capacity", "bagging", "boosting")
CV_METHODS = ("kfold", "loo", "timeseries")
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

def make_folds(problem: Problem, method: str, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, validation rows) per fold, all drawn from the pool (train + validation).
    kfold: a seeded shuffle cut into k near-equal parts; loo: one row out at a time; timeseries:
    the pool in row order (= time) cut into k+1 blocks, fold i training on blocks 0..i-1 and
    validating on block i, so every validation row comes after all its training rows."""
    pool = problem.pool
    if method == "timeseries":
        blocks = np.array_split(pool, k + 1)
        return [(np.concatenate(blocks[:i]), blocks[i]) for i in range(1, k + 1)]
    if method == "loo":
        parts = [pool[i:i + 1] for i in range(pool.size)]
    else:
        order = np.empty(pool.size, dtype=np.int64)
        permutation(key_for(seed, STREAM_FOLDS), 0, order)
        parts = np.array_split(pool[order], k)
    return [(np.sort(np.concatenate(parts[:i] + parts[i + 1:])), np.sort(part)) for i, part in enumerate(parts)]


def simplicity(label: dict) -> tuple:
    """Sort key from the simplest candidate to the most flexible (low degree / width, high l2)."""
    return (label.get("degree", 0), label.get("width", 0), -label.get("l2", 0.0))


def cross_validate(problem: Problem, candidates: list[Learner], method: str, k: int, seed: int,
                   select: str = "min") -> Outcome:
    """Per-fold losses of every candidate; the candidate with the least mean validation loss (or,
    with select = "one_se", the simplest one within one standard error of it) is refit on the
    whole pool and scored once on the test rows."""
    x, y = problem.x, problem.y
    folds = make_folds(problem, method, k, seed)
    rows, table = [], []
    for learner in candidates:
        val_losses = []
        for number, (fit_rows, val_rows) in enumerate(folds, start=1):
            pred_fit, pred_val = fit_predict(learner, x, y, fit_rows, x[fit_rows], x[val_rows])
            train_loss, val_loss = float(problem.loss(pred_fit, y[fit_rows])), float(problem.loss(pred_val, y[val_rows]))
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
    pred_pool, pred_test, *pred_grid = fit_predict(learner, x, y, pool, x[pool], x[problem.test],
                                                   *([grid] if grid is not None else []))
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
    return Outcome(method, rows, summary, {"candidates": table, "select": select}, curves)


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
        raise ValueError("bias_variance needs a synthetic regression data set (a known generating function)")
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
