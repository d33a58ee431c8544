"""SVG snapshots of the main screen at 80x24 and 120x40, taken when the surface panel is ready
and before anything runs (no timer-dependent text on screen). Only the surface panel is
registered, so other kinds' panels arriving do not change these pictures."""

from __future__ import annotations

import pytest

from app_helpers import SURFACE_ONLY, idle, ready, until
from tui_lab.app.lab import LabApp


async def settle(pilot) -> None:
    await ready(pilot)
    await until(pilot, lambda: idle(pilot.app))
    pilot.app.query_one("#panel-surface")._tick()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_main_screen(snap_compare, size):
    assert snap_compare(LabApp("rosenbrock-race", panels=SURFACE_ONLY), terminal_size=size, run_before=settle)
