"""kind = "validate": generalization, validation and ensembles (cross-validation of every kind,
nested cross-validation, hyperparameter search, capacity, bias-variance, bootstrap, bagging,
boosting, AdaBoost) on the seeded data sets of the train kind."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from ..core import validate as core
from ..core.datasets import make_dataset
from ..core.image_data import IMAGE_SHAPES
from ..core.optim import Optimizer
from ..core.rng import key_for
from ..core.train import TrainConfig
from ..i18n import N_, tr
from ..limits import MAX_PENALTY
from ..output import fmt, table
from ..scenario.datamodel import (MAX_DEGREE, MAX_WIDTH, DataSettings, ModelSettings, parse_data, parse_model,
                                  parse_train)
from ..scenario.fields import Section
from ..scenario.optimizers import parse_optimizers

MAX_REPLICATES = 5000
MAX_TREE_DEPTH = 10
MAX_LOO_POINTS = 2000
MAX_SPLITS = 5000          # leave-p-out: at most this many splits (C(n, p)),
MAX_FITS = 200_000         # and nested / leave-p-out / search: at most this many model fits in all
MAX_SEARCH_BUDGET = 400    # trials per search strategy
REPLICATE_STREAM = 0x7A11D000     # fresh training sets of the generating process: seed streams from here on
DEFAULT_DEGREES = [1, 2, 3, 4, 6, 8, 10, 12, 15]
DEFAULT_WIDTHS = [1, 2, 4, 8, 16, 32, 64]
CLOSED_FORM = ("linear", "poly")          # fit by least squares; logistic / mlp train with [train] and [[optimizers]]
LEARNERS = ("model", "stump", "tree")
CHOOSING = core.CV_METHODS + ("nested",)      # methods that choose among candidates by cross-validation
SEARCHABLE = ("degree", "l2")      # the hyperparameters a search draws

# [validate] keys beyond `method`, and the methods that use each
KEY_METHODS = {
    "k": ("kfold", "timeseries", "nested", "search"),
    "inner_k": ("nested",),
    "p": ("leave_p_out",),
    "degrees": CHOOSING + ("capacity", "bias_variance"),
    "widths": CHOOSING + ("capacity", "bias_variance"),
    "l2": tuple(m for m in core.METHODS if m not in ("search", "adaboost")),
    "select": CHOOSING,
    "budget": ("search",),
    "space": ("search",),
    "n_boot": ("bootstrap",),
    "ci": ("bootstrap",),
    "n_models": ("bagging", "boosting", "adaboost"),
    "learner": ("bagging", "boosting"),
    "depth": ("bagging", "boosting"),
    "learning_rate": ("boosting", "adaboost"),
    "n_datasets": ("bias_variance", "bagging"),
}


@dataclass
class ValidateSettings:
    data: DataSettings
    model: ModelSettings | None                          # None for adaboost (its learners are stumps)
    method: str
    k: int = 5
    inner_k: int = 4
    p: int = 2
    budget: int = 16
    space: dict[str, list[float]] = field(default_factory=dict)    # search: name -> [low, high]
    degrees: list[int] = field(default_factory=list)     # empty: the model's own degree
    widths: list[int] = field(default_factory=list)      # mlp hidden-layer widths to sweep; empty: the model's own
    l2: list[float] = field(default_factory=lambda: [0.0])
    select: str = "min"
    n_boot: int = 100
    ci: float = 0.95
    n_models: int = 50
    learner: str = "model"
    depth: int = 3
    learning_rate: float = 0.1
    n_datasets: int = 100
    training: TrainConfig | None = None                  # logistic / mlp: how each fit trains
    optimizer: Optimizer | None = None

    def to_dict(self) -> dict:
        used = {key: getattr(self, key) for key, methods in KEY_METHODS.items() if self.method in methods}
        if self.learner != "tree":
            used.pop("depth", None)
        used.pop("widths" if self.model is None or self.model.name in CLOSED_FORM else "degrees", None)
        return {"method": self.method, **used}


def parse(top: Section, seed: int) -> ValidateSettings:
    data = parse_data(top, seed)
    if data.name in IMAGE_SHAPES:
        raise top.fail_at("data.name", tr("{name} is an image set, trained by kind = \"train\"; the validation methods "
                                          "work on the regression and 2-D classification sets", name=data.name))
    model = parse_model(top, data) if uses_model(top) else None
    sec = top.section("validate", required=True)
    method = sec.choice("method", core.METHODS, what="a validation method, one of")
    for key in sec.extras():
        if key in KEY_METHODS and method not in KEY_METHODS[key]:
            sec.raw(key)
            raise sec.fail_at(key, tr("not used by method {method} (only by {methods})", method=method,
                                      methods=", ".join(KEY_METHODS[key])))
    st = ValidateSettings(data, model, method)
    n_train, n_val, n_test = data.sizes
    pool = n_train + n_val
    if method == "loo" and pool > MAX_LOO_POINTS:
        raise top.fail_at("validate.method", tr("loo fits one model per point; at most {most} train + validation "
                                                "points, got {count} (use kfold)", most=MAX_LOO_POINTS, count=pool))
    if method in ("kfold", "timeseries", "nested", "search"):
        most = pool - 1 if method == "timeseries" else pool
        st.k = sec.integer("k", min(5, most), low=1 if method == "timeseries" else 2, high=most)
    if method == "nested":
        smallest = pool - math.ceil(pool / st.k)          # the fewest rows an outer fold trains on
        if smallest < 2:
            raise sec.fail_at("k", tr("nested cross-validation needs at least 2 rows in each outer fold's training "
                                      "part; {count} train + validation points in {k} folds leave {smallest}",
                                      count=pool, k=st.k, smallest=smallest))
        st.inner_k = sec.integer("inner_k", min(4, smallest), low=2, high=smallest)
    if method == "leave_p_out":
        st.p = sec.integer("p", 2, low=1, high=pool - 1)
        splits = math.comb(pool, st.p)
        if splits > MAX_SPLITS:
            count = f"{splits:,}" if splits < 10 ** 12 else f"{float(splits):.2e}"
            raise sec.fail_at("p", tr("leave-{p}-out of {points} train + validation points is {count} splits; at "
                                      "most {most} (lower p or data.n, or use kfold)", p=st.p, points=pool,
                                      count=count, most=f"{MAX_SPLITS:,}"))
    if method in KEY_METHODS["degrees"]:
        st.degrees = complexity_sweep(sec, "degrees", model.name in CLOSED_FORM, method, DEFAULT_DEGREES,
                                      MAX_DEGREE, N_("polynomial degrees"), N_("model linear or poly"))
        st.widths = complexity_sweep(sec, "widths", model.name == "mlp", method, DEFAULT_WIDTHS, MAX_WIDTH,
                                     N_("hidden-layer widths"), N_("model mlp"))
    if sec.has("l2") and model.name not in CLOSED_FORM:
        sec.raw("l2")
        raise sec.fail_at("l2", tr("the closed-form ridge penalty is for linear and poly; {name} trains with "
                                   "[regularize] l2", name=model.name))
    l2 = sec.raw("l2", 0.0, "a non-negative number")
    if method in CHOOSING and isinstance(l2, list):
        st.l2 = sec.numbers("l2", expected=tr("a number in [0, {most}] or a list of them (candidates)",
                                              most=f"{MAX_PENALTY:g}"),
                            check=lambda v: 0 <= v <= MAX_PENALTY)
        if not st.l2:
            raise sec.fail("l2", N_("at least one candidate"), [])
    else:
        st.l2 = [sec.number("l2", 0.0, low=0, high=MAX_PENALTY)]
    if method in CHOOSING:
        st.select = sec.choice("select", ("min", "one_se"), "min")
    if method == "search":
        st.space = parse_space(sec, model)
        st.budget = sec.integer("budget", 16, low=1, high=MAX_SEARCH_BUDGET)
    if method == "bootstrap":
        st.n_boot = sec.integer("n_boot", 100, low=2, high=MAX_REPLICATES)
        st.ci = sec.number("ci", 0.95, low=0, high=1, low_open=True, high_open=True)
    if method in ("bagging", "boosting", "adaboost"):
        st.n_models = sec.integer("n_models", 50 if method in ("bagging", "adaboost") else 100, low=1,
                                  high=MAX_REPLICATES)
    if method in ("bagging", "boosting"):
        st.learner = sec.choice("learner", LEARNERS, "model" if method == "bagging" else "stump",
                                what="a learner, one of")
        if st.learner == "tree":
            st.depth = sec.integer("depth", 3, low=1, high=MAX_TREE_DEPTH)
        elif sec.has("depth"):
            sec.raw("depth")
            raise sec.fail_at("depth", tr('only learner = "tree" has a depth, not "{learner}"', learner=st.learner))
    if method == "boosting":
        st.learning_rate = sec.number("learning_rate", 0.1, low=0, high=1, low_open=True)
    if method == "adaboost":
        st.learning_rate = sec.number("learning_rate", 1.0, low=0, high=10, low_open=True)
    if method in ("bias_variance", "bagging"):
        st.n_datasets = sec.integer("n_datasets", 100 if method == "bias_variance" else 30,
                                    low=2 if method == "bias_variance" else 0, high=MAX_REPLICATES)
    sec.done()
    check_supported(top, st, n_test)
    check_fits(sec, st)
    if model is not None and model.name not in CLOSED_FORM:
        st.training, st.optimizer = parse_training(top, data, model)
    return st


def uses_model(top: Section) -> bool:
    """Every method but adaboost fits the [model]; adaboost's weak learners are decision stumps, so a
    [model] table there would be read and ignored: bad input."""
    validate = top.data.get("validate")
    if not (isinstance(validate, dict) and validate.get("method") == "adaboost"):
        return True
    if top.has("model"):
        top.raw("model")
        raise top.fail_at("model", tr("adaboost's weak learners are decision stumps: leave [model] out"))
    return False


def parse_space(sec: Section, model: ModelSettings) -> dict[str, list[float]]:
    """[validate.space]: the hyperparameters a search tunes, each a [low, high] range."""
    if model.name not in CLOSED_FORM:
        raise sec.fail_at("method", tr("search tunes the degree and l2 of the linear and poly models, not {name}",
                                       name=model.name))
    space = sec.section("space", required=True)
    ranges = {}
    if space.has("degree"):
        if model.name != "poly":
            space.raw("degree")
            raise space.fail_at("degree", tr("a search over degrees needs model poly"))
        ranges["degree"] = space.numbers("degree", length=2,
                                         expected=tr("[low, high], integers in [1, {most}]", most=MAX_DEGREE),
                                         check=lambda v: float(v).is_integer() and 1 <= v <= MAX_DEGREE)
    if space.has("l2"):
        ranges["l2"] = space.numbers("l2", length=2,
                                     expected=tr("[low, high], positive numbers up to {most}", most=f"{MAX_PENALTY:g}"),
                                     check=lambda v: 0 < v <= MAX_PENALTY)
    space.done()
    for name, (low, high) in ranges.items():
        if low > high:
            raise space.fail(name, N_("[low, high] with low <= high"), [low, high])
    if not ranges:
        raise space.fail("degree", tr("at least one hyperparameter to search: {names}", names=", ".join(SEARCHABLE)))
    return {name: [int(v) for v in values] if name == "degree" else values for name, values in ranges.items()}


def check_fits(sec: Section, st: ValidateSettings) -> None:
    """The experiments whose count of model fits grows as a product of keys stay within MAX_FITS."""
    pool = st.data.sizes[0] + st.data.sizes[1]
    candidates = max(1, len(st.degrees) or len(st.widths)) * len(st.l2)
    fits = {"nested": st.k * (st.inner_k + 1) * candidates + st.k * candidates,
            "leave_p_out": math.comb(pool, st.p) * candidates + core.KFOLD_SHUFFLES * (pool // st.p),
            "search": 2 * st.budget * (st.k + 1)}.get(st.method, 0)
    if fits > MAX_FITS:
        raise sec.fail_at("method", tr("{method} here would fit {count} models; at most {most} (fewer candidates, "
                                       "folds or trials)", method=st.method, count=f"{fits:,}", most=f"{MAX_FITS:,}"))


def complexity_sweep(sec: Section, key: str, applies: bool, method: str, default: list[int], most: int,
                     what: str, needs: str) -> list[int]:
    """degrees / widths: the complexities a sweep compares (capacity and bias_variance always sweep)."""
    if not applies:
        if sec.has(key):
            sec.raw(key)
            raise sec.fail_at(key, tr("a sweep over {what} needs {needs}", what=tr(what), needs=tr(needs)))
        return []
    values = sec.numbers(key, default if method in ("capacity", "bias_variance") else [],
                         check=lambda v: float(v).is_integer() and 1 <= v <= most,
                         expected=tr("a list of {what}, integers in [1, {most}]", what=tr(what), most=most))
    if method in ("capacity", "bias_variance") and not values:
        raise sec.fail(key, tr("at least one of the {what}", what=tr(what)), [])
    return [int(v) for v in values]


def parse_training(top: Section, data: DataSettings, model: ModelSettings) -> tuple[TrainConfig, Optimizer]:
    """[train], [regularize] and [[optimizers]] as in the train kind, for one configuration: every fit
    of the experiment trains with it."""
    variants = parse_train(top, data, model)
    if len(variants) > 1:
        raise top.fail_at("regularize", tr("validate trains one configuration: give single values, not lists"))
    if variants[0].config.early_stopping:
        raise top.fail_at("regularize.early_stopping", tr("validate scores each fit on its own held-out rows; "
                                                          "early stopping is not available here"))
    optimizers = parse_optimizers(top)
    if len(optimizers) > 1:
        raise top.fail_at("optimizers", tr("validate trains with one optimizer, got {count}", count=len(optimizers)))
    return variants[0].config, optimizers[0]


def check_supported(top: Section, st: ValidateSettings, n_test: int) -> None:
    """Shapes of the experiment that cannot run, as bad input."""
    if st.method == "adaboost" and st.data.is_regression:
        raise top.fail_at("validate.method", tr("adaboost classifies: it needs a classification data set "
                                                "(moons, circles, spirals, xor, blobs), not {name}", name=st.data.name))
    if not st.data.is_regression:
        if st.method in ("bias_variance", "boosting"):
            raise top.fail_at("validate.method", tr("{method} works on squared error: it needs a regression data set "
                                                    "(linear, sine, poly), not {name}", method=st.method,
                                                    name=st.data.name))
        if st.learner != "model":
            raise top.fail_at("validate.learner", tr("trees and stumps here are regression trees: on {name} "
                                                     "use learner = \"model\"", name=st.data.name))
    if st.method in ("capacity", "bias_variance") and st.model.name == "logistic":
        raise top.fail_at("validate.method", tr("{method} sweeps a complexity: use model poly (degrees) or "
                                                "mlp (widths), not logistic", method=st.method))
    if n_test < 1:
        raise top.fail("data.split", N_("a test fraction leaving at least 1 test point"), list(st.data.split))
    if st.method == "capacity" and st.data.sizes[1] < 1:
        raise top.fail("data.split", N_("a validation fraction leaving at least 1 point (capacity scores on it)"),
                       list(st.data.split))


# -- building the experiment ----------------------------------------------------------------------

def model_learners(st: ValidateSettings, seed: int) -> list[core.Learner]:
    """The candidates: every (degree, l2) pair of the sweep, every width, or the [model] alone."""
    if st.model.name in CLOSED_FORM:
        degrees = st.degrees or [st.model.degree if st.model.name == "poly" else 1]
        return [core.PolyRidge(d, l2) for d in degrees for l2 in st.l2]
    if not st.widths:
        return [trained(st, st.model, {}, seed)]
    layers = max(1, len(st.model.hidden))
    return [trained(st, replace(st.model, hidden=(w,) * layers), {"width": w}, seed) for w in st.widths]


def trained(st: ValidateSettings, model: ModelSettings, label: dict, seed: int) -> core.Trained:
    return core.Trained(model.build(), st.optimizer, st.training, model.init, seed, st.data.name, label)


def weak_learner(st: ValidateSettings, seed: int) -> core.Learner:
    if st.learner == "stump":
        return core.Tree(1)
    if st.learner == "tree":
        return core.Tree(st.depth)
    return model_learners(st, seed)[0]


def search_axes(st: ValidateSettings) -> list[core.Axis]:
    return [core.Axis(name, low, high, name == "degree") for name, (low, high) in st.space.items()]


def searched_learner(st: ValidateSettings, point: dict) -> core.Learner:
    """The model of one search trial: the searched values, the model's own for the rest."""
    degree = point.get("degree", st.model.degree if st.model.name == "poly" else 1)
    return core.PolyRidge(int(degree), float(point.get("l2", 0.0)))


