"""The Validate tab's state, without Textual: the scenario in view, its computed outcome, how many
of its rows are revealed, and the edits the Setup tab and the `m` key make to the scenario.

Every edit builds a new scenario dict and goes through the scenario loader, so the tab accepts
exactly what a scenario file accepts. The texts the tab shows (heading, progress, numbers, the
fold layout) are built here, so they can be tested without a screen.
"""

from __future__ import annotations

import copy

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from ...core.datasets import CLASSIFICATION, REGRESSION
from ...core.validate import CV_METHODS, METHODS
from ...i18n import N_, tr

CANDIDATE_KEYS = ("degree", "width", "l2")
FOLD_MARKS = {0: ("·", "dim"), 1: ("█", "dodger_blue2"), 2: ("░", "orange1"), 3: ("×", "red")}
FOLD_VIEWS = CV_METHODS + ("nested",)        # methods whose rows are folds: the fold layout shows them
SETUP_DATASETS = REGRESSION + CLASSIFICATION
TITLES = {
    "kfold": N_("k-fold cross-validation"), "loo": N_("leave-one-out cross-validation"),
    "leave_p_out": N_("leave-p-out: exhaustive cross-validation"),
    "timeseries": N_("forward-chaining (time series) validation"),
    "nested": N_("nested cross-validation: the inner loop chooses, the outer loop scores"),
    "search": N_("hyperparameter search: grid against random, same budget"),
    "capacity": N_("capacity: under- and overfitting"), "bias_variance": N_("bias-variance decomposition"),
    "bootstrap": N_("bootstrap: spread of fits and of the test loss"),
    "bagging": N_("bagging: averaging bootstrap models"),
    "boosting": N_("boosting: fitting the residuals, round by round"),
    "adaboost": N_("AdaBoost: decision stumps on reweighted samples"),
}     # shown translated
# The Setup tab's fields per [validate] key: (label, default shown, hint). Which appear depends on
# the method (the kind's KEY_METHODS says which keys a method reads).
VALIDATE_FIELDS = {
    "k": ("k", 5, N_("folds (outer folds for nested)")), "inner_k": ("inner k", 4, N_("folds of each inner loop")),
    "p": ("p", 2, N_("points held out per split")),
    "degrees": ("degrees", N_("model's"), N_("candidates, e.g. 1, 3, 9")),
    "widths": ("widths", N_("model's"), N_("mlp widths to compare")),
    "l2": ("l2 (λ)", 0.0, N_("one value or candidates")),
    "budget": ("budget", 16, N_("trials per strategy")), "n_boot": ("n_boot", 100, N_("bootstrap replicates")),
    "ci": ("ci", 0.95, N_("interval level")), "n_models": ("n_models", 50, N_("models / rounds")),
    "depth": ("depth", 3, N_("learner tree only")),
    "learning_rate": ("learning rate", 0.1, N_("shrinks each model")),
    "n_datasets": ("n_datasets", 100, N_("fresh training sets")),
}
CHOICE_KEYS = {"select": ("min", "one_se"), "learner": ("model", "stump", "tree")}
SEARCH_DEFAULTS = {"degree": [1, 15], "l2": [1e-8, 10.0]}
REGRESSION_MODEL = {"name": "poly"}
REGRESSION_VALIDATE = {"method": "kfold", "k": 5, "degrees": [1, 3, 5, 9]}


def key_methods() -> dict:
    from ...kinds.validate import KEY_METHODS

    return KEY_METHODS


def method_raw(raw: dict, method: str, remembered: dict | None = None) -> dict:
    """The same scenario under another method: the keys it does not read are dropped (`remembered`
    [validate] keys of earlier methods come back when a method reads them again), and a search
    gets a space over the model's own hyperparameters (the degrees swept so far, and l2)."""
    raw = copy.deepcopy(raw)
    known = {**(remembered or {}), **raw.get("validate", {})}
    table = {key: value for key, value in known.items() if key in key_methods() and method in key_methods()[key]}
    if method not in ("bagging", "boosting"):
        table.pop("depth", None)
    if method == "search" and "space" not in table:
        degrees = known.get("degrees") or SEARCH_DEFAULTS["degree"]
        space = {"l2": SEARCH_DEFAULTS["l2"]}
        if raw.get("model", {}).get("name") == "poly":
            space["degree"] = [int(min(degrees)), int(max(max(degrees), min(degrees) + 1))]
        table["space"] = space
    raw["validate"] = {"method": method, **table}
    if method == "adaboost":
        raw.pop("model", None)
    return raw


