"""kind = "surface": an optimizer race on a 2-D loss surface."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import progress
from ..core.optim import Optimizer
from ..core.surface_run import SurfaceRun
from ..core.surfaces import LINREG_DATA_DEFAULTS, SURFACES, Surface
from ..i18n import tr
from ..limits import MAX_COORDINATE, MAX_NOISE, MAX_PENALTY, MAX_POINTS, MAX_STEPS
from ..output import table
from ..scenario.fields import Section
from ..scenario.optimizers import parse_optimizers


@dataclass
class SurfaceSettings:
    surface: Surface
    optimizers: list[Optimizer]
    steps: int = 200
    l1: float = 0.0
    l2: float = 0.0
    grad_noise: float = 0.0
    batch_size: int = 0

    def make_runs(self, seed: int) -> list[SurfaceRun]:
        return [SurfaceRun(self.surface, opt, i, seed, self.l1, self.l2, self.grad_noise, self.batch_size)
                for i, opt in enumerate(self.optimizers)]


def parse(top: Section, seed: int) -> SurfaceSettings:
    sec = top.section("surface", required=True)
    name = sec.choice("name", list(SURFACES), what="a surface name, one of")
    spec = SURFACES[name]
    start = sec.numbers("start", list(spec.start), length=2, check=lambda v: abs(v) <= MAX_COORDINATE,
                        expected=tr("[x, y], two numbers in [-{most}, {most}]", most=f"{MAX_COORDINATE:.0f}"))
    params = {key: sec.number(key, default, low=-MAX_COORDINATE, high=MAX_COORDINATE)
              for key, default in spec.params.items()}
    sec.done()

    data = top.section("data")
    if spec.data_driven:
        n = data.integer("n", LINREG_DATA_DEFAULTS["n"], low=2, high=MAX_POINTS)
        noise = data.number("noise", LINREG_DATA_DEFAULTS["noise"], low=0, high=MAX_NOISE)
    elif data.data:
        raise top.fail_at("data", tr("only the data-driven surface linreg takes a [data] table, not {name}", name=name))
    else:
        n, noise = 0, 0.0
    data.done()

    run = top.section("run")
    steps = run.integer("steps", 200, low=1, high=MAX_STEPS)
    l2 = run.number("l2", 0.0, low=0, high=MAX_PENALTY)
    l1 = run.number("l1", 0.0, low=0, high=MAX_PENALTY)
    grad_noise = run.number("grad_noise", 0.0, low=0, high=MAX_NOISE)
    batch_size = run.integer("batch_size", 0, low=0, high=MAX_POINTS)
    if batch_size and not spec.data_driven:
        raise run.fail_at("batch_size", tr("only the data-driven surface linreg has batches; {name} is a formula",
                                           name=name))
    if spec.data_driven and batch_size > n:
        raise run.fail("batch_size", tr("at most data.n = {n} (0 = full batch)", n=n), batch_size)
    run.done()

    surface = Surface.build(name, params, start, seed, n=n or LINREG_DATA_DEFAULTS["n"], noise=noise)
    return SurfaceSettings(surface, parse_optimizers(top), steps, l1, l2, grad_noise, batch_size)


def run(scenario, *, trace: bool = False, include_data: bool = False) -> dict:
    st: SurfaceSettings = scenario.settings
    s = st.surface
    out_surface = {"name": s.name, "start": list(s.start), "minima": s.minima(), "params": dict(s.params),
                   "formula": s.spec.formula, "window": list(s.window())}
    if include_data and s.spec.data_driven:
        out_surface["data"] = {"x": s.data_x, "y": s.data_y}
    runs = []
    made = st.make_runs(scenario.seed)
    progress.expect(len(made) * st.steps, "steps")
    for r in made:
        trajectory, loss = advance_in_chunks(r, st.steps)
        runs.append({
            "label": r.optimizer.label, "optimizer": r.optimizer.name, "hyperparams": r.optimizer.hyperparams,
            "trajectory": trajectory, "loss": loss, "final_loss": float(loss[-1]),
            "diverged": r.diverged, "diverged_at": r.t + 1 if r.diverged else None, "steps": r.t,
        })
    return {"surface": out_surface, "run": {"steps": st.steps, "l1": st.l1, "l2": st.l2,
                                            "grad_noise": st.grad_noise, "batch_size": st.batch_size},
            "runs": runs}


def advance_in_chunks(r: SurfaceRun, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """r.advance(steps), a chunk at a time (progress, and Ctrl-C between chunks), joined."""
    parts = []
    for n in progress.chunks(steps, "steps", first=1000, expected=True):
        parts.append(r.advance(n))
        if r.diverged:
            break
    trajectory = np.concatenate([parts[0][0]] + [p[0][1:] for p in parts[1:]])
    loss = np.concatenate([parts[0][1]] + [p[1][1:] for p in parts[1:]])
    return trajectory, loss


def summary(result: dict) -> str:
    minima = result["surface"]["minima"]
    rows = []
    for r in result["runs"]:
        x, y = r["trajectory"][-1]
        dist = min((np.hypot(x - mx, y - my) for mx, my in minima), default=None)
        rows.append([r["label"], r["steps"], r["final_loss"], x, y, dist,
                     tr("at step {step}", step=r["diverged_at"]) if r["diverged"] else tr("no")])
    return table([tr("run"), tr("steps"), tr("final loss"), "x", "y", tr("to nearest min"), tr("diverged")], rows)


def csv_tables(result: dict) -> dict[str, list[list]]:
    rows: list[list] = [["label", "step", "x", "y", "loss"]]
    for r in result["runs"]:
        rows += [[r["label"], k, x, y, f] for k, ((x, y), f) in enumerate(zip(r["trajectory"], r["loss"]))]
    return {"trajectories.csv": rows}
