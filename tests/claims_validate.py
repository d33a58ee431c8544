"""Claims of the generalization and validation lessons (kind validate)."""

import numpy as np
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
    assert abs(rows[2]["train_loss"] - rows[1]["train_loss"]) < 0.01 * rows[1]["train_loss"]   # parabola ~ line
    assert rows[2]["val_loss"] > 3 * best
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
    means = candidates(result, "degree")
    assert means[1]["cv_mean"] == pytest.approx(0.61, abs=0.005) and means[3]["cv_mean"] == pytest.approx(2.0, abs=0.05)
    fold = {(r["degree"], r["fold"]): r["val_loss"] for r in rows}
    assert fold[3, 1] == pytest.approx(7.6, abs=0.05)                   # the cubic's mean is fold 1's doing
    assert all(fold[3, f] < fold[1, f] for f in (2, 3, 4))               # later folds prefer the cubic
    assert result["summary"]["test_loss"] == pytest.approx(0.28, abs=0.005)
    cubic = rerun("validate-timeseries", "validate", degrees=[3])["summary"]
    assert cubic["test_loss"] == pytest.approx(0.076, abs=0.001)
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
    assert rows[7]["bias2"] < 0.001 and rows[9]["bias2"] < 0.003             # mean still near the truth
    assert rows[12]["bias2"] == pytest.approx(5.55, abs=0.005)              # ... but not at degree 12
    assert 28.5 < rows[12]["bias2"] / rows[1]["bias2"] < 29.5
    settle = rows[12]["variance"] / result["summary"]["n_datasets"]         # the spread of a 200-fit mean
    assert settle == pytest.approx(2.6, abs=0.05) and 0.4 < settle / rows[12]["bias2"] < 0.6


@claim("validate-bootstrap")
def _(result):
    s = result["summary"]
    assert s["test_loss_ci_low"] < s["test_loss"] < s["test_loss_ci_high"]
    refits = s["test_loss_ci_high"] - s["test_loss_ci_low"]
    test_set = s["test_set_ci_high"] - s["test_set_ci_low"]
    assert 1.4 < test_set / refits < 1.55                     # 1.5 times as wide: the 12 test points
    assert refits == pytest.approx(0.054, abs=0.001) and test_set == pytest.approx(0.080, abs=0.001)
    assert 0.35 < test_set / 2 / s["test_loss"] < 0.45          # about +/- 40%


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


@claim("validate-leave-p-out")
def _(result):
    s, rows = result["summary"], result["results"]
    assert s["n_folds"] == 276 and len(rows) == 3 * 276 and all(r["n_val"] == 2 for r in rows)
    assert {r["fold"] for r in rows} == set(range(1, 277))
    means = candidates(result, "degree")
    assert s["chosen_degree"] == 3 and means[3]["cv_mean"] == pytest.approx(0.126, abs=0.0005)
    assert means[1]["cv_mean"] == pytest.approx(0.298, abs=0.0005)
    assert means[5]["cv_mean"] == pytest.approx(0.158, abs=0.0005)
    assert s["kfold_k"] == 12 and s["kfold_shuffles"] == 20
    assert s["kfold_mean_low"] == pytest.approx(0.111, abs=0.0005)
    assert s["kfold_mean_high"] == pytest.approx(0.132, abs=0.0005)
    assert s["kfold_mean_average"] == pytest.approx(0.123, abs=0.0005)
    assert s["kfold_mean_low"] < s["val_loss_mean"] < s["kfold_mean_high"]
    assert tui_lab.run_scenario("validate-leave-p-out")["summary"] == s       # no shuffle: the same every time


@claim("validate-nested")
def _(result):
    rows, s = result["results"], result["summary"]
    assert [r["degree"] for r in rows] == [10, 3, 3, 3, 3]                 # the choice varies by outer fold
    assert rows[0]["n_train"] == 38 and rows[0]["n_val"] == 10
    assert rows[0]["inner_cv_mean"] == pytest.approx(0.175, abs=0.0005)
    assert [round(r["val_loss"], 3) for r in rows] == [0.231, 0.168, 0.186, 0.080, 0.247]
    assert s["nested_loss_mean"] == pytest.approx(0.182, abs=0.0005)
    assert s["nested_loss_se"] == pytest.approx(0.029, abs=0.0005)
    assert s["chosen_degree"] == 3 and s["plain_cv_loss"] == pytest.approx(0.158, abs=0.0005)
    assert s["plain_cv_loss"] < s["nested_loss_mean"]                       # choosing and scoring on the same folds flatters
    assert s["test_loss"] == pytest.approx(0.099, abs=0.0005)
    assert len(result["setup"]["validate"]["degrees"]) == 15


