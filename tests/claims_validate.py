"""Claims of the generalization and validation lessons (kind validate)."""

import pytest

import tui_lab
from claims import claim, rerun, scenario_raw


def by(result, key):
    return {row[key]: row for row in result["results"]}


def candidates(result, key):
    return {c[key]: c for c in result["candidates"]}


def non_increasing(values):
    return all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:]))


@claim("validate-memorize")
def _(result):
    rows = by(result, "degree")
    assert non_increasing([r["train_loss"] for r in result["results"]])
    assert rows[14]["train_loss"] < 1e-10                      # interpolates its 15 training points
    assert rows[14]["val_loss"] > 1e6 * rows[3]["val_loss"]
    assert result["summary"]["best_degree"] == 3


@claim("validate-capacity")
def _(result):
    rows = by(result, "degree")
    best = result["summary"]["best_val_loss"]
    assert non_increasing([r["train_loss"] for r in result["results"]])
    assert result["summary"]["best_degree"] == 6
    assert rows[1]["val_loss"] > 3 * best and rows[1]["train_loss"] > 3 * 0.25 ** 2     # underfitting
    assert rows[20]["val_loss"] > 100 * best > rows[20]["train_loss"]                      # overfitting


@claim("validate-kfold")
def _(result):
    assert result["summary"]["chosen_degree"] == 3
    for degree in (1, 3, 5, 9, 15):
        folds = [r for r in result["results"] if r["degree"] == degree]
        assert sum(r["n_val"] for r in folds) == 48                    # each pool point validated once
    wild = [r["val_loss"] for r in result["results"] if r["degree"] == 15]
    assert max(wild) > 1000 * min(wild)
    means = candidates(result, "degree")
    assert means[3]["cv_mean"] == min(c["cv_mean"] for c in result["candidates"])


@claim("validate-loo")
def _(result):
    assert result["summary"]["n_folds"] == 32 and all(r["n_val"] == 1 for r in result["results"])
    line = candidates(result, "degree")[1]
    assert line["cv_std"] > line["cv_mean"]                           # one-point losses are noisy
    assert result["summary"]["chosen_degree"] == 3
    assert result["summary"]["test_loss"] < 1.5 * 0.2 ** 2


@claim("validate-timeseries")
def _(result):
    rows = result["results"]
    assert result["summary"]["chosen_degree"] == 1
    first_fold = {r["degree"]: r["val_loss"] for r in rows if r["fold"] == 1}
    assert first_fold[9] > 1e9 and first_fold[5] > 1000
    assert [r["n_train"] for r in rows if r["degree"] == 1] == [16, 32, 48, 64]
    shuffled = candidates(rerun("validate-timeseries", "validate", method="kfold"), "degree")
    assert shuffled[9]["cv_mean"] < 1.5 * 0.2 ** 2                    # interpolation flatters degree 9


@claim("validate-ridge-one-se")
def _(result):
    means = candidates(result, "l2")
    best = min(means.values(), key=lambda c: c["cv_mean"])
    assert best["l2"] == 0.001 and result["summary"]["chosen_l2"] == 0.01
    assert means[0.01]["cv_mean"] <= best["cv_mean"] + best["cv_se"]
    assert means[0.0]["cv_mean"] > 10 and means[1.0]["cv_mean"] > 3 * best["cv_mean"]
    assert rerun("validate-ridge-one-se", "validate", select="min")["summary"]["chosen_l2"] == 0.001


@claim("validate-moons-width")
def _(result):
    means = candidates(result, "width")
    assert min(means[w]["cv_mean"] for w in (1, 2, 4)) > 2 * max(means[w]["cv_mean"] for w in (8, 32))
    assert result["summary"]["chosen_width"] == 32
    assert means[8]["cv_mean"] - means[32]["cv_mean"] < means[32]["cv_se"]
    assert rerun("validate-moons-width", "validate", select="one_se")["summary"]["chosen_width"] == 8


@claim("validate-bias-variance")
def _(result):
    rows = by(result, "degree")
    for row in result["results"]:
        assert abs(row["expected_error"] - row["bias2"] - row["variance"] - row["noise"]) <= 3 * row["gap_se"]
        assert row["noise"] == pytest.approx(0.3 ** 2, rel=0.05)
    assert rows[1]["bias2"] > 2 * rows[1]["noise"] > 2 * rows[1]["variance"]
    assert result["summary"]["best_degree"] == 3
    assert rows[3]["bias2"] < 0.01 and rows[5]["bias2"] < 0.001
    assert rows[5]["variance"] < rows[7]["variance"] < rows[9]["variance"] < rows[12]["variance"]
    assert rows[12]["variance"] > 100


@claim("validate-bootstrap")
def _(result):
    s = result["summary"]
    assert s["test_loss_ci_low"] < s["test_loss"] < s["test_loss_ci_high"]
    refits = s["test_loss_ci_high"] - s["test_loss_ci_low"]
    test_set = s["test_set_ci_high"] - s["test_set_ci_low"]
    assert test_set > refits                                   # the 12 test points are as big a doubt
    assert test_set / 2 > 0.3 * s["test_loss"]


@claim("validate-bagging")
def _(result):
    s, rows = result["summary"], result["results"]
    assert rows[0]["test_loss"] > s["single_test_loss"] > s["test_loss"]
    assert s["variance"] < 0.6 * s["single_variance"]
    assert rows[-1]["bias2"] < 0.01 and s["single_bias2"] < 0.01
    raw = scenario_raw("validate-bagging")
    del raw["validate"]["depth"]                                 # the lesson: learner = "model", no depth
    raw["validate"]["learner"] = "model"
    polynomial = tui_lab.run_scenario(raw)["summary"]
    change = abs(polynomial["variance"] - polynomial["single_variance"])
    assert change < 0.2 * polynomial["single_variance"]       # a stable model gains little


@claim("validate-boosting")
def _(result):
    rows, s = result["results"], result["summary"]
    assert non_increasing([s["base_train_loss"]] + [r["train_loss"] for r in rows])
    assert rows[100]["test_loss"] < s["model_test_loss"]
    assert rows[-1]["train_loss"] < 0.2 ** 2                        # below the noise: fitting noise
    assert s["best_rounds"] < len(rows)
    assert rows[-1]["test_loss"] > min(r["test_loss"] for r in rows)


@claim("validate-boosting-overfit")
def _(result):
    rows, s = result["results"], result["summary"]
    assert rows[13]["train_loss"] < 0.01 < 0.3 ** 2
    assert s["best_rounds"] == 13
    assert rows[-1]["val_loss"] > s["best_val_loss"] and rows[-1]["test_loss"] > s["test_loss_at_best"]
    assert rows[-1]["train_loss"] < 1e-10
