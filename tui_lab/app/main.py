"""`tui-lab [SCENARIO]`: open the lab."""

from __future__ import annotations


def run_app(scenario: str | None) -> int:
    from .lab import LabApp
    from .warm_up import warm_up

    warm_up()             # kernels compile in the background; the lab animates with interpreted ones meanwhile
    LabApp(scenario).run()
    return 0