def with_data(raw: dict, name: str) -> dict:
    """Another data set. Crossing between regression and classification changes what can run:
    classification gets AdaBoost (its stumps need no [model]); regression gets a polynomial
    cross-validated over degrees."""
    raw = copy.deepcopy(raw)
    was_regression = raw.get("data", {}).get("name") in REGRESSION
    raw.setdefault("data", {})["name"] = name
    raw["data"].pop("classes", None)
    if name in REGRESSION and not was_regression:
        raw["model"] = dict(REGRESSION_MODEL)
        raw["validate"] = copy.deepcopy(REGRESSION_VALIDATE)
        for key in ("train", "regularize", "optimizers"):
            raw.pop(key, None)
    elif name in CLASSIFICATION and was_regression:
        raw["validate"] = {"method": "adaboost"}
        raw.pop("model", None)
    return raw


def next_method(raw: dict, current: str, load, remembered: dict | None = None) -> tuple[object | None, list[str]]:
    """The scenario under the next method (in METHODS' order) that this data and model can run:
    (scenario, the methods skipped and why). `load` is the scenario loader (ScenarioError if bad)."""
    from ...scenario.fields import ScenarioError

    skipped = []
    start = METHODS.index(current)
    for step in range(1, len(METHODS)):
        method = METHODS[(start + step) % len(METHODS)]
        try:
            return load(method_raw(raw, method, remembered)), skipped
        except ScenarioError as err:
            skipped.append(f"{method} ({str(err).split(': ', 2)[-1]})")
    return None, skipped


def setup_fields(raw: dict) -> list[tuple[str, tuple, object, object, str]]:
    """(label, key path, value, default, hint) of the Setup tab's input rows for this scenario."""
    data, model, table = raw.get("data", {}), raw.get("model"), raw.get("validate", {})
    method = table.get("method", "kfold")
    rows = [("n", ("data", "n"), data.get("n"), 200, tr("points in all")),
            ("noise", ("data", "noise"), data.get("noise"), 0.1, ""),
            ("split", ("data", "split"), data.get("split"), [0.6, 0.2, 0.2], tr("train, val, test"))]
    if model is not None and model.get("name") == "poly" and not table.get("degrees"):
        rows.append(("model degree", ("model", "degree"), model.get("degree"), 3, "poly"))
    closed_form = model is not None and model.get("name") in ("linear", "poly")
    for key, (label, default, hint) in VALIDATE_FIELDS.items():
        if method not in key_methods()[key]:
            continue
        if key == "widths" and closed_form or key == "degrees" and not closed_form:
            continue
        if key == "depth" and table.get("learner") != "tree":
            continue
        if key == "l2" and not closed_form:
            continue
        if key == "learning_rate" and method == "adaboost":
            default = 1.0
        rows.append((label, ("validate", key), table.get(key), tr(default) if isinstance(default, str) else default,
                     tr(hint)))
    if method == "search":
        for name, hint in (("degree", tr("[low, high] integers")), ("l2", tr("[low, high] > 0, log scale"))):
            rows.append((f"search {name}", ("validate", "space", name), table.get("space", {}).get(name),
                         tr("not searched"), hint))
    rows.append(("seed", ("seed",), raw.get("seed"), 0, tr("data, folds, resamples")))
    return rows


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
    return "width" if rows and "width" in rows[0] else "degree"     # a key: tr() shows it


