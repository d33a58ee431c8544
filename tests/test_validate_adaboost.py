"""AdaBoost (discrete SAMME with decision stumps): values derived by hand from the update rule, and
the same fit as scikit-learn's AdaBoostClassifier where scikit-learn is installed."""

import math

import numpy as np
import pytest

import tui_lab
from tui_lab.core import validate as V
from tui_lab.core.datasets import make_dataset
from tui_lab.core.ensembles import adaboost_fit, adaboost_staged, as_float32_values, gini_stump, sorted_orders

# seven points on a line, one class-0 point (x = 4) among the class-1 points
X7 = np.arange(1.0, 8.0)[:, None]
Y7 = np.array([0, 0, 1, 0, 1, 1, 1])


def fit(x, y, rounds, learning_rate=1.0, classes=2):
    history = np.empty((rounds, len(y)))
    stumps, alphas, errors, peaks = adaboost_fit(as_float32_values(x), y.astype(np.int64), classes, rounds,
                                                 learning_rate, history)
    np.testing.assert_allclose(peaks, history[:alphas.size].max(axis=1) * len(y), rtol=1e-12)
    return stumps, alphas, errors, history[:alphas.size]


def test_two_rounds_by_hand():
    stumps, alphas, errors, weights = fit(X7, Y7, 2)
    # round 1, weights 1/7: weighted Gini is lowest for x <= 4.5 (left 0,0,1,0: (4/7)(3/8) = 3/14, right
    # pure) against 8/35 at 2.5; it misses x = 3: error 1/7, alpha = log((1 - 1/7) / (1/7)) = log 6
    np.testing.assert_allclose(stumps[0], [0, 4.5, 0, 1])
    assert errors[0] == pytest.approx(1 / 7, rel=1e-15) and alphas[0] == pytest.approx(math.log(6), rel=1e-14)
    # the missed point's weight is multiplied by 6, then all are normalised: it now holds half the weight
    np.testing.assert_allclose(weights[1], np.array([1, 1, 6, 1, 1, 1, 1]) / 12, rtol=1e-14)
    # round 2: Gini now prefers x <= 2.5 (impurity 1.8/12 against 4/12 at 4.5); it misses x = 4,
    # weight 1/12: alpha = log(11)
    np.testing.assert_allclose(stumps[1], [0, 2.5, 0, 1])
    assert errors[1] == pytest.approx(1 / 12, rel=1e-14) and alphas[1] == pytest.approx(math.log(11), rel=1e-14)
    error, loss, classes = adaboost_staged(stumps, alphas, as_float32_values(X7), Y7.astype(np.int64), 2, True)
    # after two rounds x = 3 and 4 get log 11 for class 1 against log 6 for class 0; only x = 4 is wrong
    assert classes[1].tolist() == [0, 0, 1, 1, 1, 1, 1] and error[1] == pytest.approx(1 / 7)
    # probabilities: the logistic of the class-1 margin (votes for 1 - votes for 0) / (log 6 + log 11),
    # which is 2 where both stumps agree
    split = 2 * (math.log(11) - math.log(6)) / (math.log(6) + math.log(11))
    p = lambda m: 1 / (1 + math.exp(-m))
    p_true = [1 - p(-2.0)] * 2 + [p(split), 1 - p(split)] + [p(2.0)] * 3
    assert loss[1] == pytest.approx(-np.mean(np.log(p_true)), rel=1e-13)


def test_gini_stump_prefers_the_purest_split_by_weight():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 1, 1, 1])
    w = np.array([0.1, 0.1, 0.1, 0.7])
    feature, threshold, left, right = gini_stump(x, y, w, 2, sorted_orders(x))
    assert (feature, threshold, left, right) == (0, 0.5, 0, 1)


