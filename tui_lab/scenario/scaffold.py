"""`tui-lab new KIND NAME`: a commented starting scenario of one kind.

The file is the smallest valid scenario of the kind (schema.minimal_scenarios) with every other key
the loader reads for that kind written as a comment: its default (or an example value), what it
means, and when it applies. Uncommenting a line and changing its value is how a lesson starts.

The comments are in the reader's language: a key's meaning (meanings.py, English for the reference
and the JSON Schema) is translated here, where it is written, through the catalogue. Keys, values
and tables are the same in every language. A Korean comment is wrapped at WIDTH terminal cells
(a Hangul syllable takes two), its continuation lines under its first; the English lines are kept
as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.cells import cell_len

from ..i18n import N_, language, pad, tr
from .fields import ScenarioError
from .meanings import meaning
from .reference import table_heading, toml_value
from .schema import (Read, cached_text, dependencies, explore, instances, kind_of, load_recorded, minimal_scenarios,
                     split_values)

COMMENT_AT = 34    # column where a line's meaning starts
WIDTH = 100        # terminal cells a Korean comment line keeps within
HEADER = N_("A {kind} scenario, written by `tui-lab new`. Every key is listed: a commented line shows its\n"
             "default (or an example), what it means and when it applies; uncomment it to change it.\n"
             "The format, key by key: docs/reference.md; check this file with `tui-lab check FILE`.")


def _said(path: str, key: str, reads=()) -> str:
    """A key's meaning in the reader's language."""
    return meaning(path, key, reads, say=tr)


def _breaks_before(previous: str, word: str, depth: int) -> bool:
    """May a line end between these two words? Beside a Korean word or after a comma, a semicolon or a name's
    colon (`rastrigin:`); never inside [...], right after an opening "(word", between a Korean word's colon
    and a name ("(적용 조건: name = adamp)" stays whole), nor inside a formula, whose words are all ASCII:
    `mean((w x + b - y)^2)` stays whole."""
    if depth or (previous.startswith("(") and ")" not in previous):
        return False
    if previous[-1] == ":" and not previous[-2:-1].isascii():
        return not word[0].isascii()
    return not previous[-1].isascii() or not word[0].isascii() or previous[-1] in ",;:" or (
        word[0] == "(" and not word[1:2].isascii())


def _wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces where _breaks_before allows (a piece that
    cannot be broken and is longer than that stays whole)."""
    pieces: list[str] = []
    depth = 0                     # of [...] open before the word
    for word in text.split():
        if pieces and not _breaks_before(pieces[-1].rsplit(" ", 1)[-1], word, depth):
            pieces[-1] += " " + word
        else:
            pieces.append(word)
        depth += word.count("[") - word.count("]")
    lines: list[str] = []
    for piece in pieces:
        if lines and cell_len(lines[-1]) + 1 + cell_len(piece) <= width:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    return lines


def _comment(lead: str, text: str, indent: str = "") -> str:
    """`lead` followed by `text`; a Korean text that would pass WIDTH cells goes on in lines that begin with
    `indent` (the same cells as `lead`, so the text stays in one column)."""
    if language() == "en":
        return lead + text
    indent = indent or "#" + " " * (cell_len(lead) - 1)
    first, *rest = _wrapped(text, max(WIDTH - cell_len(lead), 20)) or [""]
    return "\n".join([lead + first, *(indent + line for line in rest)])


def _line(key: str, value, what: str, active: bool) -> str:
    text = f"{'' if active else '# '}{key} = {toml_value(value)}"
    return _comment(f"{pad(text, COMMENT_AT - 1)} # ", what, "#" + " " * (COMMENT_AT - 2) + " # ") if what else text


def _example(reads: list[Read], under) -> tuple[bool, object]:
    """(True, value) to show for a key: its default under the starting scenario's names, else any default,
    else a value some loaded scenario gave it."""
    for pool in (under, reads):
        defaults = [r.default for r in pool if not r.required and r.default is not None]
        if defaults:
            return True, defaults[0]
    if reads and reads[0].reader == "string":
        return True, "..."
    given = [r.value for r in reads if r.present]
    return (True, given[0]) if given else (False, None)


