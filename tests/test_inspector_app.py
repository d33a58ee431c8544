"""The Inspect step view in the lab, used as a person would: the key and the palette command,
n steps and the view follows, ← goes back, the arrows on the contour, the Train tab, 80x24."""

from __future__ import annotations

import numpy as np
from textual.widgets import Static

from app_helpers import SURFACE_ONLY, idle, ready, until
from tui_lab.app.inspector.host import StepView
from tui_lab.app.lab import LabApp
from tui_lab.app.train_panel import TrainPanel


def view_text(app) -> str:
    return str(app.query_one("#step-text", Static).render())


async def test_inspect_key_follows_steps_and_goes_back():
    app = LabApp("adam-first-steps", panels=SURFACE_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await ready(pilot)
        await pilot.press("I")
        await until(pilot, lambda: panel._inspection is not None and "m_t = β₁ m_{t-1}" in view_text(app))
        assert "not taken yet" in view_text(app)
        assert not app.query_one("#loss-plot").display and app.query_one(StepView).display
        for _ in range(3):
            await pilot.press("n")
            await until(pilot, lambda: idle(app))
        run = panel.race.lanes[panel.selected].run
        await until(pilot, lambda: panel._inspection.step is not None and panel._inspection.step.t == run.t == 3)
        await until(pilot, lambda: "step t = 3" in view_text(app))
        shown = panel._inspection.explain().value("W_next")
        assert np.array_equal(shown, run.point)            # the view's W_{t+1} is the run's point
        await pilot.press("left")
        await until(pilot, lambda: "step t = 2" in view_text(app))
        assert panel.race.start_point() == tuple(panel.race.surface.start)   # ← did not move the start
        # the contour shows the step's pieces
        figure = str(app.query_one("#race-plot").render())
        assert "Δ" in figure and "-g" in figure
        await pilot.press("I")
        await pilot.pause()
        assert app.query_one("#loss-plot").display and not app.query_one(StepView).display
        assert app.errors == []


async def test_palette_has_inspect_and_small_terminal():
    app = LabApp("adam-first-steps", panels=SURFACE_ONLY)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await ready(pilot)
        titles = [c.title for c in panel.commands()]
        assert any("Inspect" in t for t in titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Inspect")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: panel.inspector_open and "g_t = ∇f(W_t)" in view_text(app))
        assert app.query_one(StepView).size.width >= 20
        assert app.errors == []


async def inspect_one_epoch(pilot, app, parameter: str) -> TrainPanel:
    """Train one epoch on the Train tab, open the inspector and wait for the step of `parameter`."""
    panel = app.query_one("#panel-train", TrainPanel)
    await until(pilot, lambda: panel.lab is not None)
    await pilot.press("n")
    await until(pilot, lambda: idle(app))
    await pilot.press("I")
    await until(pilot, lambda: parameter in view_text(app) and "W_{t+1}" in view_text(app)
                and "step t =" in view_text(app))
    return panel


async def test_train_tab_inspects_one_named_parameter():
    app = LabApp("train-regression-optimizers", panels={"train": TrainPanel})
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await inspect_one_epoch(pilot, app, "layer 1 weight")
        await pilot.press("up")
        await until(pilot, lambda: "W[2→1]" in view_text(app) or "bias" in view_text(app))
        await pilot.press("3")                       # the Runs tab: each run's rule, as the inspector writes it
        from tui_lab.app.inspector.text import rule_lines

        def runs_text():
            return " ".join(str(w.render()) for w in app.query("#train-runs-form Static"))
        await until(pilot, lambda: all(rule in runs_text() for tr in panel.lab.trainers
                                       for rule in rule_lines(tr.optimizer)))
        assert app.errors == []


async def test_update_rules_in_help_and_runs_tab():
    """Every optimizer's rule in the course's notation: on `?`, and the selected run's on the Runs tab
    (the same text the inspector writes)."""
    from tui_lab.app.inspector.text import rule_lines
    from tui_lab.app.screens import HelpScreen
    from tui_lab.core.optim import OPTIMIZERS

    app = LabApp("adam-first-steps", panels=SURFACE_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await ready(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = str(app.screen.query_one("#help-text", Static).render())
        for name in OPTIMIZERS:
            assert f"{name}:" in help_text
        assert "m̂_t = m_t / (1 - β₁^t)" in help_text and "G_t = G_{t-1} + g_t²" in help_text
        await pilot.press("escape")
        await pilot.press("2")
        await pilot.pause(0.3)
        editor_text = " ".join(str(w.render()) for w in app.query("#run-editor Static"))
        for rule in rule_lines(panel.race.lanes[panel.selected].run.optimizer):
            assert rule in editor_text
        assert app.errors == []


async def test_random_keys_with_the_inspector_open():
    """Stepping, running, resetting, going back and forth and resizing while inspecting: no error."""
    import random

    from textual import events

    rng = random.Random(7)
    keys = ["I", "n", "space", "r", "left", "right", "up", "down", "v", "l"]
    app = LabApp("adam-family", panels=SURFACE_ONLY)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("I")
        for burst in range(6):
            await pilot.resize_terminal(*rng.choice([(80, 24), (120, 40), (60, 18)]))
            for _ in range(20):
                key = rng.choice(keys)
                event = events.Key(key, key if len(key) == 1 else None)
                event.set_sender(app)
                app._driver.send_message(event)
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        assert app.is_running and app.errors == []


def test_the_arrows_legend_is_whole_on_the_contour_title_at_every_size():
    """At 80x24 the contour plot is 46 columns wide and at 120x40 70: the legend of g, m and Δ was cut
    after '-g (d' and after '-g (downhill)'; now the contour's own key shortens first."""
    from types import SimpleNamespace

    from tui_lab.app.inspector.overlay import draw_step
    from tui_lab.app.plots import race_frame

    writer = SimpleNamespace(arrows={"gradient": np.array([1.0, 0.5]), "momentum": np.array([0.5, 0.2]),
                                     "step": np.array([-0.1, -0.1])})
    for width in (46, 70, 110):
        plot = race_frame(width, 20, (-2.0, 2.0, -1.0, 3.0), "rosenbrock: ")
        plot.key = [("equal-loss lines, ", "grey50"), ("+", "bold"), (" minimum, markers = now", "")]
        draw_step(plot, writer, np.array([0.0, 1.0]))
        title = plot.render().plain.split("\n")[0]
        assert len(title) <= width and title.rstrip().endswith("Δ step"), (width, title)
        assert " g -g" in title and " m -m" in title, (width, title)


async def test_the_whole_rule_shows_without_scrolling_at_80x24_in_a_lesson():
    """A lesson's text leaves the race row 11 lines at 80x24: the view takes the contour's place
    and writes each equation = its result, so m̂_t and W_{t+1} show without scrolling; at
    120x40 it stays beside the contour with every substituted number."""
    for size, beside in (((80, 24), False), ((120, 40), True)):
        app = LabApp("inspect-adam", panels=SURFACE_ONLY)
        async with app.run_test(size=size) as pilot:
            panel = await ready(pilot)
            await pilot.press("]", "I")
            for _ in range(8):
                await pilot.press("n")
                await until(pilot, lambda: idle(app))
            await until(pilot, lambda: "step t = 9" in view_text(app))
            await pilot.pause()
            view = app.query_one(StepView)
            text = view_text(app)
            assert "m̂_t = m_t / (1 - β₁^t)" in text and "W_{t+1} = W_t - η m̂_t / (√v̂_t + ε)" in text
            assert view.max_scroll_y == 0 and view.virtual_size.height <= view.scrollable_content_region.height
            assert app.query_one("#race-plot").display is beside
            assert ("0.9·(" in text) is beside                 # the substituted numbers where there is room
            await pilot.press("I")
            await pilot.pause()
            assert app.query_one("#race-plot").display and not view.display
            assert panel.inspector_open is False and app.errors == []


async def test_the_train_tab_rule_shows_whole_at_80x24_and_follows_a_resize():
    """Three runs' legend shares the view's column: at 80x24 the view takes the data plot's place
    too and the whole rule (down to W_{t+1}) shows without scrolling; grown to 120x40 it goes back
    beside the plot with every substituted number; a CNN run is inspected as well."""
    for name, parameter in (("train-dropout", "layer 1 weight"), ("images-filters", "conv layer 1 kernel")):
        app = LabApp(name, panels={"train": TrainPanel})
        async with app.run_test(size=(80, 24)) as pilot:
            await inspect_one_epoch(pilot, app, parameter)
            await pilot.pause()
            view = app.query_one(StepView)
            for beside in (False, True):
                text = view_text(app)
                assert "W_{t+1} = W_t" in text and view.max_scroll_y == 0, text
                assert app.query_one("#train-main").display is beside
                assert view.region.width > 70 or beside
                if not beside:
                    await pilot.resize_terminal(120, 40)
                    await until(pilot, lambda: app.query_one("#train-main").display)
                    await pilot.pause()
            assert "0.9·" in view_text(app)                      # Adam's substituted m_t where there is room
            await pilot.press("I")
            await pilot.pause()
            assert app.query_one("#train-main").display and not view.display and app.errors == []
