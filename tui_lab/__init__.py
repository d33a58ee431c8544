"""tui-lab: a terminal laboratory for learning how neural networks are optimized.

Python API (same semantics as the CLI; see docs/api.md):
    run_scenario(source, *, trace=False, include_data=False) -> dict
    load_scenario(source) -> Scenario
    ScenarioError: bad input; str() is the one-line message.
Heavy modules (NumPy, Numba) load on first use, so `import tui_lab` stays quick.
"""

from __future__ import annotations

from .scenario.fields import ScenarioError

__version__ = "0.1.0"


def load_scenario(source):
    """Read and validate a scenario (path, shipped name or parsed dict)."""
    from .scenario import load_scenario as _load

    return _load(source)


def run_scenario(source, *, trace: bool = False, include_data: bool = False) -> dict:
    """Run a scenario headless; the dict has the keys of the spec's JSON (arrays may be NumPy)."""
    from .kinds import KINDS

    scenario = source if hasattr(source, "settings") else load_scenario(source)
    result = {"title": scenario.title, "kind": scenario.kind, "seed": scenario.seed}
    if scenario.description:
        result["description"] = scenario.description
    result.update(KINDS[scenario.kind].run(scenario, trace=trace, include_data=include_data))
    return result


__all__ = ["ScenarioError", "__version__", "load_scenario", "run_scenario"]
