"""[[optimizers]] tables -> resolved optimizers (shared by every kind that trains)."""

from __future__ import annotations

from ..core.optim import OPTIMIZERS, Optimizer
from ..i18n import N_
from ..limits import MAX_OPTIMIZERS
from .fields import REQUIRED, Section


def parse_optimizer(sec: Section) -> Optimizer:
    name = sec.choice("name", list(OPTIMIZERS), what="an optimizer name, one of")
    spec = OPTIMIZERS[name]
    label = sec.string("label", None)
    values: dict = {}
    for h in spec.hypers:
        if h.kind == "bool":
            values[h.name] = sec.boolean(h.name, h.default)
        elif h.kind == "betas":
            betas = sec.numbers(h.name, list(h.default), length=2, check=lambda b: 0.0 <= b < 1.0,
                                expected=N_("two numbers in [0, 1)"))
            values[h.name] = list(betas)
        else:
            values[h.name] = sec.number(h.name, REQUIRED if h.default is None else h.default, low=h.low, high=h.high,
                                        low_open=h.low_open, high_open=h.high_open)
    sec.done()
    if spec.check is not None and (problem := spec.check(values)):
        raise sec.fail_at(problem.split(":")[0], problem.split(": ", 1)[1])
    return Optimizer(name, values, label)


def parse_optimizers(top: Section) -> list[Optimizer]:
    optimizers = [parse_optimizer(sec) for sec in top.sections("optimizers", required=True, most=MAX_OPTIMIZERS)]
    seen: dict[str, int] = {}
    for opt in optimizers:   # repeated labels get a number, so every run can be told apart
        seen[opt.label] = seen.get(opt.label, 0) + 1
        if seen[opt.label] > 1:
            opt.label = f"{opt.label}-{seen[opt.label]}"
    return optimizers
