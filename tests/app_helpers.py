"""Shared helpers of the app's tests: start the lab and wait for conditions (never fixed sleeps)."""

from __future__ import annotations

import time

from tui_lab.app.lab import LabApp
from tui_lab.app.surface_panel import SurfacePanel

SURFACE_ONLY = {"surface": SurfacePanel}


async def until(pilot, condition, timeout: float = 60.0) -> None:
    """Let the app run until condition() holds (fails the test after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.02)


def surface_panel(app: LabApp) -> SurfacePanel:
    return app.query_one("#panel-surface", SurfacePanel)


def steps(app: LabApp) -> list[int]:
    """Each run's step count ([] while a scenario is being reloaded)."""
    race = surface_panel(app).race
    return [] if race is None else [lane.run.t for lane in race.lanes]


async def ready(pilot) -> SurfacePanel:
    panel = surface_panel(pilot.app)
    await until(pilot, lambda: panel.race is not None)
    await pilot.pause()
    return panel


def idle(app: LabApp) -> bool:
    return not any(w.is_running for w in app.workers)


def squeeze(text: str) -> str:
    import re

    return re.sub(r"\s+", " ", text).strip()


async def lesson_steps_cut(pilot, app: LabApp, text_of) -> tuple[int, list[str]]:
    """Show every step of every shipped lesson in the lesson bar, as a student would meet it, and
    return (steps shown, the steps whose text `text_of(lesson)` is not whole on screen above the
    status line)."""
    from textual.geometry import Region
    from textual.widgets import Static, TabbedContent

    from tui_lab import load_scenario
    from tui_lab.scenario.shipped import shipped_names

    bar, status = app.query_one("#lesson", Static), app.query_one("#status", Static)
    cut, steps = [], 0
    for name in shipped_names():
        scenario = load_scenario(name)
        kind = scenario.kind
        app.scenarios[kind] = scenario            # the text's room does not depend on the panel's state
        app.query_one("#kinds", TabbedContent).active = f"tab-{kind}"
        for i, lesson in enumerate(scenario.lessons):
            app.lesson_index[kind] = i
            app._show_lesson()
            await pilot.pause()
            lines = bar.render_lines(Region(0, 0, bar.outer_size.width, bar.outer_size.height))
            shown = squeeze(" ".join(strip.text for strip in lines))
            inside = app.screen.region.contains_region(bar.region) and bar.region.bottom <= status.region.y
            if not inside or squeeze(text_of(lesson)) not in shown:
                cut.append(f"{name} step {i + 1}")
            steps += 1
    return steps, cut
