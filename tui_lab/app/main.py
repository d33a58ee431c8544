"""`tui-lab [SCENARIO]`: open the lab."""

from __future__ import annotations


def run_app(scenario: str | None) -> int:
    from .lab import LabApp

    LabApp(scenario).run()
    return 0
