"""The optimizers: PyTorch's update rules, defaults and hyperparameter names.

Each family file holds its update kernel and the specs of the names it serves
(sgd/momentum/nag share one kernel, adam/adamw another). `FAMILIES` below is the one
registry: a family's number is its position there, `OPTIMIZERS` maps every name to its
spec for Python (validation, defaults, packing), and `KERNELS` is the tuple of update
kernels that every compiled dispatch unrolls (`step` here, `advance` in surface_run):
Numba unrolls the tuple at compile time, so each family still gets its own specialised
call and no chain of family numbers has to be kept by hand.
Adding an optimizer: write its file (SPECS, the `update` kernel, and `explain`, its rule in the
course's notation, see explain.py), then add its module to FAMILIES.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from numba import literal_unroll, njit

from . import adadelta, adagrad, adam, adamax, adamp, nadam, radam, rmsprop, sgd
from .base import Hyper, OptimizerSpec, ParamTensor
from .explain import Step, Writer, explain

FAMILIES = (sgd, adagrad, adadelta, rmsprop, adam, adamax, nadam, radam, adamp)

KERNELS = tuple(fam.update for fam in FAMILIES)
OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: replace(spec, family=number) for number, fam in enumerate(FAMILIES) for spec in fam.SPECS}

# The dispatches hand each kernel on as a first-class function: the feature is marked
# experimental, but here it only specialises the callee per kernel at compile time.
warnings.filterwarnings("ignore", message="First-class function type feature is experimental")


# Every caller that inlines the update kernels (this and surface_run's loops) uses error_model="numpy":
# Numba keeps the first inlining of a kernel, flags and all, so one caller with Python's error model
# (a zero check on each division) left Adam's loop unvectorized for all the others (3-4x slower).
@njit(cache=True, nogil=True, error_model="numpy")
def step(family, p, g, state, scalars, hp, t):
    """One optimizer step in place; `family` picks the kernel."""
    number = 0
    for update in literal_unroll(KERNELS):
        if number == family:
            update(p, g, state, scalars, hp, t)
        number += 1


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
        return KERNELS[self.spec.family]

    def explain(self, step: Step | None = None) -> Writer:
        """The update rule in the course's notation, with the options this run switched on; given
        a recorded `Step`, every line also carries that step's numbers (see explain.py)."""
        return explain(FAMILIES[self.spec.family], self.hyperparams, step)

    def init_state(self, n_params: int, tensors: tuple[ParamTensor, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Fresh state for n_params parameters; `tensors` names the parameter vector's
        matrices (those not named are vectors), for the optimizers that treat them apart."""
        return self.spec.init_state(n_params, self.hyperparams, tensors)


__all__ = ["FAMILIES", "KERNELS", "OPTIMIZERS", "Hyper", "Optimizer", "OptimizerSpec", "ParamTensor", "Step", "Writer", "step"]
