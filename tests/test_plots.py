"""The lab's drawing: every plot survives data that cannot be drawn, says what it shows, keeps runs
apart, and the first start's interpreted kernels compute exactly what the compiled ones do."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.app import App

from tui_lab import load_scenario
from tui_lab.app.canvas import RUN_COLOURS, RUN_MARKERS, Plot, nice_ticks, tick_labels
from tui_lab.app.plots import (DIVERGED_STYLE, HEAT_COLOURS, LINEAR_CLIP, Curve, SafePlot, curves_figure, draw_losses,
                               draw_race, heatmap_text, legend_text, marker_of)
from tui_lab.app.surface_model import History, Race
from tui_lab.core import kernels
from tui_lab.core.contour import contour_segments, raster_points, sample_surface
from tui_lab.core.optim import OPTIMIZERS, Optimizer
from tui_lab.core.surface_run import SurfaceRun
from tui_lab.core.surfaces import SURFACES, Surface

SIZES = [(80, 24), (120, 40), (30, 8), (12, 5), (4, 4)]


def race_of(optimizers, surface="rosenbrock", **run) -> Race:
    return Race(load_scenario({"title": "t", "kind": "surface", "surface": {"name": surface},
                               "run": {"steps": 500, **run}, "optimizers": optimizers}))


def with_history(race: Race, traj: np.ndarray, loss: np.ndarray) -> None:
    for lane in race.lanes:
        lane.history = History()
        lane.history.extend(0, traj, loss)


BAD_DATA = {
    "nan": (np.array([[0.0, 1.0], [np.nan, np.nan], [0.5, 0.5]]), np.array([1.0, np.nan, 0.5])),
    "inf": (np.array([[0.0, 1.0], [np.inf, -np.inf], [1e308, 1e308]]), np.array([1.0, np.inf, 1e308])),
    "one point": (np.array([[0.0, 1.0]]), np.array([2.0])),
    "non-positive": (np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -3.0])),
    "constant": (np.array([[0.2, 0.2]] * 5), np.array([0.7] * 5)),
}


@pytest.mark.parametrize("case", list(BAD_DATA) + ["empty"])
def test_every_surface_plot_draws_bad_data_without_raising(case):
    race = race_of([{"name": "sgd", "lr": 0.001}, {"name": "adam", "lr": 0.01}])
    if case == "empty":
        for lane in race.lanes:
            lane.history = History()
    else:
        with_history(race, *BAD_DATA[case])
    for width, height in SIZES:
        race_text = draw_race(race, width, height).plain
        assert len(race_text.split("\n")) == max(height, 4)
        for log_scale in (False, True):
            text = draw_losses(race, log_scale, width, height).plain
            assert len(text.split("\n")) == max(height, 4)
        legend_text(race, width, 3)
    if case in ("empty", "non-positive"):      # nothing drawable on the log axis: a note says so
        assert "nothing to draw" in draw_losses(race, True, 80, 24).plain


def test_loss_plot_with_no_finite_value_says_so():
    race = race_of([{"name": "sgd", "lr": 0.001}])
    with_history(race, np.array([[0.0, 0.0], [np.nan, np.nan]]), np.array([np.nan, np.inf]))
    assert "nothing to draw" in draw_losses(race, False, 60, 20).plain


class LogPlot(SafePlot):
    """Draws `values` on plotext's log axis (the figure that used to crash on a second build)."""

    values = [1.0, 0.1, 0.01]

    def draw(self, plt):
        plt.plot([1, 2, 3], self.values)
        plt.yscale("log")
        return "log plot"


class LogApp(App):
    def compose(self):
        yield LogPlot()


