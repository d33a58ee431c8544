"""Optimizer runs on a 2-D surface: one compiled loop per run, and a parallel sweep.

A run is exactly a torch.optim loop: at each step the gradient at the current point
(plus the l2/l1 penalty gradients and optional Gaussian gradient noise), then one
optimizer step. Runs can be advanced in chunks (`advance`) with the same numbers as one
long call, because the randomness is counter-based (see rng.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import literal_unroll, njit, prange

from . import optim
from .kernels import kernel
from .optim import KERNELS, ParamTensor
from .rng import key_for, normal, permutation
from .surfaces import LINREG, Surface, linreg_value_grad, value_grad

# The point (x, y) is one weight row, W in R^(1x2), as for a neuron with two inputs: the
# optimizers that treat matrices apart from vectors (AdamP) see it as a matrix of one channel.
SURFACE_TENSORS = (ParamTensor(offset=0, channels=1, per_channel=2, channel_stride=2, entry_stride=1),)

NOISE_STREAM = 1     # rng streams, offset by the run's index
BATCH_STREAM = 1000


@njit(cache=True, nogil=True, inline="always")
def _objective(sid, prm, data_x, data_y, all_idx, p, l1, l2):
    """Full objective (surface + penalties) at p, with its full-batch gradient."""
    if sid == LINREG:
        f, gx, gy = linreg_value_grad(p[0], p[1], data_x, data_y, all_idx, 0, all_idx.shape[0])
    else:
        f, gx, gy = value_grad(sid, p[0], p[1], prm)
    f += 0.5 * l2 * (p[0] * p[0] + p[1] * p[1]) + l1 * (abs(p[0]) + abs(p[1]))
    return f, gx, gy


@njit(cache=True, nogil=True, error_model="numpy")     # as optim.step (see there)
def advance(family, sid, prm, data_x, data_y, batch_size, hp, p, state, scalars, t0, steps,
            l1, l2, grad_noise, noise_key, batch_key, traj, loss, grad):
    """Take up to `steps` steps from point p (whose step count so far is t0), in place.

    The family dispatch sits outside the step loop: the registry's kernels are unrolled here
    and `_loop` is compiled once per kernel, so each optimizer runs in its own specialised loop.
    """
    done, diverged = 0, True
    number = 0
    for update in literal_unroll(KERNELS):
        if number == family:
            done, diverged = _loop(update, sid, prm, data_x, data_y, batch_size, hp, p, state, scalars, t0, steps,
                                   l1, l2, grad_noise, noise_key, batch_key, traj, loss, grad)
        number += 1
    return done, diverged


@njit(nogil=True, inline="always", error_model="numpy")
def _loop(update, sid, prm, data_x, data_y, batch_size, hp, p, state, scalars, t0, steps,
          l1, l2, grad_noise, noise_key, batch_key, traj, loss, grad):
    """The step loop of `advance` for one update kernel.

    traj[0], loss[0] receive the current point and its loss; traj[k], loss[k] the point after
    k steps. Returns (steps done, diverged): a step whose point or loss is not finite is not
    recorded, p is put back on the last finite point, and diverged is True. `grad` receives the
    gradient each step hands to the optimizer (so after the call, the last step's).
    """
    n = data_x.shape[0]
    all_idx = np.arange(n)
    order = np.empty(n, dtype=np.int64)
    g = np.empty(2)
    f, g[0], g[1] = _objective(sid, prm, data_x, data_y, all_idx, p, l1, l2)
    traj[0, 0], traj[0, 1], loss[0] = p[0], p[1], f
    if not (math.isfinite(f) and math.isfinite(p[0]) and math.isfinite(p[1])):
        return 0, True
    minibatch = sid == LINREG and 0 < batch_size < n
    batches_per_epoch = (n + batch_size - 1) // batch_size if minibatch else 1
    epoch = -1
    for k in range(1, steps + 1):
        t = t0 + k                       # torch's step count after its increment
        if minibatch:
            e, b = (t - 1) // batches_per_epoch, (t - 1) % batches_per_epoch
            if e != epoch:
                epoch = e
                permutation(batch_key, e * n, order)
            start = b * batch_size
            _, g[0], g[1] = linreg_value_grad(p[0], p[1], data_x, data_y, order, start, min(start + batch_size, n))
        g[0] += l2 * p[0] + l1 * np.sign(p[0])   # penalties are full-batch terms
        g[1] += l2 * p[1] + l1 * np.sign(p[1])
        if grad_noise > 0.0:
            g[0] += grad_noise * normal(noise_key, 2 * t)
            g[1] += grad_noise * normal(noise_key, 2 * t + 1)
        grad[0], grad[1] = g[0], g[1]    # the last step's gradient, for the step inspector
        update(p, g, state, scalars, hp, t)
        f, g[0], g[1] = _objective(sid, prm, data_x, data_y, all_idx, p, l1, l2)
        if not (math.isfinite(f) and math.isfinite(p[0]) and math.isfinite(p[1])):
            p[0], p[1] = traj[k - 1, 0], traj[k - 1, 1]
            return k - 1, True
        traj[k, 0], traj[k, 1], loss[k] = p[0], p[1], f
    return steps, False


@dataclass
class SurfaceRun:
    """One optimizer on one surface, advanced chunk by chunk or all at once."""

    surface: Surface
    optimizer: optim.Optimizer
    index: int = 0                  # which run of the scenario: picks its random streams
    seed: int = 0
    l1: float = 0.0
    l2: float = 0.0
    grad_noise: float = 0.0
    batch_size: int = 0

    def __post_init__(self) -> None:
        self.reset()

    def reset(self, start=None) -> None:
        self.point = np.array(start if start is not None else self.surface.start, dtype=np.float64)
        self.state, self.scalars = self.optimizer.init_state(2, SURFACE_TENSORS)
        self.t = 0
        self.diverged = False
        self.last_gradient = np.full(2, np.nan)    # what the last step handed to the optimizer

    def advance(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `steps` more steps: (trajectory, loss) including the point it started from."""
        traj = np.empty((steps + 1, 2))
        loss = np.empty(steps + 1)
        if self.diverged:
            return traj[:0], loss[:0]
        s = self.surface
        done, diverged = kernel(advance)(
            self.optimizer.family, s.sid, s.prm, s.data_x, s.data_y, self.batch_size, self.optimizer.hp,
            self.point, self.state, self.scalars, self.t, steps, self.l1, self.l2, self.grad_noise,
            key_for(self.seed, NOISE_STREAM + self.index), key_for(self.seed, BATCH_STREAM + self.index),
            traj, loss, self.last_gradient)
        self.t += done
        self.diverged = bool(diverged)
        return traj[:done + 1], loss[:done + 1]


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _sweep(family, sid, prm, data_x, data_y, batch_size, hp, ia, values_a, ib, values_b, start, steps,
           l1, l2, grad_noise, noise_key, batch_key, state0, scalars0, target,
           final_loss, steps_to_target):
    na, nb = values_a.shape[0], values_b.shape[0]
    for cell in prange(na * nb):
        i, j = cell // nb, cell % nb
        h = hp.copy()
        h[ia] = values_a[i]
        h[ib] = values_b[j]
        p = start.copy()
        state = state0.copy()      # the optimizer's initial state, as init_state made it
        scalars = scalars0.copy()
        traj = np.empty((steps + 1, 2))
        loss = np.empty(steps + 1)
        done, diverged = advance(family, sid, prm, data_x, data_y, batch_size, h, p, state, scalars, 0, steps,
                                 l1, l2, grad_noise, noise_key, batch_key, traj, loss, np.empty(2))
        final_loss[i, j] = math.inf if diverged else loss[done]
        steps_to_target[i, j] = -1
        for k in range(done + 1):
            if loss[k] <= target:
                steps_to_target[i, j] = k
                break


def hyper_index(spec: optim.OptimizerSpec, name: str) -> int:
    """Where a hyperparameter sits in the packed array; 'beta1'/'beta2' address the betas pair."""
    offset = 0
    for h in spec.hypers:
        if h.kind == "betas" and name in ("beta1", "beta2"):
            return offset + (name == "beta2")
        if h.name == name and h.kind == "number":
            return offset
        offset += h.width()
    raise KeyError(f"{spec.name} has no numeric hyperparameter {name!r}")


def sweep(run: SurfaceRun, axis_a: str, values_a, axis_b: str, values_b, steps: int,
          target: float = -math.inf) -> dict:
    """Final loss (inf where diverged) and steps to reach loss <= target (-1: never) over a
    grid of two hyperparameters, the other settings as in `run`; cells run on all cores."""
    spec = run.optimizer.spec
    va, vb = np.asarray(values_a, dtype=np.float64), np.asarray(values_b, dtype=np.float64)
    final_loss = np.empty((va.size, vb.size))
    steps_to_target = np.empty((va.size, vb.size), dtype=np.int64)
    s = run.surface
    _sweep(spec.family, s.sid, s.prm, s.data_x, s.data_y, run.batch_size, run.optimizer.hp,
           hyper_index(spec, axis_a), va, hyper_index(spec, axis_b), vb, np.array(s.start, dtype=np.float64), steps,
           run.l1, run.l2, run.grad_noise, key_for(run.seed, NOISE_STREAM + run.index),
           key_for(run.seed, BATCH_STREAM + run.index), *run.optimizer.init_state(2, SURFACE_TENSORS), target,
           final_loss, steps_to_target)
    return {"axis_a": axis_a, "values_a": va, "axis_b": axis_b, "values_b": vb,
            "final_loss": final_loss, "steps_to_target": steps_to_target}
