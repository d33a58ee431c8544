"""Leave-p-out, nested cross-validation and hyperparameter search: their fold rules, what feeds each
choice, their scenario keys and limits."""

import math
from itertools import combinations

import numpy as np
import pytest

import tui_lab
from tui_lab.core import validate as V

from test_validate_core import problem


def scenario(validate: dict, n=30, model=None) -> dict:
    return {"title": "t", "kind": "validate", "data": {"name": "sine", "n": n, "noise": 0.3},
            "model": model or {"name": "poly"}, "validate": validate}


# -- leave-p-out -----------------------------------------------------------------------------------

@pytest.mark.parametrize("p_out", [1, 2, 3])
def test_leave_p_out_holds_out_every_set_of_p_rows_once(p_out):
    p = problem(20)
    pool = p.pool
    folds = V.make_folds(p, "leave_p_out", 0, seed=0, p=p_out)
    assert len(folds) == math.comb(pool.size, p_out)
    held = sorted(tuple(sorted(v.tolist())) for _, v in folds)
    assert held == sorted(tuple(sorted(c)) for c in combinations(pool.tolist(), p_out))
    for train, val in folds:
        assert sorted(np.concatenate([train, val]).tolist()) == pool.tolist()


def test_leave_one_out_is_leave_p_out_with_p_1():
    p = problem(30)
    cands = [V.PolyRidge(d, 0.0) for d in (1, 3)]
    loo = V.cross_validate(p, cands, "loo", V.make_folds(p, "loo", 0, seed=0))
    lpo = V.leave_p_out(p, cands, 1, seed=0)
    assert lpo.extras["candidates"] == loo.extras["candidates"]


def test_kfold_beside_leave_p_out_moves_with_the_shuffle_around_the_exhaustive_mean():
    p = problem(40)
    out = V.leave_p_out(p, [V.PolyRidge(3, 0.0)], 2, seed=0)
    s = out.summary
    assert s["kfold_k"] == p.pool.size // 2 and len(out.extras["kfold_means"]) == V.KFOLD_SHUFFLES
    assert s["kfold_mean_low"] < s["kfold_mean_high"]                # the non-exhaustive estimate varies
    # each k-fold split is one of leave-2-out's; on average over shuffles the estimates agree
    assert s["kfold_mean_average"] == pytest.approx(s["val_loss_mean"], rel=0.15)


def test_leave_p_out_refuses_too_many_splits_in_one_line():
    with pytest.raises(tui_lab.ScenarioError) as err:
        tui_lab.run_scenario(scenario({"method": "leave_p_out", "p": 5}, n=100))
    text = str(err.value)
    assert "\n" not in text and "validate.p" in text and "splits" in text and "5,000" in text


# -- nested cross-validation -----------------------------------------------------------------------

def test_nested_outer_rows_score_but_never_choose():
    p = problem(60)
    cands = [V.PolyRidge(d, 0.0) for d in (1, 3, 5, 9)]
    before = V.nested(p, cands, 4, 3, seed=0)
    held_out = V.make_folds(p, "kfold", 4, seed=0)[1][1]
    p.y = p.y.copy()
    p.y[held_out] += 5.0                                # corrupt the held-out rows of outer fold 2
    after = V.nested(p, cands, 4, 3, seed=0)
    row_before, row_after = before.results[1], after.results[1]
    assert row_after["degree"] == row_before["degree"]                 # its choice is made without them
    assert row_after["inner_cv_mean"] == row_before["inner_cv_mean"]
    assert row_after["val_loss"] > row_before["val_loss"] + 10        # but they score it


