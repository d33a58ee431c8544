"""The scenario kinds. Each kind module provides:

    parse(top: Section, seed: int) -> settings     read its tables from the scenario's top level
    run(scenario, *, trace: bool, include_data: bool) -> dict   the JSON keys after title/kind/seed
    summary(result: dict) -> str                   the readable table of `tui-lab run`
    csv_tables(result: dict) -> dict[str, list[list]]   file name -> rows, header first
"""

from __future__ import annotations

from types import ModuleType

from . import conv, surface, train, validate

KINDS: dict[str, ModuleType] = {
    "surface": surface,
    "train": train,
    "validate": validate,
    "conv": conv,
}