@pytest.mark.parametrize("learning_rate", [1.0, 0.5])
def test_reweighting_leaves_the_last_stump_at_chance(learning_rate):
    """With two classes the update multiplies the missed rows' weights by exp(alpha); at learning rate 1
    that is (1 - err) / err, so under the new weights the stump just fitted has error exactly 1/2."""
    data = make_dataset("moons", 120, 0.3, 3)
    stumps, alphas, errors, weights = fit(data.x, data.y.astype(np.int64), 12, learning_rate)
    x = as_float32_values(data.x)
    for m in range(alphas.size - 1):
        feature, threshold, left, right = stumps[m]
        pred = np.where(x[:, int(feature)] <= threshold, left, right)
        wrong = pred != data.y
        after = weights[m + 1][wrong].sum() / weights[m + 1].sum()
        expected = 0.5 if learning_rate == 1.0 else (errors[m] * math.exp(alphas[m])) / (
            errors[m] * math.exp(alphas[m]) + 1 - errors[m])
        assert after == pytest.approx(expected, rel=1e-12)


def test_a_perfect_stump_stops_the_boosting():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    stumps, alphas, errors, _ = fit(x, np.array([0, 0, 1, 1]), 10)
    assert alphas.tolist() == [1.0] and errors.tolist() == [0.0]


def adaboost_problem(name, n, classes=None):
    data = make_dataset(name, n, 0.25, 2, classes=classes)
    order = np.random.default_rng(1).permutation(n)
    a, b = int(0.6 * n), int(0.8 * n)
    return V.Problem(data.x, data.y, order[:a], order[a:b], order[b:], n_classes=data.n_classes)


@pytest.mark.parametrize("name,classes,learning_rate", [("moons", None, 1.0), ("circles", None, 0.5),
                                                        ("blobs", 3, 1.0), ("spirals", 4, 0.8), ("xor", None, 1.0)])
def test_same_fit_as_scikit_learn(name, classes, learning_rate):
    ensemble = pytest.importorskip("sklearn.ensemble")
    p = adaboost_problem(name, 300, classes)
    rounds = 80
    out = V.adaboost(p, rounds, learning_rate)
    ref = ensemble.AdaBoostClassifier(n_estimators=rounds, learning_rate=learning_rate, random_state=0)
    ref.fit(p.x[p.train], p.y[p.train].astype(int))
    fitted = len(ref.estimators_)
    assert out.summary["rounds"] == fitted
    rows = out.results
    np.testing.assert_allclose([r["alpha"] for r in rows], ref.estimator_weights_[:fitted], rtol=1e-11)
    np.testing.assert_allclose([r["weighted_error"] for r in rows], ref.estimator_errors_[:fitted], rtol=1e-11)
    assert [r["feature"] for r in rows] == [int(e.tree_.feature[0]) for e in ref.estimators_]
    assert [r["threshold"] for r in rows] == [float(e.tree_.threshold[0]) for e in ref.estimators_]
    for part, rows_of in (("train", p.train), ("test", p.test)):
        x, y = p.x[rows_of], p.y[rows_of].astype(int)
        errors = [float(np.mean(pred != y)) for pred in ref.staged_predict(x)]
        np.testing.assert_allclose([r[f"{part}_error"] for r in rows], errors, atol=1e-15)
        probs = np.array(list(ref.staged_predict_proba(x)))
        nll = -np.log(np.clip(probs[:, np.arange(len(y)), y], 1e-12, 1)).mean(axis=1)
        np.testing.assert_allclose([r[f"{part}_loss"] for r in rows], nll, rtol=1e-10)


def test_adaboost_scenario_layout_and_errors():
    base = {"title": "t", "kind": "validate", "data": {"name": "moons", "n": 120, "noise": 0.3},
            "validate": {"method": "adaboost", "n_models": 15}}
    result = tui_lab.run_scenario(base)
    assert len(result["results"]) == 15
    assert {"n_models", "alpha", "weighted_error", "train_loss", "test_loss", "train_error", "test_error"} <= set(
        result["results"][0])
    with pytest.raises(tui_lab.ScenarioError, match="validate.method: adaboost classifies"):
        tui_lab.run_scenario({**base, "data": {"name": "sine", "n": 60}})
    with pytest.raises(tui_lab.ScenarioError, match="model: adaboost's weak learners are decision stumps"):
        tui_lab.run_scenario({**base, "model": {"name": "logistic"}})
    with pytest.raises(tui_lab.ScenarioError, match="validate.n_models"):
        tui_lab.run_scenario({**base, "validate": {"method": "adaboost", "n_models": 10 ** 6}})
