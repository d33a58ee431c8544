"""The first start of the other tabs: while the warm-up compiles, Train, Validate and Conv run on
the interpreted twins of their kernels (core/kernels.py), with the very numbers of the compiled ones."""

from __future__ import annotations

import numpy as np
import pytest
from numba.core.dispatcher import Dispatcher

from tui_lab import load_scenario
from tui_lab.core import kernels
from tui_lab.core.conv import forward_loop
from tui_lab.core.train import evaluate, predict, train_epochs

from app_helpers import until


@pytest.fixture
def interpreted():
    """Kernels handed out as during a warm-up that has compiled nothing yet."""
    kernels._warming.set()
    try:
        yield
    finally:
        kernels._warming.clear()


def trainer(name: str):
    scenario = load_scenario(name)
    return scenario.settings.make_trainers(scenario.seed)[0]


@pytest.mark.parametrize("name", ["train-small-gap", "train-batchnorm", "train-dropout", "train-label-smoothing-mixup", "train-augmentation"])
def test_interpreted_training_matches_compiled_training_bit_for_bit(name):
    compiled, twin = trainer(name), trainer(name)
    compiled.advance(4)
    kernels._warming.set()
    try:
        assert kernels.kernel(train_epochs) is not train_epochs
        twin.advance(2)
    finally:
        kernels._warming.clear()
    twin.advance(2)                       # the switch-over in the middle of a run shows no seam
    np.testing.assert_array_equal(twin.params, compiled.params)
    np.testing.assert_array_equal(twin.history[:, :4], compiled.history[:, :4])
    assert twin.epoch == compiled.epoch == 4
    kernels._warming.set()
    try:
        got = (twin.evaluate(twin.val_idx), twin.predict(twin.x[:5]))
    finally:
        kernels._warming.clear()
    assert got[0] == compiled.evaluate(compiled.val_idx)
    np.testing.assert_array_equal(got[1], compiled.predict(compiled.x[:5]))


@pytest.mark.parametrize("name", ["conv-first-3x3", "conv-stride-padding", "conv-dilation", "conv-rgb-channels"])
def test_interpreted_convolution_matches_compiled_forward_and_backward(name):
    scenario = load_scenario(name)
    conv = scenario.settings.conv
    grad = scenario.settings.grad_array(scenario.seed)
    expected = (conv.forward(), *conv.backward(grad))
    kernels._warming.set()
    try:
        assert kernels.kernel(forward_loop) is not forward_loop
        got = (conv.forward(), *conv.backward(grad))
    finally:
        kernels._warming.clear()
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_interpreted_ridge_fits_match_compiled_ones():
    from tui_lab.core.ensembles import poly_features, ridge_fit_many, ridge_predict_many

    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 1, (30, 1)), rng.normal(size=30)
    idx = np.stack([rng.permutation(30)[:20] for _ in range(4)])
    expected = ridge_fit_many(x, y, idx, 5, 1e-3)
    kernels._warming.set()
    try:
        assert kernels.kernel(poly_features) is not poly_features
        got = ridge_fit_many(x, y, idx, 5, 1e-3)
        predicted = ridge_predict_many(got, x, 5)
    finally:
        kernels._warming.clear()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(predicted, ridge_predict_many(expected, x, 5))


@pytest.fixture
def nothing_compiles(monkeypatch, interpreted):
    """No kernel may compile (or load from the cache) now: what a first start's UI thread and workers
    would wait for. Kernels already compiled in this test process are not caught, so the test also
    records which interpreted twins were used."""
    used = set()
    kernel = kernels.kernel

    def recording(f):
        got = kernel(f)
        if got is not f:
            used.add(f.py_func.__name__)
        return got

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{self.py_func.__name__} compiled during the first start")

    monkeypatch.setattr(Dispatcher, "_compile_for_args", refuse)
    for module in ("tui_lab.core.train", "tui_lab.core.conv", "tui_lab.core.ensembles"):
        monkeypatch.setattr(f"{module}.kernel", recording)
    return used


async def test_every_tab_shows_content_while_no_kernel_is_compiled(nothing_compiles):
    from tui_lab.app import warm_up
    from tui_lab.app.lab import LabApp

    warm_up._started = True               # the test plays the warm-up that has not finished
    try:
        app = LabApp()
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: "surface" in app.scenarios, 30)
            app.action_show_kind("train")
            panel = app.query_one("#panel-train")
            await until(pilot, lambda: panel.lab is not None and panel.views, 30)
            await pilot.press("n")        # one epoch, interpreted
            await until(pilot, lambda: panel.lab.trainers[0].epoch >= 1, 30)

            app.action_show_kind("validate")
            validate = app.query_one("#panel-validate")
            await until(pilot, lambda: validate.state.result is not None, 30)

            app.action_show_kind("conv")
            conv = app.query_one("#panel-conv")
            await until(pilot, lambda: conv.data is not None, 30)
            assert not app.errors
    finally:
        warm_up._started = False
    assert {"train_epochs", "evaluate", "forward_loop", "grad_input_loop"} <= nothing_compiles


# --- the lab's Numba cache, keyed by the core's sources ----------------------------------------

def test_cache_key_changes_with_any_core_source(tmp_path):
    from tui_lab.app.warm_up import core_key

    core = tmp_path / "core"
    (core / "optim").mkdir(parents=True)
    (core / "models.py").write_text("x = 1\n")
    (core / "optim" / "sgd.py").write_text("y = 2\n")
    first = core_key(core)
    assert core_key(core) == first                      # stable: a warm start finds its cache
    (core / "optim" / "sgd.py").write_text("y = 3\n")
    assert core_key(core) != first                      # a change in a file a kernel calls into


def test_lab_cache_folder_is_keyed_and_old_folders_go(tmp_path, monkeypatch):
    import os
    import time

    from tui_lab.app import warm_up

    # use_keyed_cache sets os.environ itself: setenv first makes monkeypatch put the variable back
    # afterwards, so later tests (and their subprocesses) do not inherit this test's folder
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    base = tmp_path / "tui-lab" / "numba"
    old, recent = base / "0123456789abcdef", base / "fedcba9876543210"
    for folder in (old, recent):
        folder.mkdir(parents=True)
    long_ago = time.time() - warm_up.KEEP_UNUSED_S - 60
    os.utime(old, (long_ago, long_ago))
    folder = warm_up.use_keyed_cache()
    assert folder == str(base / warm_up.core_key(warm_up.CORE)) == os.environ["NUMBA_CACHE_DIR"]
    assert os.path.isdir(folder) and recent.is_dir() and not old.exists()


def test_a_cache_folder_set_by_the_user_is_kept(tmp_path, monkeypatch):
    import os

    from tui_lab.app import warm_up

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert warm_up.use_keyed_cache() is None
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path)