async def test_plotext_log_plot_renders_twice_and_notes_what_it_cannot_draw():
    app = LogApp()
    async with app.run_test(size=(60, 20)) as pilot:
        plot = app.query_one(LogPlot)
        first = plot.render().plain
        assert first == plot.render().plain          # the second build starts from fresh data
        assert "log plot" in first
        plot.values = [1.0, -1.0, 0.0]               # log of non-positive values
        text = plot.render().plain
        assert "cannot draw this" in text
        await pilot.pause()


async def test_log_loss_then_lessons_then_another_scenario_does_not_crash():
    """The reported crash: l (log loss), ] ] ], then open momentum-ravine."""
    from app_helpers import SURFACE_ONLY, ready
    from tui_lab.app.lab import LabApp

    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await ready(pilot)
        await pilot.press("l")
        for _ in range(3):
            await pilot.press("]")
            await pilot.pause(0.05)
        app.load("momentum-ravine")
        await pilot.pause(0.05)
        for _ in range(50):
            await pilot.pause(0.02)
            app.query_one("#loss-plot").render()
            app.query_one("#race-plot").render()
        panel = await ready(pilot)
        assert panel.log_loss and panel.race.surface.name == "quadratic"
        assert "log" in app.query_one("#loss-plot").render().plain.split("\n")[0]
        assert app.errors == []


def test_runs_in_one_view_never_share_a_colour_or_a_marker():
    assert len(set(RUN_COLOURS)) == len(RUN_COLOURS) >= 10
    assert len(set(RUN_MARKERS)) == len(RUN_MARKERS) >= 10
    race = race_of([{"name": "adam", "lr": 0.001 * (i + 1)} for i in range(10)])
    colours = [lane.colour for lane in race.lanes]
    assert len(set(colours)) == 10 and len({marker_of(c) for c in colours}) == 10


def test_run_colours_stay_apart_as_textual_and_a_256_colour_terminal_show_them():
    """Textual maps ANSI colour names through its theme (red, bright_red, magenta, bright_magenta are one
    pink there): the run colours must still be twelve different colours on screen."""
    from rich.color import Color, ColorSystem
    from textual.app import App

    theme = App.ansi_theme_dark._default
    shown = {Color.parse(c).get_truecolor(theme) for c in RUN_COLOURS}
    assert len(shown) == len(RUN_COLOURS)
    assert len({Color.parse(c).downgrade(ColorSystem.EIGHT_BIT).number for c in RUN_COLOURS}) == len(RUN_COLOURS)
    assert len({Color.parse(c).get_truecolor(theme) for c in HEAT_COLOURS}) == len(HEAT_COLOURS)   # the sweep map's levels


def test_equal_losses_at_the_right_edge_share_one_row():
    """Seven runs at step 0 all have loss 12.5: their markers sit side by side on one row, none a row
    higher (a higher row would read as a higher loss)."""
    curves = [Curve(np.array([0.0]), np.array([12.5]), c, m) for c, m in zip(RUN_COLOURS[:7], RUN_MARKERS[:7])]
    for width, height in ((46, 12), (30, 6)):
        lines = curves_figure(curves, False, width, height, "loss").plain.split("\n")
        rows = {i for i, line in enumerate(lines) for m in RUN_MARKERS[:7] if m in line}
        assert len(rows) == 1, (width, height, lines)
        row = lines[rows.pop()]
        assert all(m in row for m in RUN_MARKERS[:7])


def test_the_clipped_axis_note_is_whole_on_a_narrow_loss_plot():
    """80x24 gives the Race loss plot about 30 columns: the cut-axis note shortens instead of losing its end."""
    x = np.arange(50.0)
    curves = [Curve(x, np.geomspace(12.5, 1.0, 50), RUN_COLOURS[0]), Curve(x, np.geomspace(12.5, 1e6, 50), RUN_COLOURS[1])]
    for width in (30, 46, 80):
        title = curves_figure(curves, False, width, 8, "loss").plain.split("\n")[0]
        assert title.rstrip().endswith("l: log)"), (width, title)


