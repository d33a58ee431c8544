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