def build_problem(st: ValidateSettings) -> core.Problem:
    """The data set and its split. For timeseries the input x is read as time: rows are ordered
    by x, and the test rows are the latest ones (the future), the folds' pool the earlier ones."""
    data, train, val, test = st.data.build()
    x, y = data.x, data.y
    if st.method == "timeseries":
        order = np.argsort(x[:, 0], kind="stable")
        x, y = x[order], y[order]
        n_train, n_val, _ = st.data.sizes
        train, val, test = np.arange(n_train), np.arange(n_train, n_train + n_val), np.arange(n_train + n_val, len(y))

    def draw(n: int, replicate: int) -> tuple[np.ndarray, np.ndarray]:
        fresh = make_dataset(st.data.name, n, st.data.noise, int(key_for(st.data.seed, REPLICATE_STREAM + replicate)))
        return fresh.x, fresh.y

    def truth(q: np.ndarray) -> np.ndarray:
        return data.truth(q[:, 0])     # the regression sets have one input

    if not data.is_regression:
        return core.Problem(x, y, train, val, test, n_classes=data.n_classes)
    return core.Problem(x, y, train, val, test, truth, draw)


def experiment(st: ValidateSettings, seed: int) -> tuple[core.Problem, core.Outcome]:
    problem = build_problem(st)
    m = st.method
    if m == "leave_p_out":
        return problem, core.leave_p_out(problem, model_learners(st, seed), st.p, seed, st.select)
    if m in core.CV_METHODS:
        folds = core.make_folds(problem, m, st.k, seed)
        return problem, core.cross_validate(problem, model_learners(st, seed), m, folds, st.select)
    if m == "nested":
        return problem, core.nested(problem, model_learners(st, seed), st.k, st.inner_k, seed, st.select)
    if m == "search":
        return problem, core.search(problem, search_axes(st), partial(searched_learner, st), st.budget, st.k, seed)
    if m == "adaboost":
        return problem, core.adaboost(problem, st.n_models, st.learning_rate)
    if m == "capacity":
        return problem, core.capacity(problem, model_learners(st, seed))
    if m == "bias_variance":
        return problem, core.bias_variance(problem, model_learners(st, seed), st.n_datasets)
    if m == "bootstrap":
        return problem, core.bootstrap(problem, model_learners(st, seed)[0], st.n_boot, st.ci, seed)
    if m == "bagging":
        return problem, core.bagging(problem, weak_learner(st, seed), st.n_models, st.n_datasets, seed)
    outcome = core.boosting(problem, weak_learner(st, seed), st.n_models, st.learning_rate)
    model = model_learners(st, seed)[0]
    pred, = core.fit_predict(model, problem.x, problem.y, problem.train, problem.x[problem.test])
    outcome.summary["model_test_loss"] = float(core.mse(pred, problem.y[problem.test]))
    return problem, outcome


