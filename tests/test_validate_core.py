"""The validation core: closed forms against the equations, fold rules, the decomposition, ensembles."""

import numpy as np
import pytest

from tui_lab.core import validate as V
from tui_lab.core.ensembles import (bootstrap_indices, poly_features, ridge_fit_many, ridge_predict_many,
                                    running_mean, sorted_orders, stump_fit, tree_fit_many, tree_predict_many)
from tui_lab.core.rng import key_for

NOISE = 0.3


def truth(x):
    return np.sin(np.pi * x[:, 0])


def draw(n, replicate):
    rng = np.random.default_rng([replicate, 99])
    x = rng.uniform(-1, 1, (n, 1))
    return x, truth(x) + NOISE * rng.standard_normal(n)


def problem(n=100):
    x, y = draw(n, 10_000)
    order = np.random.default_rng(5).permutation(n)
    a, b = int(0.6 * n), int(0.8 * n)
    return V.Problem(x, y, order[:a], order[a:b], order[b:], truth, draw)


# -- closed forms ----------------------------------------------------------------------------------

@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_ridge_solves_its_normal_equations(l2):
    x, y = draw(40, 1)
    degree = 4
    w = ridge_fit_many(x, y, np.arange(40)[None, :], degree, l2)[0]
    # d/dw [mean((Fw + c - y)^2) + (l2/2)|w|^2] = 0 and d/dc = 0, written out with plain NumPy
    feats = np.hstack([x ** p for p in range(1, degree + 1)])
    design = np.hstack([feats, np.ones((40, 1))])
    gram = design.T @ design / 40 * 2
    gram[:degree, :degree] += l2 * np.eye(degree)
    expected = np.linalg.solve(gram, 2 * design.T @ y / 40)
    np.testing.assert_allclose(w, expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ridge_predict_many(w[None, :], x, degree)[0], design @ expected, atol=1e-9)


def test_ridge_with_more_weights_than_points_interpolates():
    x, y = draw(6, 2)
    w = ridge_fit_many(x, y, np.arange(6)[None, :], 9, 0.0)
    np.testing.assert_allclose(ridge_predict_many(w, x, 9)[0], y, atol=1e-8)


def test_poly_features_are_powers():
    x = np.array([[0.5, -2.0]])
    np.testing.assert_allclose(poly_features(x, 3), [[0.5, 0.25, 0.125, -2.0, 4.0, -8.0]])


def test_stump_is_the_best_single_split():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (30, 2))
    r = np.where(x[:, 1] > 0.2, 1.0, -1.0) + 0.3 * rng.standard_normal(30)
    feature, threshold, left, right = stump_fit(x, r, sorted_orders(x))
    pred = np.where(x[:, feature] <= threshold, left, right)
    best = np.inf                               # brute force: every feature, every midpoint
    for j in range(2):
        values = np.unique(x[:, j])
        for t in (values[:-1] + values[1:]) / 2:
            side = x[:, j] <= t
            best = min(best, ((r[side] - r[side].mean()) ** 2).sum() + ((r[~side] - r[~side].mean()) ** 2).sum())
    assert feature == 1
    assert ((r - pred) ** 2).sum() == pytest.approx(best, rel=1e-12)


def test_deeper_trees_fit_the_training_set_better():
    x, y = draw(80, 4)
    rows = np.arange(80)[None, :]
    losses = [np.mean((tree_predict_many(tree_fit_many(x, y, rows, depth), x)[0] - y) ** 2) for depth in (1, 2, 4, 8)]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert len(np.unique(tree_predict_many(tree_fit_many(x, y, rows, 2), x))) <= 4


def test_bootstrap_indices_are_in_range_reproducible_and_varied():
    a = bootstrap_indices(key_for(7, 1), 50, 20, 20)
    assert a.min() >= 0 and a.max() < 20
    assert np.array_equal(a, bootstrap_indices(key_for(7, 1), 50, 20, 20))
    distinct = np.array([np.unique(row).size for row in a])
    assert 0.5 < distinct.mean() / 20 < 0.75        # about 1 - 1/e = 63% of the points per resample


def test_running_mean_is_the_ensemble_of_the_first_models():
    preds = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(running_mean(preds)[2], preds[:3].mean(axis=0))


# -- folds -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,k", [("kfold", 5), ("kfold", 7), ("loo", 0), ("timeseries", 4)])
def test_folds_stay_in_the_pool_and_never_overlap(method, k):
    p = problem(60)
    folds = V.make_folds(p, method, k, seed=1)
    pool = set(p.pool.tolist())
    for train, val in folds:
        assert not set(train) & set(val)
        assert set(train) | set(val) <= pool
        assert not (set(train) | set(val)) & set(p.test.tolist())
    vals = np.concatenate([v for _, v in folds])
    if method == "timeseries":
        assert len(folds) == k
        for train, val in folds:
            assert train.max() < val.min()              # every validation row comes after its training rows
        assert all(a[0].size < b[0].size for a, b in zip(folds, folds[1:]))
    else:
        assert sorted(vals.tolist()) == sorted(pool)    # each pool row validated exactly once
        for train, val in folds:
            assert set(train) | set(val) == pool
    if method == "loo":
        assert all(v.size == 1 for _, v in folds)


