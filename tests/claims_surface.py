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
    assert np.sum(np.diff(sgd["loss"]) > 0) == 167 and len(sgd["loss"]) == 401
    full = runs_by_label(rerun("linreg-minibatch-noise", "run", batch_size=0))
    rises = {name: int(np.sum(np.diff(run["loss"]) > 0)) for name, run in full.items()}
    assert rises == {"sgd": 0, "momentum": 67, "adam": 48}


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
    # The course's look-ahead form, run by hand: torch's iterate is its look-ahead point W_t + mu v_t.
    lr, mu, kappa = runs["nag"]["hyperparams"]["lr"], runs["nag"]["hyperparams"]["momentum"], 10.0
    w, v = np.asarray(result["surface"]["start"], dtype=float), np.zeros(2)
    ahead, course = [w.copy()], [w.copy()]
    for _ in range(len(runs["nag"]["trajectory"]) - 1):
        look = w + mu * v
        v = mu * v - lr * look * np.array([1.0, kappa])      # the gradient of 0.5 (x^2 + kappa y^2) at look
        w = w + v
        ahead.append(w + mu * v)
        course.append(w.copy())
    assert np.allclose(runs["nag"]["trajectory"], ahead, rtol=1e-9, atol=1e-12)
    assert np.max(np.linalg.norm(np.asarray(course) - np.asarray(ahead), axis=1)) > 0.1     # not the same path


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
    x, y = result["surface"]["start"]
    gx, gy = -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)       # Rosenbrock a = 1, b = 100
    assert (gx, gy) == (-155.0, -50.0) and round(gx / gy, 1) == 3.1


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



# --- lessons read in the Inspect step view (the numbers its recorded steps show) ---------------

def inspected(name, t, run_index=0):
    """{line key: value} of step t of a shipped scenario's run, as the Inspect step view shows it,
    and W_t."""
    import tui_lab
    from tui_lab.core.step_inspector import SurfaceInspection

    scenario = tui_lab.load_scenario(name)
    inspection = SurfaceInspection(scenario.settings.make_runs(scenario.seed)[run_index], history=t)
    inspection.follow(t)
    assert inspection.step.t == t
    values = {line.key: line.value for line in inspection.explain().lines if line.value is not None}
    return values, inspection.step.w


def approx(values, rel=5e-3):
    return pytest.approx(np.asarray(values, dtype=float), rel=rel)


@claim("inspect-momentum")
def _(result):
    one, w1 = inspected("inspect-momentum", 1)
    assert np.array_equal(one["a"], one["g"]) and one["g"] == approx([-4, 10], 1e-12)
    assert one["W_next"] - w1 == approx([0.2, -0.5], 1e-9)
    two, _ = inspected("inspect-momentum", 2)
    assert two["g"] == approx([-3.8, 5]) and two["a"] == approx([-7.4, 14])
    assert two["a"] / two["g"] == pytest.approx([1.9, 2.8], abs=0.05)
    fifteen, _ = inspected("inspect-momentum", 15)
    assert fifteen["g"] == approx([1.91, -1.58]) and fifteen["a"] == approx([1.86, -7.04])
    assert fifteen["a"][1] / fifteen["g"][1] == pytest.approx(4.5, abs=0.05)
    y = np.asarray(result["runs"][0]["trajectory"])[:40, 1]
    assert np.sum(np.diff(np.sign(y)) != 0) >= 3          # the zigzag across the valley floor


@claim("inspect-adagrad")
def _(result):
    one, w1 = inspected("inspect-adagrad", 1)
    assert one["g"] == approx([-155, -50], 1e-12) and one["G"] == approx([24025, 2500], 1e-12)
    assert one["W_next"] - w1 == approx([0.5, 0.5], 1e-9)
    fifty, w50 = inspected("inspect-adagrad", 50)
    assert fifty["G"] == approx([402941, 95321], 1e-5)
    assert 0.5 / np.sqrt(fifty["G"]) == approx([0.00079, 0.0016], 2e-2)
    assert 0.5 / np.sqrt(one["G"]) == approx([0.0032, 0.01], 1e-2)
    assert fifty["W_next"] - w50 == approx([0.00079, -0.0022], 2e-2)


@claim("inspect-adadelta")
def _(result):
    one, w1 = inspected("inspect-adadelta", 1)
    assert one["g"] == approx([-155, -50], 1e-12)
    assert one["dW"] == approx([-np.sqrt(1e-6 / 0.1)] * 2, 1e-6) and one["dW"] == approx([-0.00316] * 2, 1e-3)
    assert one["W_next"] - w1 == approx([0.00316] * 2, 1e-3)
    last, _ = inspected("inspect-adadelta", 100)
    assert last["dW"] == approx([-0.00059, 0.00164], 1e-2)
    assert result["runs"][0]["hyperparams"]["lr"] == 1.0


@claim("inspect-rmsprop")
def _(result):
    one, w1 = inspected("inspect-rmsprop", 1)
    assert one["G"] == approx([240.25, 25], 1e-12) and one["g"] / np.sqrt(one["G"]) == approx([-10, -10], 1e-12)
    assert one["W_next"] - w1 == approx([0.1, 0.1], 1e-8)
    last, w100 = inspected("inspect-rmsprop", 100)
    assert last["G"] == approx([112.3, 13.3], 3e-3)
    assert last["W_next"] - w100 == approx([0.0013, -0.0034], 3e-2)


