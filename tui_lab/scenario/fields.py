"""Reading scenario tables into typed values, with one-line errors.

A `Section` wraps one TOML table. Each `sec.number("lr", ...)`-style call reads and
checks one key and records it as known; `sec.done()` then rejects every key that was
never asked for, with a "did you mean" when a known key is close. So a typo can never
be silently ignored, and the list of valid keys is exactly the list of reads.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..i18n import N_, language, tr
from ..limits import MAX_LIST

_MISSING = object()
REQUIRED = _MISSING   # pass as a default to make a key required


MAX_MESSAGE = 200       # characters of an error message; echoed values are cut well before this
MAX_ECHO = 40           # characters of a user's value (or key) quoted in a message


class ScenarioError(ValueError):
    """Bad input. `str()` is the one-line message: `file: key.path: expected ..., got ...`.
    Whatever went into it, the message is one line of at most MAX_MESSAGE characters."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


def one_line(text: str, most: int = MAX_MESSAGE) -> str:
    """text with line breaks and other control characters escaped, cut to `most` characters."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))
    return text if len(text) <= most else text[:most - 1] + "…"


def show_key(key: Any) -> str:
    """A key as a message names it: as written when short and plain, else quoted and cut."""
    key = str(key)
    if len(key) <= MAX_ECHO and key and all(ch.isalnum() or ch in "_-.[]" for ch in key):
        return key
    return json.dumps(key if len(key) <= MAX_ECHO else key[:MAX_ECHO] + "…")


def describe(value: Any) -> str:
    """How a bad value is quoted in an error message (in words, in the reader's language, when it is
    a table or too long to quote)."""
    if isinstance(value, dict):
        return tr("a table")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        text = json.dumps(value, default=str)
        return text if len(text) <= 40 else tr("an array of length {count}", count=len(value))
    if isinstance(value, str):
        return json.dumps(value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…", ensure_ascii=False)
    if is_number(value) and isinstance(value, int) and abs(value) >= 10 ** MAX_ECHO:
        return tr("an integer of {count} digits", count=len(str(abs(value))))
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…"


def suggest(word: str, choices: Sequence[str]) -> str:
    if len(word) > 2 * MAX_ECHO:        # nothing is close to it, and difflib's time grows with its length
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return tr(' (did you mean "{word}"?)', word=close[0]) if close else ""


# What a reader expects, in the words readers compose in English (the reference shows the same
# words). A message translates them here, at the moment it is built: the phrase as a whole, or its
# shape with the names, numbers and choices kept as they are.
EXPECTED_TEXTS = (
    "a value", "a number", "an integer", "a string", "a table", "true or false", "a positive number",
    "a positive integer", "a non-negative number", "a non-negative integer", "a surface name",
    "a validation method", "a learner", "a built-in picture", "a named kernel", "a data set name", "a model name",
    "an optimizer name",
)
EXPECTED_SHAPES = (
    (re.compile(r"(a number|an integer) in (.+)"), N_("{noun} in {interval}"), ("noun", "interval")),
    (re.compile(r"(a number|an integer) ([<>]=?) (.+)"), N_("{noun} {relation} {bound}"),
     ("noun", "relation", "bound")),
    (re.compile(r"(.+), one of (.+)"), N_("{what}, one of {choices}"), ("what", "choices")),
    (re.compile(r"one of (.+)"), N_("one of {choices}"), ("choices",)),
    (re.compile(r"an array of (\d+) numbers"), N_("an array of {count} numbers"), ("count",)),
    (re.compile(r"an array of at most (\d+) numbers"), N_("an array of at most {count} numbers"), ("count",)),
    (re.compile(r"at most (\d+) values"), N_("at most {count} values"), ("count",)),
    (re.compile(r"an array of tables \(\[\[(.+)\]\]\)"), N_("an array of tables ([[{key}]])"), ("key",)),
    (re.compile(r"at most (\d+) \[\[(.+)\]\] tables"), N_("at most {count} [[{key}]] tables"), ("count", "key")),
)


def expected_text(text: str) -> str:
    """An English `expected` phrase in the reader's language (unchanged in English, or when its
    shape is not known: English then, rather than a wrong sentence)."""
    translated = tr(text)           # a whole phrase: EXPECTED_TEXTS, or marked N_("...") where it is written
    if language() == "en" or translated != text:
        return translated
    for pattern, template, names in EXPECTED_SHAPES:
        if match := pattern.fullmatch(text):
            parts = {name: tr(part) if part in EXPECTED_TEXTS else part for name, part in zip(names, match.groups())}
            return tr(template, **parts)
    return text


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite(value: Any) -> bool:
    """A number that is a finite float (an integer too large for a float is not)."""
    try:
        return is_number(value) and math.isfinite(value)
    except OverflowError:
        return False


class Section:
    """One table of a scenario, read key by key."""

    def __init__(self, data: dict, where: str, path: str = ""):
        if not isinstance(data, dict):
            raise ScenarioError(f"{where}: {path or 'scenario'}: " + tr("expected {expected}, got {got}",
                                                                        expected=expected_text("a table"),
                                                                        got=describe(data)))
        self.data = data
        self.where = where
        self.path = path
        self.known: list[str] = []

    # -- errors -----------------------------------------------------------------
    def key_path(self, key: str) -> str:
        return f"{self.path}.{show_key(key)}" if self.path else show_key(key)

    def fail(self, key: str, expected: str, got: Any = _MISSING, extra: str = "") -> ScenarioError:
        got_text = tr("nothing") if got is _MISSING else describe(got)
        expected = expected_text(expected)
        head, tail = tr("expected {expected}, got {got}", expected="\0", got=got_text + extra).split("\0")
        head = f"{self.where}: {self.key_path(key)}: {head}"
        room = max(MAX_MESSAGE - len(head) - len(tail), 20)    # a long list of choices is cut, not the rest
        if len(expected) > room:
            expected = expected[:room - 1] + "…"
        return ScenarioError(head + expected + tail)

    def fail_at(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {self.key_path(key)}: {message}")

    # -- raw access -------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING, expected: str = "a value") -> Any:
        self.known.append(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.fail(key, expected)
        return default

    def absent(self, key: str, default: Any) -> bool:
        """True when an optional key is not given (the reader then returns its default as is)."""
        if key in self.data or default is _MISSING:
            return False
        self.known.append(key)
        return True

    # -- typed readers ----------------------------------------------------------
    def number(self, key: str, default: Any = _MISSING, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False, expected: str | None = None) -> float:
        """A finite float within [low, high] (open ends where asked)."""
        text = expected or _range_text("a number", low, high, low_open, high_open)
        if self.absent(key, default):
            return default
        value = self.raw(key, default, text)
        if not is_finite(value):
            raise self.fail(key, text, value)
        if low is not None and (value < low or (low_open and value == low)):
            raise self.fail(key, text, value)
        if high is not None and (value > high or (high_open and value == high)):
            raise self.fail(key, text, value)
        return float(value)

    def integer(self, key: str, default: Any = _MISSING, *, low: int | None = None, high: int | None = None) -> int:
        text = _range_text("an integer", low, high, False, False)
        if self.absent(key, default):
            return default
        value = self.raw(key, default, text)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, text, value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(key, text, value)
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        if self.absent(key, default):
            return default
        value = self.raw(key, default, "true or false")
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def string(self, key: str, default: Any = _MISSING) -> str:
        if self.absent(key, default):
            return default
        value = self.raw(key, default, "a string")
        if not isinstance(value, str):
            raise self.fail(key, "a string", value)
        return value

    def choice(self, key: str, choices: Sequence[str], default: Any = _MISSING, what: str = "one of") -> str:
        text = f"{what} " + ", ".join(choices)
        if self.absent(key, default):
            return default
        value = self.raw(key, default, text)
        if not isinstance(value, str):
            raise self.fail(key, text, value)
        if value not in choices:
            raise self.fail(key, text, value, suggest(value, choices))
        return value

    def numbers(self, key: str, default: Any = _MISSING, *, length: int | None = None, most: int = MAX_LIST,
                check: Callable[[float], bool] | None = None, expected: str | None = None) -> list[float]:
        """A flat list of finite numbers (of a given length when asked; at most `most` of them)."""
        text = expected or (f"an array of {length} numbers" if length else f"an array of at most {most} numbers")
        if self.absent(key, default):
            return default
        value = self.raw(key, default, text)
        if isinstance(value, list) and length is None and len(value) > most:
            raise self.fail(key, f"at most {most} values", value)
        if (not isinstance(value, list) or (length is not None and len(value) != length)
                or not all(is_finite(v) for v in value)
                or (check is not None and not all(check(v) for v in value))):
            raise self.fail(key, text, value)
        return [float(v) for v in value]

    def section(self, key: str, required: bool = False) -> "Section":
        value = self.raw(key, _MISSING if required else {}, "a table")
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return Section(value, self.where, self.key_path(key))

    def sections(self, key: str, required: bool = False, most: int = MAX_LIST) -> list["Section"]:
        """An array of tables, e.g. [[optimizers]] (at most `most` of them)."""
        expected = "an array of tables ([[%s]])" % key
        value = self.raw(key, _MISSING if required else [], expected)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value) or (required and not value):
            raise self.fail(key, expected, value)
        if len(value) > most:
            raise self.fail(key, f"at most {most} [[{key}]] tables", value)
        return [Section(v, self.where, f"{self.key_path(key)}[{i}]") for i, v in enumerate(value)]

    def extras(self) -> dict[str, Any]:
        """Keys not read so far (for tables whose valid keys depend on an earlier value)."""
        return {k: v for k, v in self.data.items() if k not in self.known}

    def done(self) -> None:
        """Reject any key that was never read."""
        for key in self.data:
            if key not in self.known:
                raise self.fail_at(key, tr("unknown key") + _did_you_mean_key(key, self.known))


def _did_you_mean_key(key: str, known: list[str]) -> str:
    hint = suggest(key, sorted(set(known)))
    return hint if hint else tr("; valid keys here: {keys}", keys=", ".join(sorted(set(known))))


def _range_text(base: str, low, high, low_open: bool, high_open: bool) -> str:
    if low == 0 and low_open and high is None:
        return "a positive " + base.split()[-1]
    if low == 0 and high is None:
        return "a non-negative " + base.split()[-1]
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"{base} in {left}{_fmt(low)}, {_fmt(high)}{right}"
    if low is not None:
        return f"{base} {'>' if low_open else '>='} {_fmt(low)}"
    if high is not None:
        return f"{base} {'<' if high_open else '<='} {_fmt(high)}"
    return base


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
