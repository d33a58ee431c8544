"""The memory estimate is an upper bound of what a run really takes, measured in fresh processes
(the peak of what the run and its JSON allocate, traced after a tiny run has loaded the kernels),
and the largest sizes the loader accepts stay within the 1 GiB limit."""

import json
import os
import subprocess
import sys

import pytest

from tui_lab import ScenarioError, load_scenario
from tui_lab.limits import MAX_STEPS, MEMORY_LIMIT, estimate

PROBE = """
import json, sys, tracemalloc
import tui_lab
from tui_lab.limits import estimate
from tui_lab.output import to_json

big, small = (tui_lab.load_scenario(s) for s in json.loads(sys.stdin.read()))
need = estimate(big.kind, big.settings)[0]
to_json(tui_lab.run_scenario(small))      # imports and compiled kernels: not part of the run's memory
tracemalloc.start()                       # NumPy's and Python's allocations, not the compiler's
text = to_json(tui_lab.run_scenario(big))
grew = tracemalloc.get_traced_memory()[1]
print(json.dumps({"need": need, "grew": grew, "chars": len(text)}))
"""


def clean_env(cache: str) -> dict:
    """The environment of a measured process: the machine's essentials only, so nothing another test
    left set (a cache folder, a kernel switch) changes what the process does before its run."""
    kept = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR") or k.startswith("OPENBLAS")}
    return {**kept, "NUMBA_CACHE_DIR": cache}


def peak_of(scenarios: list, cache: str) -> dict:
    """Peak allocation of a fresh process that runs and writes the JSON of the big scenario, with
    its compiled kernels in `cache` (a folder of this test's own: other tests may point the suite's
    NUMBA_CACHE_DIR elsewhere)."""
    proc = subprocess.run([sys.executable, "-c", PROBE], input=json.dumps(scenarios), capture_output=True,
                          text=True, timeout=600, env=clean_env(cache))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


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


@pytest.fixture(scope="module")
def kernel_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("numba-cache"))


@pytest.mark.parametrize("case", list(CASES))
def test_estimate_bounds_the_measured_peak(case, kernel_cache):
    big, small = CASES[case]
    # The run's memory is the peak of what it allocates after a tiny run has loaded (or compiled) the
    # kernels: traced allocations, so a compile's peak never hides or inflates it.
    figures = peak_of([big, small], kernel_cache)
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
