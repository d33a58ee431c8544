"""The app's figures for `tui-lab bench`: frame_ms, startup_s and first_draw_s (registered in bench.MEASURES).

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
from tui_lab.app.plots import BraillePlot
from tui_lab.app.warm_up import warm_up
warm_up()
app = LabApp()
drawn = []
found = []

def check():   # finds the race plot once: a DOM search every 10 ms would slow the start it measures
    if not found:
        found.extend(p for p in app.query(BraillePlot) if p.id == "race-plot")
    if found and found[0].drawn_at is not None:
        drawn.append(found[0].drawn_at)
        app.exit()

app.call_later(lambda: app.set_interval(0.01, check))
app.run(headless=True, size=(120, 40))
print(app.first_frame_at - t0, drawn[0] - t0)
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
    """One redraw of the contour + trajectories plot (8 runs, 120x40 cells): everything from the
    runs' stored paths to the finished Rich Text the widget shows (paths rasterised, layers composed,
    axes and labels), with the contour layer cached as the app caches it (once per surface, window
    and size)."""
    from ..timing import best_time
    from .plots import draw_race

    race = race_for_frame(2_000 if quick else 20_000)
    width, height = FRAME_SIZE
    return {"frame_ms": 1000 * best_time(lambda: draw_race(race, width, height), 5 if quick else 20)}, {}


def measure_startup(quick: bool) -> tuple[dict, dict]:
    """From the start of a fresh interpreter (imports included) to the lab's first frame
    (`startup_s`) and to the first frame that shows the race's contour and runs (`first_draw_s`),
    headless at 120x40, best of a few; the Numba cache is whatever this install has."""
    best = [float("inf"), float("inf")]
    for _ in range(1 if quick else 3):
        out = subprocess.run([sys.executable, "-c", STARTUP_PROBE], capture_output=True, text=True, timeout=120)
        if out.returncode == 0:
            times = [float(v) for v in out.stdout.strip().splitlines()[-1].split()]
            best = [min(b, t) for b, t in zip(best, times)]
    return {"startup_s": best[0], "first_draw_s": best[1]}, {}
