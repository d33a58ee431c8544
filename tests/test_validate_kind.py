"""The validate kind: scenario keys, JSON layout per method, shipped scenarios, errors, reproducibility."""

import json

import pytest

import tui_lab
from tui_lab.cli import main
from tui_lab.kinds import validate as kind
from tui_lab.output import to_json
from tui_lab.scenario.shipped import shipped_names

ROW_KEYS = {
    "kfold": {"fold", "n_train", "n_val", "val_loss"}, "loo": {"fold", "n_train", "n_val", "val_loss"},
    "timeseries": {"fold", "n_train", "n_val", "val_loss"},
    "bias_variance": {"degree", "bias2", "variance", "noise", "expected_error"},
    "capacity": {"degree", "train_loss", "val_loss"},
    "bagging": {"n_models", "train_loss", "test_loss"}, "boosting": {"n_models", "train_loss", "test_loss"},
    "bootstrap": {"replicate", "test_loss"},
    "leave_p_out": {"fold", "n_train", "n_val", "val_loss"},
    "nested": {"fold", "n_train", "n_val", "val_loss", "inner_cv_mean", "degree"},
    "search": {"trial", "grid_degree", "grid_cv", "grid_best", "random_degree", "random_cv", "random_best"},
    "adaboost": {"n_models", "alpha", "weighted_error", "train_loss", "test_loss", "train_error", "test_error"},
}
SMALL = {"kfold": {"degrees": [1, 3]}, "loo": {"degrees": [1, 3]}, "timeseries": {"k": 3},
         "bias_variance": {"degrees": [1, 3], "n_datasets": 20}, "capacity": {"degrees": [1, 3, 5]},
         "bagging": {"n_models": 5, "n_datasets": 4}, "boosting": {"n_models": 10}, "bootstrap": {"n_boot": 10},
         "leave_p_out": {"p": 1, "degrees": [1, 3]}, "nested": {"k": 3, "inner_k": 3, "degrees": [1, 3]},
         "search": {"budget": 4, "space": {"degree": [1, 5]}}, "adaboost": {"n_models": 8}}


def for_method(method: str) -> dict:
    """A small scenario of the method: adaboost classifies, with stumps and no [model]."""
    if method == "adaboost":
        return {"title": "t", "kind": "validate", "data": {"name": "moons", "n": 60, "noise": 0.2},
                "validate": {"method": method, **SMALL[method]}}
    return scenario({"method": method, **SMALL[method]})


def scenario(validate: dict, **top) -> dict:
    base = {"title": "t", "kind": "validate", "data": {"name": "sine", "n": 40, "noise": 0.2},
            "model": {"name": "poly", "degree": 3}, "validate": validate}
    base.update(top)
    return base


@pytest.mark.parametrize("method", sorted(ROW_KEYS))
def test_every_method_gives_the_spec_layout(method):
    result = tui_lab.run_scenario(for_method(method))
    assert result["method"] == method and result["kind"] == "validate"
    assert result["results"] and all(ROW_KEYS[method] <= set(row) for row in result["results"])
    assert result["summary"]
    json.loads(to_json(result))                     # strict JSON
    assert kind.summary(result)
    tables = kind.csv_tables(result)
    assert len(tables["results.csv"]) == len(result["results"]) + 1


def test_cross_validation_reports_the_choice_and_one_test_score():
    result = tui_lab.run_scenario(scenario({"method": "kfold", "k": 4, "degrees": [1, 3, 9], "l2": [0.0, 0.01]}))
    assert len(result["results"]) == 4 * 6
    assert len(result["candidates"]) == 6
    s = result["summary"]
    assert s["chosen_degree"] in (1, 3, 9) and s["chosen_l2"] in (0.0, 0.01)
    best = min(result["candidates"], key=lambda c: c["cv_mean"])
    assert (s["chosen_degree"], s["chosen_l2"]) == (best["degree"], best["l2"])
    assert s["test_loss"] > 0


def test_include_data_adds_points_and_curves():
    result = tui_lab.run_scenario(scenario({"method": "capacity", "degrees": [1, 3]}), include_data=True)
    assert set(result["data"]) == {"train", "val", "test"}
    assert len(result["curves"]["fits"]) == 2 and len(result["curves"]["grid"]) == len(result["curves"]["truth"])


def test_same_file_same_numbers_and_the_seed_matters():
    sc = scenario({"method": "bagging", "learner": "tree", "depth": 4, "n_models": 8, "n_datasets": 4})
    a, b = to_json(tui_lab.run_scenario(sc)), to_json(tui_lab.run_scenario(sc))
    assert a == b
    assert to_json(tui_lab.run_scenario({**sc, "seed": 1})) != a