def test_a_short_axis_over_a_wide_range_still_gets_round_ticks():
    """images-mlp-vs-cnn at 80x24: a 4-row loss plot from 0.010038 to 1.498642 was labelled with those
    two raw values; it gets two round ticks instead."""
    for lo, hi in ((0.010038, 1.498642), (0.2, 1.9), (3.0, 9.9), (-0.7, 0.6)):
        ticks = nice_ticks(lo, hi, 2)
        assert len(ticks) >= 2 and all(lo <= t <= hi for t in ticks), (lo, hi, ticks)
        assert all(len(label) <= 4 for label in tick_labels(ticks)), (lo, hi, tick_labels(ticks))


def test_current_points_are_drawn_above_every_path():
    race = race_of([{"name": n, "lr": 0.002} for n in ("sgd", "momentum", "adam", "rmsprop", "nadam", "radam",
                                                        "adamax")])
    race.advance(500)
    text = draw_race(race, 120, 40).plain
    for lane in race.lanes:
        assert marker_of(lane.colour) in text, lane.label


def test_a_diverging_run_is_marked_and_does_not_flatten_the_others():
    race = race_of([{"name": "sgd", "lr": 0.01, "label": "too fast"}, {"name": "adam", "lr": 0.01}])
    race.advance(200)
    assert race.lanes[0].run.diverged and not race.lanes[1].run.diverged
    loss = draw_losses(race, False, 60, 20)
    lines = loss.plain.split("\n")
    assert "cut at" in lines[0]
    top = float(lines[1].split("┤")[0]) if "┤" in lines[1] else None
    start = race.lanes[1].history.series(10)[2][0]
    labels = [float(line.split("┤")[0]) for line in lines[1:-2] if "┤" in line]
    assert max(labels) <= LINEAR_CLIP * start and top is None or top <= LINEAR_CLIP * start
    assert "✗" in loss.plain and "✗" in draw_race(race, 80, 24).plain
    assert "diverged" in legend_text(race, 80, 3).plain


def test_run_labels_are_never_cut():
    long = "adam with a very long label lr=0.123456"
    race = race_of([{"name": "adam", "lr": 0.01, "label": long}, {"name": "sgd", "lr": 0.001}])
    for width in (24, 40, 80):
        text = legend_text(race, width, 2).plain
        assert long in text.replace("\n", "") or long in text


def test_ticks_are_round_and_there_are_at_least_two():
    for lo, hi in ((0, 2000.3), (0, 4000), (1, 1000.8), (-2, 2), (0.0913, 0.1007), (1e-3, 2.5e-3)):
        ticks = nice_ticks(lo, hi, 6)
        labels = tick_labels(ticks)
        assert len(ticks) >= 2 and all(lo - 1e-12 <= t <= hi + 1e-12 for t in ticks)
        assert all(len(label.replace("-", "").replace(".", "")) <= 5 for label in labels), labels
    assert tick_labels(nice_ticks(0, 2000.5, 5)) == ["0", "500", "1000", "1500", "2000"]
    assert tick_labels([-3.0, -2.0, -1.0], log=True) == ["1e-3", "1e-2", "1e-1"]


def test_flat_loss_curve_gets_several_y_ticks():
    race = race_of([{"name": "sgd", "lr": 1e-6}])
    race.advance(50)
    lines = draw_losses(race, False, 60, 20).plain.split("\n")
    assert sum("┤" in line for line in lines) >= 2


def test_heatmap_diverged_cells_have_their_own_colour():
    sweep = {"final_loss": np.array([[1.0, np.nan], [10.0, 1e6]]), "values_a": np.array([0.1, 0.2]),
             "values_b": np.array([0.0, 0.9]), "axis_a": "lr", "axis_b": "momentum", "steps": 10}
    text = heatmap_text(sweep, 60)
    styles = {str(span.style) for span in text.spans}
    assert DIVERGED_STYLE in styles and DIVERGED_STYLE not in HEAT_COLOURS
    assert "diverged cells: 1 of 4" in text.plain


