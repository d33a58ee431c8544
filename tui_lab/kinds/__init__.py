"""The scenario kinds. Each kind module provides:

    parse(top: Section, seed: int) -> settings     read its tables from the scenario's top level
    run(scenario, *, trace: bool, include_data: bool) -> dict   the JSON keys after title/kind/seed
    summary(result: dict) -> str                   the readable table of `tui-lab run`
    csv_tables(result: dict) -> dict[str, list[list]]   file name -> rows, header first
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from types import ModuleType


class LazyKinds(Mapping):
    """kind name -> its module, imported when first asked for: a Surface scenario need not wait
    for the Train, Validate and Conv kinds' numeric cores (Numba, SciPy) to import."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def __getitem__(self, kind: str) -> ModuleType:
        if kind not in self.names:
            raise KeyError(kind)
        return import_module(f".{kind}", __package__)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


KINDS: Mapping[str, ModuleType] = LazyKinds(("surface", "train", "validate", "conv"))