@claim("inspect-adam")
def _(result):
    import tui_lab

    one, w1 = inspected("inspect-adam", 1)
    assert one["m_hat"] == approx([-155, -50], 1e-12) and one["v_hat"] == approx([155 ** 2, 50 ** 2], 1e-12)
    assert one["m_hat"] / np.sqrt(one["v_hat"]) == approx([-1, -1], 1e-12)
    assert one["W_next"] - w1 == approx([0.1, 0.1], 1e-8)
    for start in ([0.5, -1.0], [2.0, 3.0]):      # whatever the gradient: every start's step 1 is (±η, ±η)
        r = tui_lab.run_scenario({"title": "t", "kind": "surface", "surface": {"name": "rosenbrock", "start": start},
                                  "run": {"steps": 1}, "optimizers": [{"name": "adam", "lr": 0.1}]})
        assert np.abs(np.diff(np.asarray(r["runs"][0]["trajectory"]), axis=0)) == approx([[0.1, 0.1]], 1e-8)
    two, _ = inspected("inspect-adam", 2)
    assert np.all(np.sign(two["g"]) == -np.sign(one["g"]))           # the gradient changed sign
    ten, w10 = inspected("inspect-adam", 10)
    ratio = ten["m_hat"] / np.sqrt(ten["v_hat"])
    assert ratio == approx([-0.184, -0.109], 3e-3)
    assert np.all(np.sign(ten["m_hat"]) == -np.sign(ten["g"]))        # the old direction kept
    assert ten["W_next"] - w10 == approx([0.018, 0.011], 3e-2)


@claim("inspect-adamax")
def _(result):
    one, w1 = inspected("inspect-adamax", 1)
    assert one["u"] == approx([155, 50], 1e-9) and one["W_next"] - w1 == approx([0.1, 0.1], 1e-8)
    thirty, w30 = inspected("inspect-adamax", 30)
    assert thirty["u"] == approx(0.999 ** 29 * (np.array([155, 50]) + 1e-8), 1e-9)
    assert thirty["u"] == approx([150.6, 48.6], 1e-3) and thirty["g"] == approx([18.4, 8.3], 5e-3)
    assert thirty["W_next"] - w30 == approx([-0.00031, -0.0041], 2e-2)


@claim("inspect-nadam")
def _(result):
    one, w1 = inspected("inspect-nadam", 1)
    assert one["mu"] == pytest.approx(0.450, abs=5e-4)
    assert one["W_next"] - w1 == approx([0.1056, 0.1056], 1e-3)
    two, w2 = inspected("inspect-nadam", 2)
    assert two["prod"] == pytest.approx(0.2026, abs=5e-5)
    assert two["W_next"] - w2 == approx([-0.045, -0.051], 2e-2)
    adam_two, adam_w2 = inspected("inspect-adam", 2)
    assert adam_two["W_next"] - adam_w2 == approx([0.029, 0.022], 3e-2)


@claim("inspect-radam")
def _(result):
    for t in range(1, 6):
        values, _ = inspected("inspect-radam", t)
        assert values["rho"] <= 5 and "r" not in values
    one, w1 = inspected("inspect-radam", 1)
    assert one["W_next"] - w1 == approx([0.155, 0.05], 1e-9)
    six, _ = inspected("inspect-radam", 6)
    eight, _ = inspected("inspect-radam", 8)
    assert six["rho"] == pytest.approx(5.99, abs=0.005) and six["r"] == pytest.approx(0.026, abs=5e-4)
    assert eight["r"] == pytest.approx(0.039, abs=5e-4)


@claim("inspect-adamp")
def _(result):
    adamp, w1 = inspected("inspect-adamp", 1, run_index=0)
    adam, _ = inspected("inspect-adamp", 1, run_index=1)
    assert adamp["g"] == approx([2, -2.04], 1e-12) and adamp["cos"] == pytest.approx(0.0198, abs=5e-5)
    assert 0.1 / np.sqrt(2) == pytest.approx(0.0707, abs=5e-5) and "d_proj" in adamp
    step, adam_step = adamp["W_next"] - w1, adam["W_next"] - w1
    assert step == approx([-0.0101, 0.0099], 5e-3) and abs(step @ w1) < 1e-10
    grow = np.linalg.norm(adamp["W_next"]) - np.linalg.norm(w1)
    adam_grow = np.linalg.norm(adam["W_next"]) - np.linalg.norm(w1)
    assert grow == pytest.approx(0.00007, abs=5e-6) and adam_grow == pytest.approx(0.00021, abs=5e-6)
    assert adam_step == approx([-0.01, 0.01], 1e-6) and adam_grow / grow == pytest.approx(3.0, abs=0.05)


@claim("noise-escapes-local-minimum")
def _(result):
    ends = np.array([run["trajectory"][-1] for run in result["runs"]])
    assert len(ends) == 6 and np.all((ends < 0).sum(axis=1) >= 1)
    assert int(np.sum(np.all(ends < 0, axis=1))) == 3
    quiet = rerun("noise-escapes-local-minimum", "run", grad_noise=0.0)
    for run in quiet["runs"]:
        assert np.allclose(run["trajectory"], [2.7468, 2.7468], atol=1e-3) and round(run["final_loss"], 1) == -50.1
