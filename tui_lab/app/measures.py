"""The app's figures for `tui-lab bench`: frame_ms and startup_s (registered in bench.MEASURES).

Textual and plotext are imported inside the measures, so `tui-lab bench` pays for them only
when it runs them.
"""

from __future__ import annotations

import subprocess
import sys

FRAME_SIZE = (120, 40)
FRAME_RUNS = 8

STARTUP_PROBE = """
import time
t0 = time.perf_counter()
from tui_lab.app.lab import LabApp
app = LabApp(probe=True)
app.run(headless=True, size=(120, 40))
print(app.first_frame_at - t0)
"""


def race_for_frame(steps: int):
    """Eight Adam runs (learning rates 0.005 ... 0.04) on Rosenbrock, advanced `steps` steps."""
    from .. import load_scenario
    from .surface_model import Race

    scenario = load_scenario({"title": "frame", "kind": "surface", "surface": {"name": "rosenbrock"},
                              "optimizers": [{"name": "adam", "lr": 0.005 * (i + 1)} for i in range(FRAME_RUNS)]})
    race = Race(scenario)
    race.advance(steps)
    return race


def measure_frame(quick: bool) -> tuple[dict, dict]:
    """One redraw of the contour + trajectories plot (8 runs, 120x40 cells): plotext's whole build,
    the contour cached as the app caches it (computed once per surface, window and size)."""
    from textual_plotext.plot import Plot

    from ..bench import best_time
    from .plots import draw_race

    race = race_for_frame(2_000 if quick else 20_000)
    plot = Plot()
    width, height = FRAME_SIZE

    def frame():
        draw_race(plot, race, width, height)
        plot.plotsize(width, height)
        plot.build()
    return {"frame_ms": 1000 * best_time(frame, 5 if quick else 20)}, {}


def measure_startup(quick: bool) -> tuple[dict, dict]:
    """Import of the app to its first frame (headless, fresh interpreter, best of a few)."""
    best = float("inf")
    for _ in range(1 if quick else 3):
        out = subprocess.run([sys.executable, "-c", STARTUP_PROBE], capture_output=True, text=True, timeout=120)
        if out.returncode == 0:
            best = min(best, float(out.stdout.strip().splitlines()[-1]))
    return {"startup_s": best}, {}
