"""SVG snapshots of every top tab (Surface, Train, Validate, Conv) at 80x24 and 120x40, each on a
course scenario of its kind, taken when the panel has loaded and before anything runs (no
timer-dependent text on screen). Only that kind's panel is registered, so the picture does not
depend on other panels loading in the background. Update deliberately:
`pytest tests/test_app_snapshots.py --snapshot-update`, then look at the new SVGs."""

from __future__ import annotations

import pytest

from app_helpers import idle, until
from tui_lab.app.conv_panel import ConvPanel
from tui_lab.app.lab import LabApp
from tui_lab.app.surface_panel import SurfacePanel
from tui_lab.app.train_panel import TrainPanel
from tui_lab.app.validate_panel import ValidatePanel

TABS = {
    "surface": (SurfacePanel, "rosenbrock-race", lambda p: p.race is not None),
    "train": (TrainPanel, "train-batch-modes", lambda p: p.lab is not None and bool(p.views)),
    "validate": (ValidatePanel, "validate-kfold", lambda p: p.outcome is not None),
    "conv": (ConvPanel, "conv-first-3x3", lambda p: p.stepper is not None),
}


def settle_on(kind: str):
    loaded = TABS[kind][2]

    async def settle(pilot) -> None:
        panel = pilot.app.query_one(f"#panel-{kind}")
        await until(pilot, lambda: loaded(panel) and idle(pilot.app))
        await pilot.pause()
        if hasattr(panel, "_tick"):
            panel._tick()                   # the redraw timer's work, now rather than at its next tick
        await pilot.pause()
    return settle


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("kind", list(TABS))
def test_tab(snap_compare, kind, size):
    panel_class, scenario, _ = TABS[kind]
    app = LabApp(scenario, panels={kind: panel_class})
    assert snap_compare(app, terminal_size=size, run_before=settle_on(kind))
