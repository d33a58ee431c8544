"""Which panel shows which scenario kind. Each lab area adds its KindPanel subclass here."""

from __future__ import annotations

from .panel import KindPanel

PANELS: dict[str, type[KindPanel]] = {}