def result_dict(st: ValidateSettings, problem: core.Problem, outcome: core.Outcome, include_data: bool) -> dict:
    setup = {"data": st.data.to_dict(), "validate": st.to_dict()}
    if st.model is not None:
        setup["model"] = st.model.to_dict()
    if st.optimizer is not None:
        setup["train"] = {"epochs": st.training.epochs, "batch_size": st.training.batch_size,
                          "optimizer": st.optimizer.name, "hyperparams": st.optimizer.hyperparams}
    out = {"setup": setup,
           "method": outcome.method, "results": outcome.results, "summary": outcome.summary, **outcome.extras}
    if include_data:
        out["data"] = {part: {"x": problem.x[rows], "y": problem.y[rows]}
                       for part, rows in (("train", problem.train), ("val", problem.val), ("test", problem.test))}
        out["curves"] = {key: value for key, value in outcome.curves.items() if key != "layout"}
    return out


def run(scenario, *, trace: bool = False, include_data: bool = False) -> dict:
    problem, outcome = experiment(scenario.settings, scenario.seed)
    return result_dict(scenario.settings, problem, outcome, include_data)


# -- text and CSV ---------------------------------------------------------------------------------

SUMMARY_ROWS = 16      # longer result tables (loo, bootstrap, many models) are shown thinned