def test_timeseries_tests_on_the_latest_rows():
    result = tui_lab.run_scenario(scenario({"method": "timeseries", "k": 3}), include_data=True)
    pool_x = [x[0] for part in ("train", "val") for x in result["data"][part]["x"]]
    assert max(pool_x) < min(x[0] for x in result["data"]["test"]["x"])
    assert [r["n_train"] for r in result["results"]] == sorted(r["n_train"] for r in result["results"])


@pytest.mark.parametrize("validate,model,data,message", [
    ({"method": "kfold", "n_boot": 5}, None, None, "validate.n_boot: not used by method kfold"),
    ({"method": "kfold", "kk": 5}, None, None, 'validate.kk: unknown key (did you mean "k"?)'),
    ({"method": "crossval"}, None, None, "validate.method: expected a validation method"),
    ({"method": "kfold", "k": 1}, None, None, "validate.k: expected an integer in [2, 32]"),
    ({"method": "capacity", "degrees": [1, 2.5]}, None, None, "validate.degrees: expected a list of polynomial"),
    ({"method": "boosting", "learner": "stump", "depth": 2}, None, None, 'only learner = "tree" has a depth'),
    ({"method": "boosting", "learning_rate": 0.0}, None, None, "validate.learning_rate: expected a number in (0, 1]"),
    ({"method": "capacity"}, {"name": "logistic"}, {"name": "moons"}, "capacity sweeps a complexity"),
    ({"method": "boosting"}, {"name": "logistic"}, {"name": "moons"}, "boosting works on squared error"),
    ({"method": "capacity", "degrees": [1, 3]}, {"name": "mlp"}, None, "validate.degrees: a sweep over polynomial"),
    ({"method": "capacity", "widths": [1, 3]}, None, None, "validate.widths: a sweep over hidden-layer widths"),
    ({"method": "kfold", "l2": 0.1}, {"name": "mlp"}, None, "validate.l2: the closed-form ridge penalty"),
])
def test_bad_input_is_one_line_naming_the_key(validate, model, data, message, tmp_path, capsys):
    sc = scenario(validate)
    if model:
        sc["model"] = model
    if data:
        sc["data"] = data
    with pytest.raises(tui_lab.ScenarioError) as err:
        tui_lab.load_scenario(sc)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_cli_exit_code_2_on_bad_validate_table(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('title = "x"\nkind = "validate"\n[data]\nname = "sine"\n[model]\nname = "poly"\n'
                    '[validate]\nmethod = "loo"\nk = 3\n')
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "validate.k: not used by method loo" in err


VALIDATE_SCENARIOS = [n for n in shipped_names() if n.startswith("validate-")]


def test_at_least_one_shipped_scenario_per_method():
    methods = {tui_lab.load_scenario(n).settings.method for n in VALIDATE_SCENARIOS}
    assert methods == set(ROW_KEYS)


@pytest.mark.parametrize("name", VALIDATE_SCENARIOS)
def test_shipped_scenarios_run_and_have_lessons(name):
    sc = tui_lab.load_scenario(name)
    assert sc.lessons and sc.description
    result = tui_lab.run_scenario(sc)
    assert sum(lesson.steps for lesson in sc.lessons) <= len(result["results"])


TRAINED = {"train": {"epochs": 30}, "optimizers": [{"name": "adam", "lr": 0.05}]}


def test_classification_with_a_trained_model_scores_cross_entropy():
    sc = scenario({"method": "kfold", "k": 3}, data={"name": "moons", "n": 60, "noise": 0.1},
                  model={"name": "logistic"}, **TRAINED)
    result = tui_lab.run_scenario(sc)
    assert len(result["results"]) == 3
    assert 0.1 < result["summary"]["val_loss_mean"] < 1.5          # cross-entropy of a linear boundary on moons
    assert result["setup"]["train"]["optimizer"] == "adam"


def test_mlp_width_sweep():
    sc = scenario({"method": "capacity", "widths": [1, 8]}, model={"name": "mlp", "hidden": [4]}, **TRAINED)
    rows = tui_lab.run_scenario(sc)["results"]
    assert [r["width"] for r in rows] == [1, 8]


def test_trained_models_need_one_optimizer():
    sc = scenario({"method": "kfold"}, model={"name": "mlp"}, train={"epochs": 5},
                  optimizers=[{"name": "adam"}, {"name": "sgd", "lr": 0.1}])
    with pytest.raises(tui_lab.ScenarioError, match="optimizers: validate trains with one optimizer"):
        tui_lab.load_scenario(sc)
