"""Scenario files: TOML -> a validated `Scenario` (common keys here, kind tables in kinds/)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fields import REQUIRED, ScenarioError, Section, suggest
from .shipped import shipped_names, shipped_path


@dataclass
class Lesson:
    text: str
    steps: int = 0          # simulation steps (or epochs) to advance before the next entry


@dataclass
class Scenario:
    title: str
    kind: str
    settings: Any                       # the kind's own typed settings
    description: str = ""
    seed: int = 0
    lessons: list[Lesson] = field(default_factory=list)
    source: str = "<dict>"              # how errors name it: the file path, or <dict>
    raw: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return Path(self.source).stem if self.source != "<dict>" else "scenario"


def read_source(source: str | Path | dict) -> tuple[dict, str]:
    """(parsed TOML, label) for a path, a shipped name or an already-parsed dict."""
    if isinstance(source, dict):
        return source, "<dict>"
    text = str(source)
    path = Path(text)
    if not path.exists() and not text.endswith(".toml") and "/" not in text:
        if text in shipped_names():
            path = shipped_path(text)
        else:
            raise ScenarioError(f"{text}: no such file or shipped scenario{suggest(text, shipped_names())}"
                                " (see `tui-lab list`)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{text}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{text}: cannot read: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{text}: invalid TOML: {err}") from None
    return data, text


def load_scenario(source: str | Path | dict) -> Scenario:
    """Read and validate a scenario; bad input raises ScenarioError with a one-line message."""
    from ..kinds import KINDS

    data, label = read_source(source)
    top = Section(data, label)
    title = top.string("title")
    description = top.string("description", "")
    kind = top.choice("kind", list(KINDS))
    seed = top.integer("seed", 0, low=0, high=2**63 - 1)
    lessons = []
    for sec in top.sections("lesson"):
        lessons.append(Lesson(sec.string("text"), sec.integer("steps", 0, low=0)))
        sec.done()
    settings = KINDS[kind].parse(top, seed)
    top.done()
    return Scenario(title, kind, settings, description, seed, lessons, label, data)


__all__ = ["REQUIRED", "Lesson", "Scenario", "ScenarioError", "Section", "load_scenario", "read_source"]
