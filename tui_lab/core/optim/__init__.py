"""The optimizers: PyTorch's update rules, defaults and hyperparameter names.

Each family file holds its update kernel and the specs of the names it serves
(sgd/momentum/nag share one kernel, adam/adamw another). This file lists them once:
`OPTIMIZERS` for Python (validation, defaults, packing). Compiled loops take the kernel
itself as an argument (`Optimizer.update`), so Numba compiles one specialised loop per
family; `step` dispatches by family number where one loop must serve every family.
Adding an optimizer: write its file, then add it to FAMILIES and to `step`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import adadelta, adagrad, adam, adamax, nadam, radam, rmsprop, sgd
from .base import Hyper, OptimizerSpec

FAMILIES = (sgd, adagrad, adadelta, rmsprop, adam, adamax, nadam, radam)
OPTIMIZERS: dict[str, OptimizerSpec] = {spec.name: spec for fam in FAMILIES for spec in fam.SPECS}


@njit(cache=True, nogil=True)
def step(family, p, g, state, scalars, hp, t):
    """One optimizer step in place; `family` picks the kernel."""
    if family == sgd.FAMILY:
        sgd.update(p, g, state, scalars, hp, t)
    elif family == adagrad.FAMILY:
        adagrad.update(p, g, state, scalars, hp, t)
    elif family == adadelta.FAMILY:
        adadelta.update(p, g, state, scalars, hp, t)
    elif family == rmsprop.FAMILY:
        rmsprop.update(p, g, state, scalars, hp, t)
    elif family == adam.FAMILY:
        adam.update(p, g, state, scalars, hp, t)
    elif family == adamax.FAMILY:
        adamax.update(p, g, state, scalars, hp, t)
    elif family == nadam.FAMILY:
        nadam.update(p, g, state, scalars, hp, t)
    else:
        radam.update(p, g, state, scalars, hp, t)


class Optimizer:
    """A resolved optimizer: spec + every hyperparameter value, ready for the kernels."""

    def __init__(self, name: str, hyperparams: dict, label: str | None = None):
        self.spec = OPTIMIZERS[name]
        self.name = name
        self.hyperparams = {**self.spec.defaults(), **hyperparams}
        self.label = label or name
        self.hp = self.spec.pack(self.hyperparams)

    @property
    def family(self) -> int:
        return self.spec.family

    @property
    def update(self):
        """The family's compiled update kernel."""
        return FAMILIES[self.spec.family].update

    def init_state(self, n_params: int) -> tuple[np.ndarray, np.ndarray]:
        return self.spec.init_state(n_params, self.hyperparams)


__all__ = ["OPTIMIZERS", "Hyper", "Optimizer", "OptimizerSpec", "step"]
