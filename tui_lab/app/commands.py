"""Commands declared once: key, footer text and palette entry come from the same record.

The app's commands and each panel's commands are lists of `Command`; `bindings()` turns a
list into Textual BINDINGS, and the app turns the same lists into command-palette entries
and the help screen, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    key: str            # Textual key name(s), comma-separated
    action: str         # the action it runs on its owner (app or panel)
    title: str          # footer text and palette title
    help: str           # palette and help-screen description
    footer: bool = True # shown in the footer (the footer has room for the main ones only)
    priority: bool = False


def bindings(commands: list[Command]) -> list[Binding]:
    return [Binding(c.key, c.action, c.title, show=c.footer, priority=c.priority) for c in commands]


def key_label(key: str) -> str:
    """A key as the help screen shows it."""
    names = {"space": "space", "question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]",
             "plus": "+", "minus": "-", "delete": "del"}
    return " / ".join(names.get(k, k) for k in key.split(","))