def test_plot_note_and_marks_stay_inside_the_frame():
    plot = Plot(30, 8, (0.0, 1.0, 0.0, 1.0), title="t", note="a note longer than the plot is wide, surely")
    plot.mark(0.5, 0.5, "●", "red")
    plot.mark(5.0, 5.0, "●", "red")            # outside the window: not drawn
    lines = plot.render().plain.split("\n")
    assert len(lines) == 8 and all(len(line) <= 30 for line in lines)


# --- first start: interpreted kernels ------------------------------------------------------------

def test_interpreted_runs_match_compiled_runs_bit_for_bit():
    """Every optimizer on every surface (noise and mini-batches on linreg): the twins the lab animates
    with on a first start give the very numbers of the compiled loop, so the switch shows no seam."""
    for surface in SURFACES:
        extra = {"grad_noise": 0.1, "batch_size": 4} if surface == "linreg" else {}
        for name, spec in OPTIMIZERS.items():
            hp = {"lr": 0.001} if spec.hypers[0].default is None else {}
            compiled, twin = (SurfaceRun(Surface.build(surface), Optimizer(name, hp), **extra) for _ in range(2))
            expected = compiled.advance(60)
            kernels._warming.set()
            try:
                assert kernels.kernel(kernels_advance()) is not kernels_advance()
                got = twin.advance(60)
            finally:
                kernels._warming.clear()
            for a, b in zip(expected, got):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} on {surface}")
            assert (twin.t, twin.diverged) == (compiled.t, compiled.diverged)


def kernels_advance():
    from tui_lab.core.surface_run import advance

    return advance


def test_without_a_warm_up_kernels_are_the_compiled_ones():
    assert not kernels.warming()
    assert kernels.kernel(kernels_advance()) is kernels_advance()


def test_grid_sampled_with_numpy_matches_the_compiled_grid():
    kernels._warming.set()
    try:
        for name in SURFACES:
            surface = Surface.build(name)
            xs, ys, z = sample_surface(surface, 40, 30)
            kernels._warming.clear()
            xs2, ys2, z2 = surface.grid(40, 30)
            kernels._warming.set()
            np.testing.assert_allclose(z, z2, rtol=1e-12, atol=1e-12, err_msg=name)
    finally:
        kernels._warming.clear()


def test_contours_of_a_round_bowl_are_circles():
    """quadratic with kappa = 1: f = (x² + y²)/2, so the line of level c is the circle of radius √(2c)."""
    surface = Surface.build("quadratic", {"kappa": 1.0})
    xs, ys, z = surface.grid(121, 121, (-2.0, 2.0, -2.0, 2.0))
    levels = np.array([0.125, 0.5, 1.0])
    segs = contour_segments(xs, ys, z, levels)
    assert len(segs) > 100
    for k, c in enumerate(levels):
        ends = segs[segs[:, 4] == k]
        r = np.hypot(np.concatenate([ends[:, 0], ends[:, 2]]), np.concatenate([ends[:, 1], ends[:, 3]]))
        np.testing.assert_allclose(r, math.sqrt(2 * c), atol=2e-3)
    px, py = raster_points(segs, (-2.0, 2.0, -2.0, 2.0), 40, 40)
    assert len(px) > 40 and np.all(np.abs(px) <= 2) and np.all(np.abs(py) <= 2)


def test_curves_figure_draws_bad_values_and_keys_its_lines():
    from tui_lab.app.plots import Curve, curves_figure

    x = np.arange(1, 6)
    cases = [[], [Curve(x[:1], [0.5], "red")], [Curve(x, [np.nan] * 5, "red")],
             [Curve(x, [1.0, -1.0, 0.0, np.inf, 2.0], "red"), Curve(x, [1e300, 1e308, np.inf, 1.0, 1.0], "cyan")]]
    for curves in cases:
        for log_scale in (False, True):
            for width, height in SIZES:
                lines = curves_figure(curves, log_scale, width, height, "loss", [(" ━ train", "red")]).plain
                assert len(lines.split("\n")) == max(height, 4)
    text = curves_figure(cases[3], False, 60, 12, "loss", [(" ━ train", "red")])
    assert text.plain.startswith("loss ━ train") and "cut at" in text.plain


