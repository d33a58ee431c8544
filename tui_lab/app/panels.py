"""Which panel shows which scenario kind. Each lab area adds its KindPanel subclass here.

A panel's module is imported when its class is first asked for, not when the lab starts: the Conv
panel alone pulls in the numeric core and Numba, which the first frame of a Surface race does not
need."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from .panel import KindPanel

# kind -> (module in tui_lab.app, class name), in the order of the lab's tabs
PANEL_PLACES: dict[str, tuple[str, str]] = {
    "surface": ("surface_panel", "SurfacePanel"),
    "train": ("train_panel", "TrainPanel"),
    "validate": ("validate_panel", "ValidatePanel"),
    "conv": ("conv_panel", "ConvPanel"),
}


class LazyPanels(Mapping):
    """kind -> KindPanel class; iterating names the kinds without importing any panel."""

    def __init__(self, places: dict[str, tuple[str, str]]) -> None:
        self.places = places

    def __getitem__(self, kind: str) -> type[KindPanel]:
        module, name = self.places[kind]
        return getattr(import_module(f".{module}", __package__), name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.places)

    def __len__(self) -> int:
        return len(self.places)


PANELS: Mapping[str, type[KindPanel]] = LazyPanels(PANEL_PLACES)