@claim("validate-hyperparameters")
def _(result):
    s = result["summary"]
    assert [r["n_train"] for r in result["results"][:4]] == [36] * 4
    assert len(result["results"]) == 9 * 4
    train = {}
    for r in result["results"]:
        train.setdefault((r["degree"], r["l2"]), []).append(r["train_loss"])
    assert min(train, key=lambda key: np.mean(train[key])) == (9, 0.0)     # training loss would pick degree 9
    means = {(c["degree"], c["l2"]): c["cv_mean"] for c in result["candidates"]}
    assert (s["chosen_degree"], s["chosen_l2"]) == (3, 0.0) == min(means, key=means.get)
    assert s["val_loss_mean"] == pytest.approx(0.089, abs=0.0005)
    assert means[9, 0.01] == pytest.approx(0.114, abs=0.0005) and means[9, 0.0] > 1
    weights = result["parameters"]
    assert len(weights) == s["chosen_degree"] + 1
    assert np.round(weights, 2).tolist() == [2.95, 0.13, -3.18, -0.03]
    # the parameters are the least-squares solution on the 48 train + validation rows
    data = tui_lab.run_scenario("validate-hyperparameters", include_data=True)["data"]
    x = np.concatenate([data["train"]["x"][:, 0], data["val"]["x"][:, 0]])
    y = np.concatenate([data["train"]["y"], data["val"]["y"]])
    assert x.size == 48
    design = np.stack([x, x ** 2, x ** 3, np.ones_like(x)], axis=1)
    np.testing.assert_allclose(weights, np.linalg.lstsq(design, y, rcond=None)[0], rtol=1e-9, atol=1e-12)
    assert s["test_loss"] == pytest.approx(0.065, abs=0.0005)


@claim("validate-search")
def _(result):
    rows, s = result["results"], result["summary"]
    assert s["budget"] == len(rows) == 16
    assert [r["grid_degree"] for r in rows[:4]] == [1] * 4
    assert np.allclose([r["grid_l2"] for r in rows[:4]], [1e-8, 1e-5, 0.01, 10.0])
    assert len({r["random_degree"] for r in rows[:4]}) == 4 and len({r["random_l2"] for r in rows[:4]}) == 4
    assert sorted({r["grid_degree"] for r in rows}) == [1, 6, 10, 15]
    assert (s["grid_distinct_degree"], s["grid_distinct_l2"]) == (4, 4)
    assert (s["random_distinct_degree"], s["random_distinct_l2"]) == (9, 16)
    assert (s["random_chosen_degree"], s["grid_chosen_degree"], s["grid_chosen_l2"]) == (3, 6, 0.01)
    assert s["random_chosen_l2"] == pytest.approx(1.6e-7, rel=0.03)
    assert s["random_cv_loss"] == pytest.approx(0.142, abs=0.0005)
    assert s["grid_cv_loss"] == pytest.approx(0.154, abs=0.0005)
    assert s["random_test_loss"] == pytest.approx(0.090, abs=0.0005)
    assert s["grid_test_loss"] == pytest.approx(0.130, abs=0.0005)
    assert not {2, 3, 4, 5} & {r["grid_degree"] for r in rows}


@claim("validate-adaboost")
def _(result):
    rows, s = result["results"], result["summary"]
    first, second = rows[0], rows[1]
    assert first["train_error"] == pytest.approx(0.361, abs=0.0005) and first["test_error"] == pytest.approx(0.4)
    assert first["weighted_error"] == pytest.approx(first["train_error"], rel=1e-12)   # equal weights at the start
    err = first["weighted_error"]
    assert first["alpha"] == pytest.approx(np.log((1 - err) / err), rel=1e-12)
    assert first["alpha"] == pytest.approx(0.57, abs=0.005)
    assert np.exp(first["alpha"]) == pytest.approx(1.77, abs=0.005)
    # after the update the missed points hold half the weight: each weighs 0.5 / (err n), the most of all
    assert second["max_weight"] == pytest.approx(0.5 / err, rel=1e-9)
    assert second["max_weight"] == pytest.approx(1.4, abs=0.02)
    assert rows[9]["train_error"] == pytest.approx(0.017, abs=0.0005)
    assert rows[9]["test_error"] == pytest.approx(0.033, abs=0.0005)
    assert s["test_error"] == rows[9]["test_error"]
    assert s["stump_test_error"] == pytest.approx(0.40)
    assert [round(rows[m - 1]["test_error"], 3) for m in (11, 13)] == [0.233, 0.133]
    assert all(r["test_error"] == pytest.approx(0.0333, abs=0.0001) for r in rows[13:])
    assert max(r["max_weight"] for r in rows) > 10


@claim("hyperparameter-sweep")
def _(result):
    """A surface scenario, registered here beside the other hyperparameter-search lessons. The lesson's
    map is the Sweep tab's: the same axes and grid as the panel computes with `w`."""
    from tui_lab.app.surface_model import sweep_axes, sweep_axis
    from tui_lab.core.surface_run import sweep

    scenario = tui_lab.load_scenario("hyperparameter-sweep")
    run = scenario.settings.make_runs(scenario.seed)[0]
    assert sweep_axes(run.optimizer)[:2] == ["lr", "momentum"]
    lrs, betas = sweep_axis(run.optimizer, "lr", 24), sweep_axis(run.optimizer, "momentum", 12)
    loss = sweep(run, "lr", lrs, "momentum", betas, scenario.settings.steps)["final_loss"]
    assert loss.shape == (24, 12) and betas[0] == 0.0
    start = result["runs"][0]["loss"][0]
    assert start == pytest.approx(0.5 * (4.0 ** 2 + 25 * 1.5 ** 2))     # f = (x² + 25 y²) / 2 at (-4, 1.5)
    for j, beta in enumerate(betas):
        edge = 2 * (1 + beta) / 25
        assert np.all(loss[lrs < 0.8 * edge, j] < start)
        assert not np.any(loss[lrs > 1.2 * edge, j] < start)
    best = np.unravel_index(np.argmin(np.where(np.isfinite(loss), loss, np.inf)), loss.shape)
    assert lrs[best[0]] == pytest.approx(0.092, abs=0.0005) and betas[best[1]] == pytest.approx(0.54)
    assert lrs[best[0]] > 2 / 25                                            # beyond plain SGD's limit