def thinned(rows: list[dict], most: int = SUMMARY_ROWS) -> list[dict]:
    if len(rows) <= most:
        return rows
    keep = np.unique(np.linspace(0, len(rows) - 1, most).round().astype(int))
    return [rows[i] for i in keep]


def columns(rows: list[dict]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [key for key in row if key not in names]
    return names


def summary(result: dict) -> str:
    rows = result["results"]
    header = columns(rows)
    shown = thinned(rows)
    text = table(header, [[row.get(key) for key in header] for row in shown])
    if len(shown) < len(rows):
        text += "\n" + tr("({shown} of {total} rows shown; --json or --csv for all)", shown=len(shown), total=len(rows))
    if result.get("candidates"):
        cand_header = columns(result["candidates"])
        text += "\n\n" + tr("candidates (mean over folds):") + "\n" + table(
            cand_header, [[row.get(key) for key in cand_header] for row in result["candidates"]])
    width = max(len(key) for key in result["summary"])
    text += "\n\n" + "\n".join(f"{key.ljust(width)}  {fmt(value)}" for key, value in result["summary"].items())
    return text


def csv_tables(result: dict) -> dict[str, list[list]]:
    tables = {}
    for name in ("results", "candidates"):
        rows = result.get(name)
        if rows:
            header = columns(rows)
            tables[f"{name}.csv"] = [header] + [[row.get(key) for key in header] for row in rows]
    tables["summary.csv"] = [["key", "value"]] + [[k, v] for k, v in result["summary"].items()]
    return tables