def test_nested_rows_and_summary():
    p = problem(60)
    cands = [V.PolyRidge(d, 0.0) for d in (1, 3, 9)]
    out = V.nested(p, cands, 5, 3, seed=0)
    assert [r["fold"] for r in out.results] == [1, 2, 3, 4, 5]
    assert sum(r["n_val"] for r in out.results) == p.pool.size
    assert out.summary["nested_loss_mean"] == pytest.approx(np.mean([r["val_loss"] for r in out.results]))
    for r in out.results:       # each inner loop chose the least inner CV mean among the candidates
        inner = V.sub_problem(p, *V.make_folds(p, "kfold", 5, seed=0)[r["fold"] - 1])
        folds = V.make_folds(inner, "kfold", 3, seed=0, stream=V.STREAM_INNER_FOLDS + r["fold"])
        table = V.cross_validate(inner, cands, "kfold", folds).extras["candidates"]
        assert r["degree"] == min(table, key=lambda c: c["cv_mean"])["degree"]


# -- hyperparameter search -------------------------------------------------------------------------

@pytest.mark.parametrize("budget,shape", [(16, [4, 4]), (20, [4, 5]), (9, [3, 3]), (50, [3, 16])])
def test_grid_fills_the_budget_as_evenly_as_the_axes_allow(budget, shape):
    axes = [V.Axis("degree", 1, 3 if budget == 50 else 15, True), V.Axis("l2", 1e-6, 1.0, False)]
    assert V.grid_shape(axes, budget) == shape


def test_random_search_spends_the_same_budget_on_more_distinct_values():
    axes = [V.Axis("degree", 1, 15, True), V.Axis("l2", 1e-6, 1.0, False)]
    grid, random = V.search_points(axes, 16, seed=3)
    assert len(grid) == len(random) == 16
    assert len({g["l2"] for g in grid}) == 4 and len({r["l2"] for r in random}) == 16
    assert all(1 <= r["degree"] <= 15 and isinstance(r["degree"], int) for r in random)
    assert all(1e-6 <= r["l2"] <= 1.0 for r in random)


def test_search_rows_and_its_choice_ignore_the_test_rows():
    p = problem(60)
    axes = [V.Axis("degree", 1, 9, True), V.Axis("l2", 1e-6, 1.0, False)]

    def make(point):
        return V.PolyRidge(point["degree"], point["l2"])

    before = V.search(p, axes, make, 9, 4, seed=0)
    assert len(before.results) == 9 and before.summary["budget"] == 9
    for strategy in ("grid", "random"):
        best = [r[f"{strategy}_best"] for r in before.results]
        assert best == list(np.minimum.accumulate([r[f"{strategy}_cv"] for r in before.results]))
        assert before.summary[f"{strategy}_cv_loss"] == best[-1]
    p.y = p.y.copy()
    p.y[p.test] += 100.0
    after = V.search(p, axes, make, 9, 4, seed=0)
    assert after.results == before.results
    assert after.summary["grid_test_loss"] > before.summary["grid_test_loss"] + 1000


@pytest.mark.parametrize("validate,message", [
    ({"method": "search", "budget": 8}, "validate.space: expected a table, got nothing"),
    ({"method": "search", "space": {"lr": [0.1, 1]}}, "validate.space.lr: unknown key"),
    ({"method": "search", "space": {"l2": [1.0, 0.1]}}, "validate.space.l2: expected [low, high] with low <= high"),
    ({"method": "search", "space": {"l2": [0, 1]}}, "validate.space.l2: expected [low, high], positive"),
    ({"method": "search", "space": {"l2": [1e-3, 1]}, "budget": 10 ** 4}, "validate.budget"),
    ({"method": "nested", "k": 12, "inner_k": 23}, "validate.inner_k: expected an integer in [2, 22]"),
    ({"method": "kfold", "inner_k": 3}, "validate.inner_k: not used by method kfold"),
    ({"method": "leave_p_out", "p": 0}, "validate.p"),
])
def test_bad_keys_are_one_line_errors(validate, message):
    with pytest.raises(tui_lab.ScenarioError) as err:
        tui_lab.run_scenario(scenario(validate))
    assert message in str(err.value) and "\n" not in str(err.value)
