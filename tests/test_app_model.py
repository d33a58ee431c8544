"""The surface panel's model (no widgets): bounded history, exact results, edits, contours."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_lab import ScenarioError, load_scenario, run_scenario
from tui_lab.app.forms import parse_value
from tui_lab.app.surface_model import History, Race, sweep_axes, sweep_axis
from tui_lab.core.contour import contour_levels, contour_segments, raster_points

RACE = {"title": "t", "kind": "surface", "seed": 3, "surface": {"name": "rosenbrock"}, "run": {"steps": 120},
        "optimizers": [{"name": "sgd", "lr": 5e-4, "momentum": 0.9}, {"name": "adam", "lr": 0.05}]}


def test_history_stays_bounded_over_a_million_steps():
    h = History(capacity=512)
    chunk = 10_000
    for start in range(1, 1_000_001, chunk):
        steps = np.arange(start, start + chunk)
        h.extend(start, np.column_stack([steps, -steps]).astype(float), steps.astype(float))
    assert h.size <= 512 and h.xy.shape == (512, 2)
    assert h.last_step == 1_000_000 and h.last_loss == 1_000_000.0
    stored = h.steps[:h.size]
    assert np.all(stored % h.stride == 0) and np.all(np.diff(stored) == h.stride)   # evenly thinned
    steps, xy, loss = h.series(100)
    assert len(steps) <= 101 and steps[-1] == 1_000_000 and xy[-1, 1] == -1_000_000


def test_chunked_race_matches_the_headless_run_bit_for_bit():
    race = Race(load_scenario(RACE))
    for chunk in (1, 7, 50, 62):
        race.advance(chunk)
    ours = race.results()
    ref = run_scenario(RACE)
    for a, b in zip(ours["runs"], ref["runs"]):
        assert a["steps"] == 120
        np.testing.assert_array_equal(a["trajectory"], b["trajectory"])
        np.testing.assert_array_equal(a["loss"], b["loss"])
        assert race.lanes[0].history.last_loss == ref["runs"][0]["loss"][-1]


def test_an_edit_restarts_only_the_edited_run_and_bad_values_keep_the_setup():
    race = Race(load_scenario(RACE))
    race.advance(40)
    race.set(("optimizers", 1, "lr"), 0.01)
    assert [lane.run.t for lane in race.lanes] == [40, 0]
    assert race.lanes[1].run.optimizer.hyperparams["lr"] == 0.01
    with pytest.raises(ScenarioError, match=r"optimizers\[0\]\.lr"):
        race.set(("optimizers", 0, "lr"), "fast")
    assert race.raw["optimizers"][0]["lr"] == 5e-4 and race.lanes[0].run.t == 40
    race.add_run("rmsprop")
    assert len(race.lanes) == 3 and race.lanes[2].colour not in {lane.colour for lane in race.lanes[:2]}
    race.remove_run(0)
    assert [lane.label for lane in race.lanes] == ["adam", "rmsprop"]


def test_surface_change_drops_batches_and_the_limit_stops_runs():
    race = Race(load_scenario({**RACE, "surface": {"name": "linreg"}, "run": {"steps": 30, "batch_size": 8}}))
    race.set_surface("booth")
    assert race.surface.name == "booth" and "batch_size" not in race.raw["run"]
    race.advance(100, limit=30)
    assert race.finished() and all(lane.run.t == 30 for lane in race.lanes)


def test_diverged_run_is_cut_and_marked_in_results():
    race = Race(load_scenario({**RACE, "optimizers": [{"name": "sgd", "lr": 1.0}]}))
    race.advance(50)
    lane = race.lanes[0]
    assert lane.run.diverged and math.isfinite(lane.history.last_loss)
    result = race.results()["runs"][0]
    assert result["diverged"] and result["diverged_at"] == lane.run.t + 1
    assert np.isfinite(np.asarray(result["loss"])).all()


def test_marching_squares_traces_circles_on_a_bowl():
    xs = ys = np.linspace(-2, 2, 81)
    z = xs[None, :] ** 2 + ys[:, None] ** 2
    levels = np.array([0.5, 1.0, 2.0])
    segs = contour_segments(xs, ys, z, levels)
    radius = np.sqrt(levels[segs[:, 4].astype(int)])
    for ends in (segs[:, 0:2], segs[:, 2:4]):      # every end point lies on its level's circle
        np.testing.assert_allclose(np.hypot(ends[:, 0], ends[:, 1]), radius, atol=2e-3)
    px, py = raster_points(segs, (-2, 2, -2, 2), 40, 40)
    r = np.hypot(px, py)
    cell = 4 / 40
    assert len(px) > 100 and np.all(np.min(np.abs(r[:, None] - np.sqrt(levels)[None, :]), axis=1) < cell)


def test_contour_levels_spread_over_the_values():
    z = np.geomspace(1e-3, 1e6, 10_000).reshape(100, 100)
    levels = contour_levels(z, 8)
    assert np.all(np.diff(levels) > 0) and levels[0] >= z.min() and levels[-1] <= z.max()


def test_parse_value_and_sweep_axes():
    assert parse_value("0.9, 0.999") == [0.9, 0.999]
    assert parse_value("true") is True and parse_value("12") == 12 and parse_value("1e-3") == 0.001
    assert parse_value("fast") == "fast"
    race = Race(load_scenario(RACE))
    adam = race.lanes[1].run.optimizer
    assert sweep_axes(adam)[:3] == ["lr", "beta1", "beta2"]
    lrs = sweep_axis(adam, "lr", 9)
    assert lrs[0] < 0.05 < lrs[-1] and np.allclose(np.diff(np.log(lrs)), np.log(lrs[1] / lrs[0]))
    assert sweep_axis(adam, "beta1", 5)[-1] == 0.99


def test_every_shipped_surface_scenario_draws():
    from tui_lab.app.plots import draw_losses, draw_race
    from tui_lab.scenario.shipped import shipped_names

    drawn = 0
    for name in shipped_names():
        scenario = load_scenario(name)
        if scenario.kind != "surface":
            continue
        race = Race(scenario)
        race.advance(min(scenario.settings.steps, 300))
        for log_scale in (False, True):
            lines = draw_race(race, 80, 24).plain.split("\n")
            assert len(lines) == 24 and "└" in lines[-2] and race.surface.name in lines[0]
            lines = draw_losses(race, log_scale, 40, 12).plain.split("\n")
            assert len(lines) == 12 and "└" in lines[-2] and lines[0].startswith("loss")
        drawn += 1
    assert drawn >= 1


def test_raster_clips_a_diverging_segment_to_the_window():
    segs = np.array([[0.5, 0.5, 1e300, 1e300], [0.0, 0.0, np.inf, 0.0], [5.0, 5.0, 6.0, 6.0]])
    px, py = raster_points(segs, (0.0, 1.0, 0.0, 1.0), 10, 10)
    assert len(px) == 5                      # the diagonal from the centre to the corner, nothing else
    np.testing.assert_allclose(px, py)
    assert px.min() == 0.55 and px.max() == 0.95
