"""Claims of the gradient-descent and optimizer lessons (kind surface)."""

import numpy as np
import pytest

from claims import claim, rerun, runs_by_label, step_lengths


@claim("sgd-learning-rate")
def _(result):
    runs = runs_by_label(result)
    small, good, big = runs["lr 0.02 (small)"], runs["lr 0.15 (good)"], runs["lr 0.3 (too large)"]
    assert big["diverged"] and not small["diverged"] and not good["diverged"]
    assert good["final_loss"] < small["final_loss"] < 1e-6


@claim("linreg-minibatch-noise")
def _(result):
    sgd = runs_by_label(result)["sgd"]
    assert np.mean(np.diff(sgd["loss"]) > 0) > 0.2
    full = runs_by_label(rerun("linreg-minibatch-noise", "run", batch_size=0))["sgd"]
    assert np.all(np.diff(full["loss"]) <= 0)


@claim("momentum-ravine")
def _(result):
    runs = runs_by_label(result)
    assert runs["momentum"]["final_loss"] * 5 < runs["sgd"]["final_loss"]


@claim("nag-lookahead")
def _(result):
    runs = runs_by_label(result)
    mom_x, nag_x = (np.asarray(runs[k]["trajectory"])[:, 0].max() for k in ("momentum", "nag"))
    assert mom_x > 1.5 and nag_x < mom_x
    assert runs["nag"]["final_loss"] < runs["momentum"]["final_loss"]


@claim("adagrad-shrinking-steps")
def _(result):
    lengths = step_lengths(result["runs"][0])
    assert np.all(np.diff(lengths) < 0)
    first = np.abs(np.diff(np.asarray(result["runs"][0]["trajectory"])[:2], axis=0))[0]
    assert first == pytest.approx([1.0, 1.0], rel=1e-6)   # lr times sign(g) on step one


@claim("adadelta-no-learning-rate")
def _(result):
    run = result["runs"][0]
    lengths = step_lengths(run)
    assert lengths[99] > lengths[0]
    assert run["loss"][0] > 3 * run["final_loss"]
    assert run["hyperparams"]["lr"] == 1.0


@claim("rmsprop-vs-adagrad")
def _(result):
    runs = runs_by_label(result)
    assert runs["rmsprop"]["final_loss"] * 2 < runs["adagrad"]["final_loss"]


@claim("adam-first-steps")
def _(result):
    for run in result["runs"]:
        first = np.abs(np.asarray(run["trajectory"][1]) - np.asarray(run["trajectory"][0]))
        assert first == pytest.approx([run["hyperparams"]["lr"]] * 2, rel=1e-6)


@claim("adam-family")
def _(result):
    runs = runs_by_label(result)
    x, y = result["surface"]["start"]
    beale = (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2
    assert result["runs"][0]["loss"][0] == beale == 41.25
    for run in result["runs"]:
        assert run["final_loss"] < 0.05
        assert np.hypot(*(np.asarray(run["trajectory"][-1]) - [3.0, 0.5])) < 0.5
    assert np.hypot(*runs["adamw"]["trajectory"][-1]) < np.hypot(*runs["adam"]["trajectory"][-1])


@claim("rosenbrock-race")
def _(result):
    runs = runs_by_label(result)
    start_loss = result["runs"][0]["loss"][0]
    assert all(r["loss"][50] < start_loss / 2 for r in result["runs"])      # everyone finds the valley
    assert runs["momentum"]["final_loss"] < runs["sgd"]["final_loss"] / 10   # momentum speeds along it
    assert runs["adam"]["final_loss"] < runs["sgd"]["final_loss"] / 10
    assert runs["rmsprop"]["final_loss"] < runs["adagrad"]["final_loss"]


@claim("saddle-escape")
def _(result):
    for run in result["runs"]:
        assert abs(run["trajectory"][-1][1]) > 0.5 and run["final_loss"] < 0
    for run in rerun("saddle-escape", "run", grad_noise=0.0)["runs"]:
        assert np.all(np.asarray(run["trajectory"])[:, 1] == 0.0)


@claim("rastrigin-local-minima")
def _(result):
    runs = runs_by_label(result)
    assert runs["sgd"]["final_loss"] == pytest.approx(17.9, abs=0.1)
    assert runs["momentum, small lr"]["final_loss"] == pytest.approx(17.9, abs=0.1)
    assert runs["momentum, larger lr"]["final_loss"] < 10