def test_test_targets_never_feed_the_choice():
    p = problem(80)
    cands = [V.PolyRidge(d, 0.0) for d in (1, 3, 9)]
    before = V.cross_validate(p, cands, "kfold", V.make_folds(p, "kfold", 5, seed=0))
    p.y = p.y.copy()
    p.y[p.test] += 100.0
    after = V.cross_validate(p, cands, "kfold", V.make_folds(p, "kfold", 5, seed=0))
    assert before.results == after.results
    assert before.summary["chosen_degree"] == after.summary["chosen_degree"]
    assert after.summary["test_loss"] > before.summary["test_loss"] + 1000


def test_one_se_rule_picks_the_simplest_candidate_within_one_standard_error():
    p = problem(80)
    cands = [V.PolyRidge(9, l2) for l2 in (0.0, 1e-4, 1e-3, 1e-2, 1e-1)]
    out = V.cross_validate(p, cands, "kfold", V.make_folds(p, "kfold", 8, seed=0), select="one_se")
    table = out.extras["candidates"]
    best = min(table, key=lambda c: c["cv_mean"])
    within = [c for c in table if c["cv_mean"] <= best["cv_mean"] + best["cv_se"]]
    assert out.summary["chosen_l2"] == max(c["l2"] for c in within)


def test_capacity_training_loss_falls_with_degree():
    out = V.capacity(problem(100), [V.PolyRidge(d, 0.0) for d in (1, 2, 3, 5, 8, 12)])
    train = [r["train_loss"] for r in out.results]
    assert all(b <= a + 1e-12 for a, b in zip(train, train[1:]))   # nested models: least squares can only improve


# -- bias-variance ---------------------------------------------------------------------------------

def test_decomposition_identity_on_arbitrary_arrays():
    rng = np.random.default_rng(1)
    pred, noise, f = rng.standard_normal((30, 8)), rng.standard_normal((30, 8)), rng.standard_normal(8)
    d = V.decompose(pred, f, noise)
    direct = np.mean((f + noise - pred) ** 2)
    assert d["expected_error"] == pytest.approx(direct, rel=1e-12)
    assert d["bias2"] + d["variance"] + d["noise"] + d["gap"] == pytest.approx(direct, rel=1e-12)


def test_bias_variance_adds_up_within_sampling_error():
    out = V.bias_variance(problem(60), [V.PolyRidge(d, 0.0) for d in (1, 3, 6)], n_datasets=300)
    for row in out.results:
        total = row["bias2"] + row["variance"] + row["noise"]
        assert abs(row["expected_error"] - total) <= 4 * row["gap_se"] + 1e-12
        assert row["noise"] == pytest.approx(NOISE ** 2, rel=0.05)
    bias = [r["bias2"] for r in out.results]
    variance = [r["variance"] for r in out.results]
    assert bias[0] > 10 * bias[1]          # a line cannot follow a sine: bias dominates
    assert variance[2] > variance[1]       # more flexible: more variance


# -- ensembles -------------------------------------------------------------------------------------

def test_bagging_lowers_the_variance_of_a_high_variance_model():
    out = V.bagging(problem(100), V.Tree(6), n_models=30, n_datasets=30, seed=0)
    s = out.summary
    assert s["variance"] < 0.7 * s["single_variance"]
    assert out.results[-1]["variance"] < out.results[0]["variance"]
    assert s["test_loss"] < s["single_test_loss"]


@pytest.mark.parametrize("learner", [V.Tree(1), V.Tree(3), V.PolyRidge(2, 0.0)])
def test_boosting_lowers_the_training_loss_every_round(learner):
    out = V.boosting(problem(80), learner, rounds=60, learning_rate=0.3)
    train = [out.summary["base_train_loss"]] + [r["train_loss"] for r in out.results]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(train, train[1:]))
    assert train[-1] < 0.7 * train[0]


def test_boosting_a_polynomial_converges_to_its_least_squares_fit():
    # each round adds lr times the projection of the residual, so the fit approaches that
    # projection of y (the plain least-squares fit) geometrically, by (1 - lr) per round
    p = problem(80)
    out = V.boosting(p, V.PolyRidge(2, 0.0), rounds=60, learning_rate=0.3)
    direct = V.capacity(p, [V.PolyRidge(2, 0.0)]).results[0]["train_loss"]
    assert out.results[-1]["train_loss"] == pytest.approx(direct, rel=1e-8)


def test_bootstrap_intervals_are_ordered_and_reproducible():
    p = problem(60)
    a = V.bootstrap(p, V.PolyRidge(3, 0.0), n_boot=100, level=0.9, seed=4)
    b = V.bootstrap(p, V.PolyRidge(3, 0.0), n_boot=100, level=0.9, seed=4)
    assert a.results == b.results
    s = a.summary
    assert s["test_loss_ci_low"] < s["test_loss_ci_high"]
    assert s["test_set_ci_low"] < s["test_loss"] < s["test_set_ci_high"]
    assert np.all(a.curves["band_low"] <= a.curves["band_high"])
