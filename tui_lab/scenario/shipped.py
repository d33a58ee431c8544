"""The scenarios shipped with the package, in course order (scenarios/course.txt)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ..i18n import in_language


def shipped_dir() -> Path:
    return Path(str(files("tui_lab.scenarios")))


def course_order() -> list[str]:
    """Scenario names in the order of the course; '#' lines are section headings."""
    text = (shipped_dir() / "course.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def course_sections() -> list[tuple[str, list[str]]]:
    """(heading, names) for each section of the course, the heading in the reader's language.
    A heading line carries its Korean after a bar: `# English heading | 한국어 제목`."""
    sections: list[tuple[str, list[str]]] = []
    for line in (shipped_dir() / "course.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            english, _, korean = line.lstrip("# ").partition(" | ")
            sections.append((in_language(english.strip(), korean.strip()), []))
        elif line:
            sections[-1][1].append(line)
    return sections


def shipped_names() -> list[str]:
    """Every shipped scenario: the course first, then any file not (yet) placed in it."""
    present = {p.stem for p in shipped_dir().glob("*.toml")}
    ordered = [n for n in course_order() if n in present]
    return ordered + sorted(present - set(ordered))


def shipped_path(name: str) -> Path:
    return shipped_dir() / f"{name}.toml"
