"""The language a person reads: English by default, Korean with `--lang ko` or a Korean locale.

Interface strings go through one catalogue, `tui_lab/locale/ko.toml`, keyed by the English text
itself, so the English source stays readable and a missing translation falls back to English
(and is caught by tests/test_i18n.py). Scenario texts carry their Korean beside the English in
the scenario file itself (`title_ko`, `description_ko`, `[[lesson]] text_ko`), so a lesson and
its translation are edited together. Keys, names and JSON stay English in every language.
docs/korean.md says how to add a Korean text.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib.resources import files

from rich.cells import cell_len

LANGUAGES = ("en", "ko")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

# argparse's own texts (usage, section titles, its error messages): cli.py hands argparse `tr` as
# its gettext, so these are translated too. They are listed here because no `tr("...")` in our
# source names them, and the catalogue test counts them as used.
ARGPARSE_TEXTS = (
    "usage: ",
    "positional arguments",
    "options",
    "show this help message and exit",
    "argument %(argument_name)s: %(message)s",
    "the following arguments are required: %s",
    "unrecognized arguments: %s",
    "expected one argument",
    "invalid choice: %(value)r (choose from %(choices)s)",
    "invalid %(type)s value: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s",
)

_chosen: str | None = None


def detect(environ=os.environ) -> str:
    """The language the locale asks for: the first of LC_ALL, LC_MESSAGES, LANG that is set decides,
    as the C library does; Korean when it starts with `ko`, else English."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def set_language(code: str | None) -> None:
    """`--lang`: fix the language for this process (None: back to the locale's)."""
    if code is not None and code not in LANGUAGES:
        raise ValueError(tr("unknown language {code}: expected one of {choices}", code=repr(code),
                            choices=", ".join(LANGUAGES)))
    global _chosen
    _chosen = code


def language() -> str:
    return _chosen or detect()


@cache
def catalogue(code: str) -> dict[str, str]:
    """English text -> its translation, for one language ({} for English)."""
    if code == "en":
        return {}
    return tomllib.loads((files("tui_lab.locale") / f"{code}.toml").read_text(encoding="utf-8"))


def tr(text: str, /, **fields) -> str:
    """`text` in the reader's language, with `{name}` fields filled in after translation (`text`
    is positional-only, so a field may be called `text` too)."""
    translated = catalogue(language()).get(text, text)
    return translated.format(**fields) if fields else translated


def N_(text: str) -> str:
    """Marks a text that is translated later, by `tr(variable)` (gettext's N_): the catalogue test
    finds it here, where a `tr(...)` of a variable would hide it."""
    return text


def in_language(english: str, korean: str) -> str:
    """A scenario text in the reader's language: its Korean twin when the reader reads Korean and
    the file has one, else the English."""
    return korean if korean and language() == "ko" else english


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal cells (a Hangul syllable takes two): ljust, or rjust when
    `right`; str.ljust counts characters and would misalign a table with Korean in it."""
    room = " " * max(width - cell_len(text), 0)
    return room + text if right else text + room
