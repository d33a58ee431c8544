"""Scenario files: TOML -> a validated `Scenario` (common keys here, kind tables in kinds/)."""

from __future__ import annotations

import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..i18n import in_language, tr
from ..limits import MAX_LESSON_STEPS, MAX_LESSONS, check_memory, clamp_lessons
from .fields import REQUIRED, ScenarioError, Section, describe, show_key, suggest
from .shipped import shipped_names, shipped_path


@dataclass
class Lesson:
    text: str
    steps: int = 0          # simulation steps (or epochs) to advance before the next entry
    text_ko: str = ""       # the same text in Korean (tui_lab/i18n.py)

    @property
    def shown_text(self) -> str:
        """The text in the reader's language."""
        return in_language(self.text, self.text_ko)


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
    title_ko: str = ""                  # Korean twins of title and description (tui_lab/i18n.py)
    description_ko: str = ""

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (outputs and JSON keep `title`, the English)."""
        return in_language(self.title, self.title_ko)

    @property
    def shown_description(self) -> str:
        return in_language(self.description, self.description_ko)

    @property
    def name(self) -> str:
        return Path(self.source).stem if self.source != "<dict>" else "scenario"


MAX_FILE_BYTES = 1_000_000     # a scenario file is read up to this size (the shipped ones are a few kB)
MAX_DEPTH = 16                 # tables and arrays nested deeper than this are refused
MAX_KEY_PARTS = 16             # a dotted key (a.b.c = ...) with more parts than this is refused
MAX_INTEGER = 2**63 - 1        # TOML integers are 64-bit
_DOTTED_KEY = re.compile(     # possessive, from the start of a word: linear time on any text
    r"(?<![A-Za-z0-9_-])(?:(?:[A-Za-z0-9_-]++|\"[^\"\n]*+\"|'[^'\n]*+')[ \t]*+\.[ \t]*+){%d,}" % MAX_KEY_PARTS)


def read_source(source: str | Path | dict) -> tuple[dict, str]:
    """(parsed TOML, label) for a path, a shipped name or an already-parsed dict."""
    if isinstance(source, dict):
        check_tree(source, "<dict>")
        return source, "<dict>"
    if not isinstance(source, (str, Path)):
        raise ScenarioError(tr("a scenario is a path, a shipped name or a parsed dict, not {type}",
                               type=type(source).__name__))
    text = str(source)
    if "\0" in text or ("\n" in text and not Path(text).exists()):
        raise ScenarioError(tr("a scenario is a path, a shipped name or a parsed dict, not TOML text "
                               "(parse it first: tomllib.loads(text))"))
    path = Path(text)
    if not path.exists() and not text.endswith(".toml") and "/" not in text:
        if text in shipped_names():
            path = shipped_path(text)
        else:
            raise ScenarioError(f"{text}: " + tr("no such file or shipped scenario{hint} (see `tui-lab list`)",
                                                 hint=suggest(text, shipped_names())))
    data = parse_toml(read_text(path, text), text)
    check_tree(data, text)
    return data, text


def read_text(path: Path, label: str) -> str:
    """The file's text: a regular file of at most MAX_FILE_BYTES, UTF-8 (a byte-order mark is fine).
    Anything else (a FIFO, a device, a folder) is refused without reading, so nothing can block."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(f"{label}: " + tr("is a folder, not a scenario file"))
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(f"{label}: " + tr("not a regular file (a scenario is a .toml file)"))
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{label}: " + tr("no such file")) from None
    except OSError as err:
        raise ScenarioError(f"{label}: " + tr("cannot read: {reason}", reason=err.strerror or err)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{label}: " + tr("larger than {size} bytes; a scenario file is a short text",
                                                 size=f"{MAX_FILE_BYTES:,}"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{label}: " + tr("not UTF-8 text (byte {offset})", offset=err.start)) from None


def parse_toml(text: str, label: str) -> dict:
    """tomllib.loads with every failure as bad input, and no input that makes it slow or huge."""
    if match := _DOTTED_KEY.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise ScenarioError(f"{label}: " + tr("line {line}: a dotted key of more than {most} parts", line=line,
                                                 most=MAX_KEY_PARTS))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{label}: " + tr("invalid TOML: {reason}", reason=err)) from None
    except RecursionError:
        raise ScenarioError(f"{label}: " + tr("invalid TOML: {reason}", reason=tr("arrays or tables nested too deeply"))) from None
    except ValueError as err:       # e.g. an integer of more than 4300 digits (its advice is for programmers)
        raise ScenarioError(f"{label}: " + tr("invalid TOML: {reason}", reason=str(err).split(":")[0])) from None
    except MemoryError:
        raise ScenarioError(f"{label}: " + tr("invalid TOML: {reason}", reason=tr("too large to read"))) from None


def check_tree(data: dict, label: str) -> None:
    """Refuse what no reader would: nesting deeper than MAX_DEPTH, a table that contains itself,
    keys that are not strings, integers beyond 64 bits. Iterative, so no input can exhaust the stack."""
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    open_ids: set[int] = set()
    while stack:
        value, where, depth = stack.pop()
        if value is _LEAVE:
            open_ids.discard(depth)
            continue
        if isinstance(value, (dict, list, tuple)):
            if id(value) in open_ids:
                raise ScenarioError(f"{label}: {where or 'scenario'}: " + tr("a table or array that contains itself"))
            if depth > MAX_DEPTH:
                raise ScenarioError(f"{label}: {where}: " + tr("nested more than {most} levels deep", most=MAX_DEPTH))
            open_ids.add(id(value))
            stack.append((_LEAVE, where, id(value)))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(value, dict) and not isinstance(key, str):
                    raise ScenarioError(f"{label}: {where or 'scenario'}: "
                                        + tr("keys are strings, got {got}", got=describe(key)))
                child = f"{where}[{key}]" if not isinstance(value, dict) else (
                    f"{where}.{show_key(key)}" if where else show_key(key))
                stack.append((item, child, depth + 1))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise ScenarioError(f"{label}: {where}: " + tr("expected {expected}, got {got}",
                                                            expected=tr("an integer of at most 64 bits"),
                                                            got=describe(value)))


_LEAVE = object()     # check_tree's marker: the container above it is finished


def load_scenario(source: str | Path | dict) -> Scenario:
    """Read and validate a scenario; bad input raises ScenarioError with a one-line message."""
    from ..kinds import KINDS

    if isinstance(source, Scenario):       # already loaded (and validated)
        return source
    data, label = read_source(source)
    top = Section(data, label)
    title = top.string("title")
    title_ko = top.string("title_ko", "")
    description = top.string("description", "")
    description_ko = top.string("description_ko", "")
    kind = top.choice("kind", list(KINDS))
    seed = top.integer("seed", 0, low=0, high=2**63 - 1)
    lessons = []
    for sec in top.sections("lesson", most=MAX_LESSONS):
        lessons.append(Lesson(sec.string("text"), sec.integer("steps", 0, low=0, high=MAX_LESSON_STEPS),
                              sec.string("text_ko", "")))
        sec.done()
    settings = KINDS[kind].parse(top, seed)
    top.done()
    clamp_lessons(kind, settings, lessons)
    check_memory(top, kind, settings)
    return Scenario(title, kind, settings, description, seed, lessons, label, data, title_ko, description_ko)


__all__ = ["REQUIRED", "Lesson", "Scenario", "ScenarioError", "Section", "load_scenario", "read_source"]
