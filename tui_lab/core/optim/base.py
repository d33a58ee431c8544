"""What every optimizer declares: its hyperparameters (names, PyTorch defaults, valid
ranges) and how many state slots it keeps. The update rule itself is a Numba function
in the family's own file, with the signature

    update(p, g, state, scalars, hp, t)

p: parameters (updated in place), g: gradient, state: (slots, n) per-parameter buffers,
scalars: per-run scalar state (e.g. NAdam's mu product), hp: packed hyperparameters,
t: the step number counted from 1, as torch's state["step"] after its increment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit
from ...i18n import N_


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter, named as in torch.optim."""

    name: str
    default: float | bool | tuple[float, float] | None  # None: required
    low: float | None = 0.0          # numbers: smallest allowed value
    high: float | None = None        # numbers: largest allowed value
    low_open: bool = False           # exclude `low` itself
    high_open: bool = False
    kind: str = "number"             # number | bool | betas
    help: str = ""

    def width(self) -> int:
        return 2 if self.kind == "betas" else 1


@dataclass(frozen=True)
class ParamTensor:
    """A matrix inside the flat parameter vector, seen as torch sees a weight: `channels` rows
    (torch's dim 0, e.g. an nn.Linear weight's output units) of `per_channel` entries each.
    Entry e of channel c sits at offset + c * channel_stride + e * entry_stride."""

    offset: int
    channels: int
    per_channel: int
    channel_stride: int
    entry_stride: int

    def indices(self) -> np.ndarray:
        """(channels, per_channel) flat indices."""
        c = np.arange(self.channels)[:, None]
        e = np.arange(self.per_channel)[None, :]
        return self.offset + c * self.channel_stride + e * self.entry_stride


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    hypers: tuple[Hyper, ...]
    slots: int                      # per-parameter state buffers
    scalars: int = 0                # per-run scalar state
    summary: str = ""
    check: object = field(default=None, compare=False)  # (resolved dict) -> error text or None
    family: int = -1                # which update kernel runs it: set by the registry (optim/__init__.py)
    mark_tensors: object = field(default=None, compare=False)  # (state, tensors): writes the layout into state

    def defaults(self) -> dict:
        return {h.name: (list(h.default) if isinstance(h.default, tuple) else h.default) for h in self.hypers}

    def pack(self, resolved: dict) -> np.ndarray:
        """Hyperparameters in the order the update kernel reads them (betas take two slots)."""
        values: list[float] = []
        for h in self.hypers:
            v = resolved[h.name]
            values.extend(float(x) for x in v) if h.kind == "betas" else values.append(float(v))
        return np.array(values, dtype=np.float64)

    def init_state(self, n_params: int, resolved: dict,
                   tensors: tuple["ParamTensor", ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        state = np.zeros((max(self.slots, 1), n_params))
        scalars = np.ones(max(self.scalars, 1))
        if "initial_accumulator_value" in resolved:
            state[0, :] = resolved["initial_accumulator_value"]
        if self.mark_tensors is not None:
            self.mark_tensors(state, tensors)
        return state, scalars


@njit(cache=True, nogil=True, inline="always")
def lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp as its CPU kernel computes it (two forms, for accuracy near weight 1)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


@njit(cache=True, nogil=True, inline="always")
def adam_moments(p, g, m, v, lr, wd, decoupled, beta1, beta2):
    """The part every Adam variant shares, for one coordinate: weight decay (decoupled:
    p <- p(1 - lr wd), else g <- g + wd p), then m <- lerp(m, g, 1 - beta1) and
    v <- beta2 v + (1 - beta2) g^2. Scalars in and out, so it compiles to plain registers.
    Returns (p, g, m, v) after the update."""
    if wd != 0.0:
        if decoupled != 0.0:
            p = p * (1.0 - lr * wd)
        else:
            g = g + wd * p
    return p, g, lerp(m, g, 1.0 - beta1), v * beta2 + (1.0 - beta2) * g * g


LR = Hyper("lr", None, low_open=True, help=N_("learning rate"))
WEIGHT_DECAY = Hyper("weight_decay", 0.0, help=N_("L2 penalty coefficient added to the gradient"))
BETAS = Hyper("betas", (0.9, 0.999), high=1.0, high_open=True, kind="betas",
              help=N_("decay rates of the first and second moment averages"))
DECOUPLED = Hyper("decoupled_weight_decay", False, kind="bool",
                  help=N_("decay the weights directly (p <- p(1 - lr wd)) instead of adding wd p to the gradient"))
EPS = Hyper("eps", 1e-8, low_open=True, help=N_("added to the denominator for numerical stability"))


def with_default(h: Hyper, default) -> Hyper:
    return Hyper(h.name, default, h.low, h.high, h.low_open, h.high_open, h.kind, h.help)


# The epoch loop's probe (train.train_epochs): one parameter's view of each optimizer step.
# Layout: the watched index, then per step t, p before, g, p after, the scalars and the state
# slots before the step (the state after is the run's own).
PROBE_INDEX, PROBE_T, PROBE_P_BEFORE, PROBE_G, PROBE_P_AFTER, PROBE_HEAD = range(6)


@njit(cache=True, nogil=True)
def probe_before(probe, p, g, state, scalars, t):
    """Note what the step is about to work on, for the probed parameter."""
    i = int(probe[PROBE_INDEX])
    probe[PROBE_T] = t
    probe[PROBE_P_BEFORE] = p[i]
    probe[PROBE_G] = g[i]
    for k in range(scalars.shape[0]):
        probe[PROBE_HEAD + k] = scalars[k]
    for k in range(state.shape[0]):
        probe[PROBE_HEAD + scalars.shape[0] + k] = state[k, i]


@njit(cache=True, nogil=True)
def probe_after(probe, p):
    probe[PROBE_P_AFTER] = p[int(probe[PROBE_INDEX])]