def test_bench_and_app_do_not_import_each_other():
    import ast
    from pathlib import Path

    import tui_lab.app

    for path in Path(tui_lab.app.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.level == 2 and node.module == "bench"), path
                assert node.module != "tui_lab.bench", path


def test_frame_figure_is_the_race_plot_at_120x40():
    from tui_lab.app.measures import FRAME_RUNS, FRAME_SIZE, measure_frame, race_for_frame

    figures, _ = measure_frame(True)
    assert 0 < figures["frame_ms"] < 1000
    race = race_for_frame(10)
    lines = draw_race(race, *FRAME_SIZE).plain.split("\n")
    assert len(race.lanes) == FRAME_RUNS and len(lines) == FRAME_SIZE[1]


def test_a_cell_of_the_race_plot_maps_back_to_its_point():
    from tui_lab.app.plots import race_point_at

    race = race_of([{"name": "adam", "lr": 0.01}])
    x0, x1, y0, y1 = race.surface.window()
    lines = draw_race(race, 80, 24).plain.split("\n")
    col = lines[1].index("┤") + 1                       # first data column, top data row
    px, py = race_point_at(race, 80, 24, col, 1)
    assert x0 < px < x0 + (x1 - x0) / 10 and y1 - (y1 - y0) / 10 < py < y1
    assert race_point_at(race, 80, 24, 0, 1) is None and race_point_at(race, 80, 24, col, 0) is None


def test_warm_up_hands_out_twins_until_its_job_has_run_the_kernel():
    import threading

    from tui_lab.core.surface_run import advance

    gate = threading.Event()

    def job():
        gate.wait(30)
        SurfaceRun(Surface.build("rosenbrock"), Optimizer("adam", {})).advance(1)

    thread = kernels.start_warm_up([job])
    try:
        assert kernels.warming() and not kernels.ready(advance)
        run = SurfaceRun(Surface.build("rosenbrock"), Optimizer("adam", {}))
        early = run.advance(5)                   # interpreted meanwhile
    finally:
        gate.set()
        thread.join(60)
    assert not kernels.warming() and kernels.ready(advance) and advance in kernels._ready
    late = SurfaceRun(Surface.build("rosenbrock"), Optimizer("adam", {})).advance(5)
    for a, b in zip(early, late):
        np.testing.assert_array_equal(a, b)


def test_plotext_plots_get_round_ticks_unless_the_drawing_set_them():
    from textual_plotext.plot import Plot as PlotextFigure

    from tui_lab.app.plots import round_ticks

    plt = PlotextFigure()
    plt.scatter([-0.99, 0.2, 0.96], [2.27, 0.1, -2.10])
    plt.yticks([-1, 1], ["low", "high"])           # the drawing's own ticks stay
    round_ticks(plt, 60, 15)
    monitor = plt._active.monitor
    assert sorted(zip(monitor.xticks[0], monitor.xlabels[0])) == [(-0.5, "-0.5"), (0.0, "0"), (0.5, "0.5")]
    assert sorted(monitor.ylabels[0]) == ["high", "low"]


def test_the_full_bench_run_is_within_the_scenario_limits():
    """`tui-lab bench` (not only --quick) measures through run_scenario, whose limits apply to it too."""
    from tui_lab.bench import measure_optimizer_steps

    ours, refs = measure_optimizer_steps(False)
    assert ours["optimizer_steps_per_s"] > 0 and refs["numpy"]["optimizer_steps_per_s"] > 0
