"""The memory estimate is an upper bound of what a run really takes, measured in a fresh process
(peak resident size while running and writing the JSON, over the level after a warm-up run), and
the largest sizes the loader accepts stay within the 1 GiB limit."""

import json
import subprocess
import sys

import pytest

from tui_lab import ScenarioError, load_scenario
from tui_lab.limits import MAX_STEPS, MEMORY_LIMIT, estimate

PROBE = """
import json, resource, sys
import tui_lab
from tui_lab.limits import estimate
from tui_lab.output import to_json

big, small = json.loads(sys.stdin.read())
scenario = tui_lab.load_scenario(big)
need = estimate(scenario.kind, scenario.settings)[0]
to_json(tui_lab.run_scenario(small))      # imports and compiled kernels: not part of the run's memory
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
text = to_json(tui_lab.run_scenario(scenario))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"need": need, "grew": peak - base, "chars": len(text)}))
"""


def surface(steps, optimizers=1):
    return {"title": "m", "kind": "surface", "surface": {"name": "quadratic"}, "run": {"steps": steps},
            "optimizers": [{"name": "adam", "lr": 0.01}] * optimizers}


def train(epochs, l2):
    return {"title": "m", "kind": "train", "data": {"name": "moons", "n": 400}, "model": {"name": "mlp",
            "hidden": [16]}, "train": {"epochs": epochs}, "regularize": {"l2": l2},
            "optimizers": [{"name": "sgd", "lr": 0.1}]}


def bagging(n, models, datasets):
    return {"title": "m", "kind": "validate", "data": {"name": "sine", "n": n}, "model": {"name": "poly"},
            "validate": {"method": "bagging", "learner": "tree", "depth": 8, "n_models": models,
                         "n_datasets": datasets}}


CASES = {
    "surface, the most steps": (surface(MAX_STEPS), surface(20)),
    "train, long curves": (train(4000, [0.0, 0.001, 0.01, 0.1]), train(2, [0.0, 0.1])),
    "validate, bagging": (bagging(2000, 60, 10), bagging(50, 3, 2)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_estimate_bounds_the_measured_peak(case):
    small = CASES[case][1]
    # A first process fills Numba's cache: compiling takes far more memory than any run, and a
    # measuring process that compiled would see its peak before the run starts.
    warm = subprocess.run([sys.executable, "-c", PROBE], input=json.dumps((small, small)), capture_output=True,
                          text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr[-3000:]
    proc = subprocess.run([sys.executable, "-c", PROBE], input=json.dumps(CASES[case]), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(proc.stdout)
    assert figures["need"] <= MEMORY_LIMIT
    assert figures["grew"] <= figures["need"], figures
    if case.startswith("surface"):    # the estimate is close where the results dominate, not just safe
        assert figures["grew"] >= figures["need"] / 4, figures


@pytest.mark.parametrize("make,knob,accepted,refused", [
    (lambda v: surface(v, 2), "run.steps", MAX_STEPS, None),
    (lambda v: surface(MAX_STEPS, v), "run.steps", 2, 3),
    (lambda v: train(100_000, [0.1] * v), "train.epochs", 12, 20),
    (lambda v: bagging(20_000, 500, v), "validate.n_datasets", 2, 30),
])
def test_largest_accepted_sizes_stay_under_the_limit(make, knob, accepted, refused):
    scenario = load_scenario(make(accepted))
    assert estimate(scenario.kind, scenario.settings)[0] <= MEMORY_LIMIT
    if refused is not None:
        with pytest.raises(ScenarioError, match=f"{knob}: needs about .* GiB of memory"):
            load_scenario(make(refused))
