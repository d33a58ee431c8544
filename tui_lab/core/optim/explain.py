"""One optimizer step written out in the course's notation, with the step's numbers.

Every family file has an `explain(h, step, out)` next to its kernel: it writes its update rule
line by line into `out` (a `Writer`), each equation in the course's notation (W_t, g_t, η, m_t,
v_t, β₁, β₂, G_t, γ, ε, λ), with only the options the run has switched on. Called without a
step, the same function gives the rule alone (help, Runs tabs); with a `Step`, every line also
gets this step's numbers substituted and its result.

The numbers are the kernel's, not a second implementation's: `Step` holds the gradient the
compiled loop used, the optimizer state before and after the compiled step, and the point the
loop produced. Buffers the kernel keeps (m_t, v_t, G_t, the momentum buffer...) are read from
its state after the step; W_{t+1} is the loop's own next point. Only quantities the kernel
never stores (bias-corrected moments, denominators, NAdam's μ_t, RAdam's ρ_t) are derived here
from those, in the kernel's order of operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...i18n import N_

# how the display writes symbols that have no single character
SUB_T, SUB_PREV, SUB_NEXT = "_t", "_{t-1}", "_{t+1}"


@dataclass
class Step:
    """What one compiled step saw and did, on the inspected coordinates `idx`.

    Arrays are full-length (all parameters); explain functions index them with `idx`, except
    where an optimizer looks at whole tensors (AdamP's channel sums), which it reads from state."""

    t: int                      # the step number, counted from 1 (torch's state["step"])
    w: np.ndarray               # W_t, the parameters before the step
    g: np.ndarray               # g_t, the gradient the kernel received
    state_before: np.ndarray    # the optimizer's buffers before and after the step
    state: np.ndarray
    scalars_before: np.ndarray
    scalars: np.ndarray
    w_next: np.ndarray | None   # W_{t+1} as the loop produced it; None: the step diverged
    idx: np.ndarray             # the coordinates shown (surface: both; train: the chosen one)


@dataclass
class Line:
    key: str                    # a stable name for tests and overlays: "g", "m", "W_next"...
    rule: str                   # the equation in the course's notation
    numbers: str = ""           # the equation with this step's numbers, then "= result"
    value: np.ndarray | None = None   # the result on the inspected coordinates


@dataclass
class Writer:
    """Collects an explanation's lines (and, with a step, their numbers and the arrows to draw)."""

    step: Step | None = None
    lines: list[Line] = field(default_factory=list)
    arrows: dict[str, np.ndarray] = field(default_factory=dict)   # name -> vector on the contour
    notes: list[str] = field(default_factory=list)                # symbols and settings used

    @property
    def numbers(self) -> bool:
        return self.step is not None

    def line(self, key: str, rule: str, compute=None) -> None:
        """Add an equation. `compute()` (only called with a step) returns (substituted text, value)."""
        if self.step is None or compute is None:
            self.lines.append(Line(key, rule))
            return
        text, value = compute()
        value = np.asarray(value, dtype=np.float64)
        self.lines.append(Line(key, rule, f"{text} = {fmt(value)}", value))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def arrow(self, name: str, vector) -> None:
        if self.step is not None:
            self.arrows[name] = np.asarray(vector, dtype=np.float64)

    def value(self, key: str) -> np.ndarray:
        for line in self.lines:
            if line.key == key:
                return line.value
        raise KeyError(key)

    # -- the parts every family writes the same way ---------------------------------------
    def gradient(self) -> np.ndarray | None:
        s = self.step
        if s is not None and s.idx.size == 1:     # one weight of a model: its part of the batch gradient
            self.line("g", N_("g_t = ∂L/∂w at W_t, on this step's batch"), lambda: ("", s.g[s.idx]))
        else:
            self.line("g", "g_t = ∇f(W_t)", lambda: (f"∇f{fmt(s.w[s.idx])}", s.g[s.idx]))
        if s is None:
            return None
        self.arrow("gradient", -s.g[s.idx])
        return s.g[s.idx]

    def l2_gradient(self, wd: float, g):
        """torch's coupled weight decay: g_t <- g_t + λ W_t."""
        if wd == 0.0:
            return g
        s = self.step
        self.line("g_decay", "g_t ← g_t + λ W_t",
                  lambda: (f"{fmt(g)} + {num(wd)}·{fmt(s.w[s.idx])}", g + wd * s.w[s.idx]))
        return None if s is None else g + wd * s.w[s.idx]

    def decoupled_decay(self, lr: float, wd: float, ratio: float = 1.0, ratio_symbol: str = ""):
        """Decoupled weight decay: W_t <- W_t (1 - η λ); returns the decayed W_t."""
        s = self.step
        if wd == 0.0:
            return None if s is None else s.w[s.idx]
        factor = 1.0 - lr * wd * ratio
        rule = f"W_t ← W_t (1 - η λ{ratio_symbol})"
        self.line("W_decay", rule, lambda: (f"{fmt(s.w[s.idx])}·{num(factor)}", s.w[s.idx] * factor))
        return None if s is None else s.w[s.idx] * factor

    def result(self, rule: str, text) -> None:
        """The last line: W_{t+1}, the loop's own next point."""
        s = self.step
        if s is not None and s.w_next is None:
            self.lines.append(Line("W_next", rule, N_("not finite: the run diverged at this step"), None))
            return
        self.line("W_next", rule, lambda: (text(), s.w_next[s.idx]))
        if s is not None:
            self.arrow("step", s.w_next[s.idx] - s.w[s.idx])

    def old(self, slot: int):
        s = self.step
        return None if s is None else s.state_before[slot][s.idx]

    def new(self, slot: int):
        s = self.step
        return None if s is None else s.state[slot][s.idx]


def num(x: float) -> str:
    """A scalar as the equations show it: five significant digits (the exact values are in Line.value)."""
    return f"{float(x):.5g}"


def fmt(v) -> str:
    """A value on the inspected coordinates as an operand: a scalar alone (in parentheses when negative,
    so 0.1·(-0.5)² reads as the product and square it is), several in parentheses."""
    v = np.atleast_1d(np.asarray(v, dtype=np.float64))
    if v.size == 1:
        return f"({num(v[0])})" if v[0] < 0 else num(v[0])
    return "(" + ", ".join(num(x) for x in v) + ")"


def explain(family_module, hyperparams: dict, step: Step | None = None) -> Writer:
    out = Writer(step)
    family_module.explain(hyperparams, step, out)
    return out


def adam_moments(out: Writer, lr: float, beta1: float, beta2: float, wd: float, decoupled: bool):
    """The lines every Adam variant shares (see base.adam_moments): weight decay, m_t, v_t.
    Returns (g_t after any coupled decay, W_t after any decoupled decay, m_t, v_t)."""
    g = out.gradient()
    w = out.decoupled_decay(lr, wd) if decoupled else None
    if not decoupled:
        g = out.l2_gradient(wd, g)
        w = None if out.step is None else out.step.w[out.step.idx]
    m0, m, v0, v = out.old(0), out.new(0), out.old(1), out.new(1)
    out.line("m", "m_t = β₁ m_{t-1} + (1 - β₁) g_t", lambda: (f"{num(beta1)}·{fmt(m0)} + {num(1.0 - beta1)}·{fmt(g)}", m))
    out.line("v", "v_t = β₂ v_{t-1} + (1 - β₂) g_t²", lambda: (f"{num(beta2)}·{fmt(v0)} + {num(1.0 - beta2)}·{fmt(g)}²", v))
    if out.step is not None:
        out.arrow("momentum", -m)
    return g, w, m, v


def adam_notes(out: Writer, h: dict, extra: str = "") -> None:
    beta1, beta2 = h["betas"]
    out.note(f"η = {h['lr']}, β₁ = {beta1}, β₂ = {beta2}, ε = {h['eps']}"
             + (f", λ = {h['weight_decay']}" if h["weight_decay"] else "") + extra)
