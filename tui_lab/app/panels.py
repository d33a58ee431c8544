"""Which panel shows which scenario kind. Each lab area adds its KindPanel subclass here."""

from __future__ import annotations

from .conv_panel import ConvPanel
from .panel import KindPanel
from .surface_panel import SurfacePanel
from .train_panel import TrainPanel
from .validate_panel import ValidatePanel

PANELS: dict[str, type[KindPanel]] = {
    "surface": SurfacePanel,
    "train": TrainPanel,
    "validate": ValidatePanel,
    "conv": ConvPanel,
}