def _when(key: str, deps: dict[str, dict[str, set]], order: dict[str, list]) -> str:
    notes = [f"{c} = " + ", ".join(v for v in order[c] if v in keys[key]) for c, keys in deps.items() if key in keys]
    return "; ".join(notes)


def _table_lines(path: str, kind: str, start: dict, own: list[Read]) -> list[str]:
    """Every key of one table of the kind: the starting scenario's keys as they are, the others as comments
    (`own`: the starting scenario's reads, whose defaults come first)."""
    tables = instances(explore(), path, lambda load: kind_of(load) == kind)
    deps = dependencies(tables)
    order = {c: split_values(tables, c) for c in deps}
    own = [r for r in own if r.path == path]
    lines = []
    for key in dict.fromkeys(r.key for t in tables for r in t):
        reads = [r for t in tables for r in t if r.key == key]
        what, conditions = _said(path, key, reads), _when(key, deps, order)
        if conditions:
            what = tr("{what} (only with {conditions})", what=what, conditions=conditions)
        if key in start:
            lines.append(_line(key, start[key], what, True))
            continue
        found, value = _example(reads, [r for r in own if r.key == key])
        if found:
            lines.append(_line(key, value, what, False))
        else:
            lines.append(_comment(f"# {key}: ", what))
    return lines


def scaffold(kind: str, title: str) -> str:
    """The text of a new scenario file of this kind."""
    start = json.loads(json.dumps(minimal_scenarios()[kind]))
    start["title"] = title
    own = load_recorded(start)
    if own is None:
        raise ScenarioError(tr('the starting {kind} scenario does not load (title "{title}")', kind=kind, title=title))
    catalog = explore()
    out = [_comment("# ", line) for line in tr(HEADER, kind=kind).split("\n")] + [""]
    top = [r for load in catalog.loads if kind_of(load) == kind for r in load if r.path == ""]
    for key in dict.fromkeys(r.key for r in top if r.reader not in ("section", "sections")):
        reads = [r for r in top if r.key == key]
        if key in start:
            out.append(_line(key, start[key], _said("", key), True))
        else:
            found, value = _example(reads, reads)
            out.append(_line(key, value if found else "", _said("", key), False))
    out += ["", _comment("# ", tr("{what} (see docs/lessons.md)", what=_said("", "lesson"))), "# [[lesson]]",
            *_table_lines("lesson", kind, {}, own)]      # no lesson to start with: every line a comment
    # a table the starting scenario reads gets its header (an empty table is valid); the others stay comments
    read = {r.key for r in own if r.path == ""}
    for key, reader in dict.fromkeys((r.key, r.reader) for r in top if r.reader in ("section", "sections")
                                     and r.key != "lesson"):
        what = _said("", key) if key in read else tr("{what} (not read with the names chosen above)",
                                                     what=_said("", key))
        out += ["", _comment("# ", what)]
        for entry in (start.get(key) or [{}]) if reader == "sections" else [start.get(key, {})]:
            out.append(f"{'' if key in read else '# '}{table_heading(key, reader)}")
            out += _table_lines(key, kind, entry, own)
    return "\n".join(line.rstrip() for line in "\n".join(out).split("\n")) + "\n"


TITLE_MARK = "TITLE-OF-THE-NEW-SCENARIO"


def write_new(kind: str, name: str) -> Path:
    """Write NAME(.toml) with a starting scenario of KIND; never over an existing file."""
    path = Path(name if name.endswith(".toml") else f"{name}.toml")
    text = cached_text(f"new-{kind}-{language()}.toml", lambda: scaffold(kind, TITLE_MARK))
    title = _line("title", TITLE_MARK, _said("", "title"), True)
    text = text.replace(title, _line("title", path.stem, _said("", "title"), True), 1)
    try:
        with open(path, "x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise ScenarioError(f"{path}: " + tr("already exists (tui-lab new never overwrites a file)")) from None
    except OSError as err:
        raise ScenarioError(f"{path}: " + tr("cannot write: {reason}", reason=err.strerror or err)) from None
    return path
