"""The Inspect step view's model: one run's recent optimizer steps, as the kernels computed them.

An inspection follows a live run on a shadow copy of it (same settings, same seed, so the
same numbers bit for bit: runs are deterministic and chunking does not change them). Each
recorded `Step` holds what the compiled step saw and did; `Optimizer.explain(step)` turns it
into the rule in the course's notation with those numbers. The last `HISTORY` steps are kept,
so the view can go back through them.

Surface runs are recorded step by step. Train runs advance an epoch at a time, so a train
inspection records the last step of each epoch, for one chosen parameter, through the epoch
loop's probe (see base.probe_before / probe_after).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import replace

import numpy as np

from .. import i18n
from .optim import Writer
from .optim.base import PROBE_HEAD, PROBE_INDEX, PROBE_P_AFTER, PROBE_P_BEFORE, PROBE_G, PROBE_T
from .surface_run import SurfaceRun

HISTORY = 64        # recorded steps kept for going back


class Inspection:
    """Recorded steps of one run and which of them is shown."""

    def __init__(self, optimizer, history: int = HISTORY):
        self.optimizer = optimizer
        self.steps: deque = deque(maxlen=history)
        self.shown = -1              # index into steps; -1: the newest

    # -- moving through the record -------------------------------------------------------
    def back(self) -> bool:
        """Show the step before; False when the oldest kept step is shown already."""
        i = self._index()
        if i <= 0:
            return False
        self.shown = i - 1
        return True

    def forward(self) -> bool:
        i = self._index()
        if i < 0 or i >= len(self.steps) - 1:
            return False
        self.shown = i + 1
        return True

    def _index(self) -> int:
        return len(self.steps) - 1 if self.shown < 0 else self.shown

    @property
    def step(self):
        return self.steps[self._index()] if self.steps else None

    def explain(self) -> Writer:
        """The shown step written out (just the rule when nothing was recorded yet)."""
        return self.optimizer.explain(self.step)

    @property
    def oldest(self) -> int:
        return self.steps[0].t if self.steps else 0


class SurfaceInspection(Inspection):
    """Follows a SurfaceRun: `follow(t)` records steps up to step t, keeping the last HISTORY."""

    def __init__(self, run: SurfaceRun, start=None, history: int = HISTORY):
        super().__init__(run.optimizer, history)
        self.shadow = replace(run)                     # same settings, fresh state
        self.start = np.array(start if start is not None else run.surface.start, dtype=np.float64)
        self.shadow.reset(self.start)
        self.ahead = False           # True: the newest record is a step the live run has not taken

    def follow(self, t: int, diverged: bool = False) -> None:
        """Record through step t of the live run (step 1 ahead when t == 0, the diverging step
        when the live run diverged); shows the newest."""
        target = t + 1 if (t == 0 or diverged) else t
        if self.steps and self.steps[-1].t > target or self.shadow.t > target:
            self.shadow.reset(self.start)               # the live run went back: replay
            self.steps.clear()
        skip = target - self.steps.maxlen - self.shadow.t
        if skip > 0:                                    # the steps that will not be kept run compiled
            self.shadow.advance(skip)
        while self.shadow.t < target and not self.shadow.diverged:
            self.steps.append(self._record())
            if self.steps[-1].w_next is None:
                break
        self.ahead = t == 0
        self.shown = -1

    def _record(self):
        from .optim import Step

        run = self.shadow
        w, state, scalars = run.point.copy(), run.state.copy(), run.scalars.copy()
        traj, _ = run.advance(1)                         # the compiled loop itself, which notes its gradient
        g = run.last_gradient.copy()
        return Step(t=run.t + (0 if len(traj) > 1 else 1), w=w, g=g, state_before=state, state=run.state.copy(),
                    scalars_before=scalars, scalars=run.scalars.copy(),
                    w_next=traj[1].copy() if len(traj) > 1 else None, idx=np.arange(2))


class TrainInspection(Inspection):
    """Follows a Trainer epoch by epoch: records the last optimizer step of each epoch for one
    parameter (`index` into the flat parameter vector)."""

    def __init__(self, trainer, index: int = 0, history: int = HISTORY):
        super().__init__(trainer.optimizer, history)
        self.live = trainer
        self.index = index
        self._restart()

    def _restart(self) -> None:
        self.shadow = copy.copy(self.live)
        self.shadow.reset()
        self.steps.clear()

    def choose(self, index: int) -> None:
        """Inspect another parameter: replayed from the start, up to where the live run is."""
        self.index = int(index) % self.live.model.n_params
        epoch = self.shadow.epoch
        self._restart()
        self.follow(epoch)

    def follow(self, epoch: int) -> None:
        if self.shadow.epoch > epoch:
            self._restart()
        skip = epoch - self.steps.maxlen - self.shadow.epoch
        if skip > 0:
            self.shadow.advance(skip)
        slots = self.shadow.state.shape[0]
        scalars = self.shadow.scalars.shape[0]
        probe = np.zeros(PROBE_HEAD + scalars + slots)
        probe[PROBE_INDEX] = self.index
        while self.shadow.epoch < epoch and self.shadow.advance(1, probe=probe) == 1:
            self.steps.append(self._record(probe, scalars, slots))
        self.shown = -1

    def _record(self, probe, n_scalars, slots):
        from .optim import Step

        i, tr = self.index, self.shadow
        # Full-length arrays with the inspected coordinate filled in: explain indexes them by idx.
        n = tr.model.n_params
        w, g, w_next = np.zeros(n), np.zeros(n), np.zeros(n)
        w[i], g[i], w_next[i] = probe[PROBE_P_BEFORE], probe[PROBE_G], probe[PROBE_P_AFTER]
        state_before = tr.state.copy()
        state_before[:, i] = probe[PROBE_HEAD + n_scalars:PROBE_HEAD + n_scalars + slots]
        return Step(t=int(probe[PROBE_T]), w=w, g=g, state_before=state_before, state=tr.state.copy(),
                    scalars_before=probe[PROBE_HEAD:PROBE_HEAD + n_scalars].copy(), scalars=tr.scalars.copy(),
                    w_next=w_next if np.isfinite(w_next[i]) else None, idx=np.array([i]))

    def parameter_name(self, index: int | None = None) -> str:
        return parameter_name(self.live.model, self.index if index is None else index)


def parameter_name(model, index: int) -> str:
    """Which weight the flat index is: layer l's W[input → unit], b[unit], or batch norm's γ / β
    (and, in a CNN, first a conv layer's kernel entry, bias or batch norm's γ / β)."""
    if model.name == "cnn":
        return _cnn_parameter_name(model, index)
    lay = model.layout
    for l in range(model.n_layers):
        fan_in, fan_out = model.sizes[l], model.sizes[l + 1]
        w_off, b_off, bn_off = int(lay.w_off[l]), int(lay.b_off[l]), int(lay.bn_off[l])
        if w_off <= index < w_off + fan_in * fan_out:
            i, j = divmod(index - w_off, fan_out)
            return i18n.tr("layer {layer} weight W[{input}→{unit}] (input {input} to unit {unit})",
                           layer=l + 1, input=i + 1, unit=j + 1)
        if b_off <= index < b_off + fan_out:
            return i18n.tr("layer {layer} bias b[{unit}]", layer=l + 1, unit=index - b_off + 1)
        if bn_off >= 0 and bn_off <= index < bn_off + 2 * fan_out:
            which, j = divmod(index - bn_off, fan_out)
            return i18n.tr("layer {layer} batch norm {symbol}[{unit}]", layer=l + 1, symbol="γ" if which == 0 else "β", unit=j + 1)
    return i18n.tr("parameter {index}", index=index)


def _cnn_parameter_name(model, index: int) -> str:
    lay = model.layout
    k = model.kernel
    for l, (c_in, _, _, c_out, _, _, w_off, b_off, bn_off) in enumerate(lay.conv):
        if w_off <= index < b_off:
            out, rest = divmod(index - w_off, c_in * k * k)
            channel, rest = divmod(rest, k * k)
            row, col = divmod(rest, k)
            return i18n.tr("conv layer {layer} kernel k[{out}, {channel}, {row}, {col}] (filter {out}, input channel "
                           "{channel})", layer=l + 1, out=out + 1, channel=channel + 1, row=row + 1, col=col + 1)
        if b_off <= index < b_off + c_out:
            return i18n.tr("conv layer {layer} bias b[{filter}]", layer=l + 1, filter=index - b_off + 1)
        if 0 <= bn_off <= index < bn_off + 2 * c_out:
            which, j = divmod(index - bn_off, c_out)
            return i18n.tr("conv layer {layer} batch norm {symbol}[{filter}]", layer=l + 1,
                           symbol="γ" if which == 0 else "β", filter=j + 1)
    for l, (n_in, n_out, w_off, b_off) in enumerate(lay.dense):
        if w_off <= index < b_off:
            j, i = divmod(index - w_off, n_in)          # stored as torch holds it: out rows of in
            return i18n.tr("dense layer {layer} weight W[{input}→{unit}] (input {input} to unit {unit})",
                           layer=l + 1, input=i + 1, unit=j + 1)
        if b_off <= index < b_off + n_out:
            return i18n.tr("dense layer {layer} bias b[{unit}]", layer=l + 1, unit=index - b_off + 1)
    return i18n.tr("parameter {index}", index=index)