class ValidateState:
    """One scenario's experiment as the tab shows it: computed once, revealed row by row."""

    def __init__(self) -> None:
        self.scenario = None
        self.problem = None
        self.outcome = None
        self.result: dict | None = None
        self.shown = 0
        self.remembered: dict = {}     # [validate] keys of every method shown since the scenario was opened

    def open(self, scenario) -> None:
        """A scenario from outside (a file, the browser, a lesson): nothing of the last one is remembered."""
        self.remembered = {}
        self.load(scenario)

    def load(self, scenario) -> None:
        """A scenario to show (opened, or edited in the tab)."""
        self.scenario, self.problem, self.outcome, self.result, self.shown = scenario, None, None, None, 0
        self.remembered.update({k: v for k, v in scenario.raw.get("validate", {}).items() if k != "method"})

    def computed(self, problem, outcome, result: dict) -> None:
        self.problem, self.outcome, self.result, self.shown = problem, outcome, result, 0

    @property
    def raw(self) -> dict:
        return self.scenario.raw

    @property
    def method(self) -> str:
        return self.scenario.settings.method

    @property
    def total(self) -> int:
        return 0 if self.outcome is None else len(self.outcome.results)

    @property
    def rows(self) -> list[dict]:
        return self.outcome.results[:self.shown]

    def reveal(self, count: int) -> None:
        self.shown = max(0, min(count, self.total))

    def unit(self) -> str:
        if self.outcome is None:
            return tr("row")
        sweep = complexity(self.outcome.results)
        return tr({"capacity": sweep, "bias_variance": sweep, "bootstrap": N_("replicate"), "bagging": N_("model"),
                   "boosting": N_("round"), "adaboost": N_("round"), "search": N_("trial"),
                   "nested": N_("outer fold"), "leave_p_out": N_("split")}.get(self.outcome.method, N_("fold")))

    def progress(self, state: str) -> str:
        """`state` is marked N_ where it is written."""
        return tr("{state}: {unit} {shown}/{total}", state=tr(state), unit=self.unit(), shown=self.shown,
                  total=self.total)

    def model_text(self) -> str:
        st = self.scenario.settings
        if st.method == "adaboost":
            return tr("learner: decision stumps, {rounds} rounds", rounds=st.n_models)
        if st.method == "search":
            return tr("search over {space}", space=", ".join(f"{name} {low:g}..{high:g}"
                                                            for name, (low, high) in st.space.items()))
        if st.method in ("bagging", "boosting") and st.learner != "model":
            return tr("learner stump") if st.learner == "stump" else tr("learner tree of depth {depth}", depth=st.depth)
        if st.degrees or st.widths:
            return ("degrees " if st.degrees else "widths ") + ", ".join(map(str, st.degrees or st.widths))
        return tr("model {name}", name=st.model.name) + (f" degree {st.model.degree}" if st.model.name == "poly" else "")

    def heading(self) -> Text:
        st = self.scenario.settings
        head = Text()
        head.append(tr(TITLES[st.method]), style="bold")
        head.append(f"  ·  {st.data.name} (n={st.data.n}, noise={st.data.noise:g})  ·  {self.model_text()}")
        return head

    def numbers(self) -> Text:
        from ...output import fmt

        text = Text()
        if self.rows:
            text.append(tr("latest: "), style="bold")
            text.append("  ".join(f"{k} {fmt(v)}" for k, v in self.rows[-1].items()))
            text.append("\n")
        if self.outcome is not None and self.shown >= self.total:
            text.append(tr("result: "), style="bold")
            text.append("  ".join(f"{k} {fmt(v)}" for k, v in self.outcome.summary.items()))
        return text

    def fold_layout(self, width: int, height: int) -> Text:
        """One line per fold: the pool's points (binned to fit) as train █ / validation ░, the test
        points apart on the right; then the fold's loss. The latest folds stay in view."""
        layout = self.outcome.curves["layout"]
        pool, test, folds = layout["pool"], layout["test"], layout["folds"]
        if self.outcome.method in ("timeseries", "leave_p_out"):    # row (time) order; the test rows last
            display = np.concatenate([pool, test])
        else:                                                       # each fold's validation block together
            display = np.concatenate([f["val"] for f in folds] + [test])
        column_of = {row: i for i, row in enumerate(display)}
        keys = varying_keys(self.outcome.extras["candidates"])
        def label_of(row: dict) -> str:       # the candidate a fold scores (nested: the one its inner loop chose)
            return candidate_name(row, keys)

        prefix = max(len(label_of(r)) for r in self.outcome.results) + 5
        val = tr("val")
        bins = max(8, min(width - prefix - cell_len(f" {val} 0.0000e+00"), display.size))
        text = Text()
        names = (tr("unused"), tr("train"), tr("validation"), tr("test (never used)") if width >= 60 else tr("test"))
        for mark, name in zip(FOLD_MARKS.values(), names):
            text.append(*mark)
            text.append(f" {name}  ", style="dim")
        text.append("\n")
        for row in self.rows[-max(1, height - 2):]:
            fold = folds[row["fold"] - 1]
            marks = np.zeros(display.size, dtype=np.int8)          # 0 unused, 1 train, 2 val, 3 test
            marks[[column_of[r] for r in fold["train"]]] = 1
            marks[[column_of[r] for r in fold["val"]]] = 2
            marks[len(display) - test.size:] = 3
            text.append(f"{label_of(row)} {row['fold']:>3} ".rjust(prefix), style="bold")
            for chunk in np.array_split(marks, bins):
                text.append(*FOLD_MARKS[int(chunk.max())])     # a bin shows its most telling point
            text.append(f" {val} {row['val_loss']:.3g}\n")
        return text
