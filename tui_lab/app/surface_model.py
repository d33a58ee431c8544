"""The surface panel's state, free of widgets: a scenario dict that every edit re-validates,
and one lane (run + bounded history + colour) per optimizer.

Every edit goes through `load_scenario`, so the app accepts exactly what a scenario file
accepts and shows the same one-line errors. An edited run restarts from its start point,
so the trajectory on screen always belongs to the settings on screen, and saving the setup
reproduces it bit for bit.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field

import numpy as np

from .. import load_scenario, run_scenario
from ..core.contour import contour_levels, contour_segments, raster_points, sample_surface
from ..core.surface_run import SurfaceRun
from ..core.surfaces import SURFACES
from .canvas import RUN_COLOURS
from .forms import edited

HISTORY_CAPACITY = 4096
CONTOUR_GRID = 160
CONTOUR_LEVELS = 8


class History:
    """A run's trajectory and loss, every `stride`-th step, at most `capacity` entries.

    When full, every other entry is dropped and the stride doubles, so a million-step run
    keeps a picture of its whole course in fixed memory. The newest point is always kept.
    """

    def __init__(self, capacity: int = HISTORY_CAPACITY):
        self.capacity = capacity
        self.steps = np.empty(capacity, dtype=np.int64)
        self.xy = np.empty((capacity, 2))
        self.loss = np.empty(capacity)
        self.size = 0
        self.stride = 1
        self.last_step, self.last_xy, self.last_loss = 0, np.zeros(2), 0.0

    def extend(self, first_step: int, traj: np.ndarray, loss: np.ndarray) -> None:
        """Add points: traj[k] and loss[k] belong to step first_step + k."""
        if len(loss) == 0:
            return
        steps = first_step + np.arange(len(loss))
        self.last_step, self.last_xy, self.last_loss = int(steps[-1]), traj[-1].copy(), float(loss[-1])
        keep = steps % self.stride == 0
        steps, traj, loss = steps[keep], traj[keep], loss[keep]
        while self.size + len(steps) > self.capacity:
            self._halve()
            keep = steps % self.stride == 0
            steps, traj, loss = steps[keep], traj[keep], loss[keep]
        end = self.size + len(steps)
        self.steps[self.size:end], self.xy[self.size:end], self.loss[self.size:end] = steps, traj, loss
        self.size = end

    def _halve(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self.steps[:self.size] % self.stride == 0)
        n = len(keep)
        self.steps[:n], self.xy[:n], self.loss[:n] = self.steps[keep], self.xy[keep], self.loss[keep]
        self.size = n

    def series(self, most: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, xy, loss): at most `most` stored points, evenly thinned, the newest point last."""
        stride = max(1, -(-self.size // most))
        idx = np.arange(0, self.size, stride)
        steps, xy, loss = self.steps[idx], self.xy[idx], self.loss[idx]
        if self.size == 0 or steps[-1] != self.last_step:
            steps = np.append(steps, self.last_step)
            xy = np.vstack([xy, self.last_xy[None, :]])
            loss = np.append(loss, self.last_loss)
        return steps, xy, loss


@dataclass(eq=False)
class Lane:
    """One optimizer run as the panel shows it."""

    run: SurfaceRun
    colour: str
    key: tuple                   # what the run depends on; a lane whose key changes restarts
    history: History = field(default_factory=History)

    @property
    def label(self) -> str:
        return self.run.optimizer.label

    @property
    def style(self) -> str:
        """The run's colour as a Rich style (legend, tables)."""
        return self.colour

    def restart(self) -> None:
        self.run.reset()
        self.history = History()
        traj, loss = self.run.advance(0)
        self.history.extend(0, traj, loss)


class Race:
    """The runs of one surface scenario, advanced together under one lock (workers advance,
    the UI thread edits and draws)."""

    def __init__(self, scenario):
        self.lock = threading.RLock()
        self.lanes: list[Lane] = []
        self.contour_cache: dict = {}
        self.raw: dict = {}
        self.apply(copy.deepcopy(scenario.raw) if scenario.raw else scenario_dict(scenario))

    # --- the setup -------------------------------------------------------------------------
    def apply(self, raw: dict) -> None:
        """Validate a new setup (ScenarioError if bad) and restart the runs it changes."""
        scenario = load_scenario(raw)
        st = scenario.settings
        stochastic = st.grad_noise > 0 or st.batch_size > 0
        shared = (repr(raw.get("surface")), repr(raw.get("data")), repr(raw.get("run")), scenario.seed)
        with self.lock:
            old = list(self.lanes)
            lanes = []
            for index, run in enumerate(st.make_runs(scenario.seed)):
                opt = run.optimizer
                key = shared + (opt.name, repr(opt.hyperparams), index if stochastic else None)
                reuse = next((lane for lane in old if lane.key == key), None)
                if reuse is not None:
                    old = [lane for lane in old if lane is not reuse]
                    reuse.run.optimizer.label = opt.label
                    lanes.append(reuse)
                    continue
                used = {lane.colour for lane in lanes + old}
                colour = next((c for c in RUN_COLOURS if c not in used), RUN_COLOURS[index % len(RUN_COLOURS)])
                lane = Lane(run, colour, key)
                lane.restart()
                lanes.append(lane)
            self.lanes = lanes
            self.raw, self.scenario = raw, scenario

    def set(self, path: tuple, value) -> None:
        """One key set (value None: removed, i.e. back to its default)."""
        self.apply(edited(self.raw, path, value))

    def set_surface(self, name: str) -> None:
        """Another surface: its own parameters and start point; batches and data only where they apply."""
        raw = copy.deepcopy(self.raw)
        raw["surface"] = {"name": name}
        run = raw.setdefault("run", {})
        if not SURFACES[name].data_driven:
            raw.pop("data", None)
            run.pop("batch_size", None)
        self.apply(raw)

    def add_run(self, name: str = "adam") -> None:
        raw = copy.deepcopy(self.raw)
        entry = {"name": name}
        if needs_lr(name):
            entry["lr"] = 0.001
        raw.setdefault("optimizers", []).append(entry)
        self.apply(raw)

    def remove_run(self, index: int) -> None:
        if len(self.raw.get("optimizers", [])) <= 1:
            return                     # a race needs a runner
        raw = copy.deepcopy(self.raw)
        del raw["optimizers"][index]
        self.apply(raw)

    def set_optimizer(self, index: int, name: str) -> None:
        """Another optimizer for a run: its label and lr carry over, the rest go back to defaults."""
        raw = copy.deepcopy(self.raw)
        old = raw["optimizers"][index]
        entry = {"name": name, **{k: old[k] for k in ("label", "lr") if k in old}}
        if "lr" not in entry and needs_lr(name):
            entry["lr"] = 0.001
        raw["optimizers"][index] = entry
        self.apply(raw)

    def scale_lr(self, index: int, factor: float) -> float:
        """The run's learning rate times `factor` (3 significant digits); the run restarts."""
        lr = float(f"{self.lanes[index].run.optimizer.hyperparams['lr'] * factor:.3g}")
        self.set(("optimizers", index, "lr"), lr)
        return lr

    def step_momentum(self, index: int, direction: int) -> tuple[str, float] | None:
        """The run's momentum (or beta1) one rung up or down MOMENTUM_LADDER; None for an optimizer
        without one. The run restarts."""
        hyper = self.lanes[index].run.optimizer.hyperparams
        if "momentum" in hyper:
            name, value = "momentum", float(hyper["momentum"])
        elif "betas" in hyper:
            name, value = "beta1", float(hyper["betas"][0])
        else:
            return None
        higher = [v for v in MOMENTUM_LADDER if v > value + 1e-12]
        lower = [v for v in MOMENTUM_LADDER if v < value - 1e-12]
        new = (higher[0] if higher else value) if direction > 0 else (lower[-1] if lower else value)
        if name == "momentum":
            self.set(("optimizers", index, "momentum"), new)
        else:
            self.set(("optimizers", index, "betas"), [new, float(hyper["betas"][1])])
        return name, new

    def use_sweep_cell(self, sweep: dict, i: int, j: int) -> None:
        """A new run: the swept run's optimizer with the two swept values of cell (i, j)."""
        raw = copy.deepcopy(self.raw)
        entry = copy.deepcopy(raw["optimizers"][sweep["run_index"]])
        entry.pop("label", None)
        for axis, values, k in ((sweep["axis_a"], sweep["values_a"], i), (sweep["axis_b"], sweep["values_b"], j)):
            value = float(f"{float(values[k]):.3g}")
            if axis in ("beta1", "beta2"):
                betas = list(entry.get("betas", self.lanes[sweep["run_index"]].run.optimizer.hyperparams["betas"]))
                betas[axis == "beta2"] = value
                entry["betas"] = [float(b) for b in betas]
            else:
                entry[axis] = value
        raw["optimizers"].append(entry)
        self.apply(raw)

    @property
    def settings(self):
        return self.scenario.settings

    @property
    def surface(self):
        return self.scenario.settings.surface

    # --- running ---------------------------------------------------------------------------
    def advance(self, steps: int, limit: int | None = None) -> None:
        """Every run `steps` further (with a limit: no run past step `limit`)."""
        with self.lock:
            for lane in self.lanes:
                t0 = lane.run.t
                k = steps if limit is None else min(steps, limit - t0)
                if k > 0:
                    traj, loss = lane.run.advance(k)
                    lane.history.extend(t0 + 1, traj[1:], loss[1:])

    def restart(self, index: int | None = None) -> None:
        with self.lock:
            for i, lane in enumerate(self.lanes):
                if index is None or i == index:
                    lane.restart()

    def finished(self) -> bool:
        return all(lane.run.diverged or lane.run.t >= self.settings.steps for lane in self.lanes)

    def start_point(self) -> tuple[float, float]:
        return tuple(self.surface.start)

    # --- pictures --------------------------------------------------------------------------
    def contour_points(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Braille-dot centres of the contour lines, computed once per surface and window."""
        s = self.surface
        window = s.window()
        key = (s.name, repr(s.params), window, s.data_x.tobytes(), s.data_y.tobytes())
        if self.contour_cache.get("key") != key:
            xs, ys, z = sample_surface(s, CONTOUR_GRID, CONTOUR_GRID)
            self.contour_cache = {"key": key, "segments": contour_segments(xs, ys, z, contour_levels(z, CONTOUR_LEVELS))}
        cache = self.contour_cache
        if cache.get("size") != (width, height):
            cache["size"], cache["points"] = (width, height), raster_points(cache["segments"], window, width, height)
        return cache["points"]

    def trajectory_points(self, lane: Lane, width: int, height: int, most: int = 2000):
        """Dot centres along a run's path (deduplicated per braille dot, so long runs draw fast)."""
        _, xy, _ = lane.history.series(most)
        segments = np.column_stack([xy[:-1], xy[1:]]) if len(xy) > 1 else np.column_stack([xy, xy])
        return raster_points(segments, self.surface.window(), width, height)

    def optimum_loss(self) -> float | None:
        """The loss at the surface's best known minimum (the floor of a log-scale loss plot)."""
        minima = self.surface.minima()
        if not minima:
            return None
        return min(self.surface.value_grad(x, y)[0] for x, y in minima)

    # --- output ----------------------------------------------------------------------------
    def results(self) -> dict:
        """run_scenario's JSON layout for the runs as they stand: the setup re-run headless to the
        furthest step and each run cut at its own step (runs restart on edits, so this is exact)."""
        with self.lock:
            raw = copy.deepcopy(self.raw)
            steps_done = [lane.run.t for lane in self.lanes]
            diverged = [lane.run.diverged for lane in self.lanes]
        raw.setdefault("run", {})["steps"] = max(max(steps_done, default=0), 1)
        result = run_scenario(raw)
        for r, t, gone in zip(result["runs"], steps_done, diverged):
            r["trajectory"], r["loss"] = r["trajectory"][:t + 1], r["loss"][:t + 1]
            r["final_loss"], r["steps"] = float(r["loss"][-1]), t
            r["diverged"], r["diverged_at"] = gone, t + 1 if gone else None
        return result


DECAY_RATES = ("beta1", "beta2", "momentum", "dampening", "alpha", "rho")
MOMENTUM_LADDER = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99)     # the m / M keys' rungs


def sweep_axes(optimizer) -> list[str]:
    """The numeric hyperparameters a sweep can vary (betas as beta1 / beta2)."""
    names = []
    for h in optimizer.spec.hypers:
        if h.kind == "betas":
            names += ["beta1", "beta2"]
        elif h.kind == "number":
            names.append(h.name)
    return names


def sweep_axis(optimizer, name: str, count: int) -> np.ndarray:
    """Values to sweep a hyperparameter over: learning rates on a log scale around the current
    one; decay rates (momentum, betas, alpha, rho...) from 0 to 0.99; the rest log-spaced."""
    if name in DECAY_RATES:
        return np.linspace(0.0, 0.99, count)
    current = float(optimizer.hyperparams[name])
    if name == "lr":
        return np.geomspace(current / 100, current * 30, count)
    centre = current if current > 0 else 0.01
    return np.geomspace(centre / 100, centre * 100, count)


def needs_lr(name: str) -> bool:
    from ..core.optim import OPTIMIZERS

    return OPTIMIZERS[name].hypers[0].default is None


def scenario_dict(scenario) -> dict:
    """A scenario given as a parsed object without its source dict: rebuilt from its settings."""
    st = scenario.settings
    s = st.surface
    raw = {"title": scenario.title, "description": scenario.description, "kind": "surface", "seed": scenario.seed,
           "surface": {"name": s.name, "start": list(s.start), **s.params},
           "run": {"steps": st.steps, "l1": st.l1, "l2": st.l2, "grad_noise": st.grad_noise},
           "optimizers": [{"name": o.name, "label": o.label, **o.hyperparams} for o in st.optimizers]}
    if s.spec.data_driven:
        raw["run"]["batch_size"] = st.batch_size
        raw["data"] = {"n": int(s.data_x.shape[0])}
    if scenario.lessons:
        raw["lesson"] = [{"text": le.text, "steps": le.steps} for le in scenario.lessons]
    return raw
