"""Commands declared once: key, footer text and palette entry come from the same record.

The app's commands and each panel's commands are lists of `Command`. The app binds every one
of them itself, as priority bindings (`routed_bindings`), and decides at each key press whether
the command is live: the right panel in view, the right sub-tab, no dialog open, and no input
box typing that key. So a key works wherever the focus is (or when nothing has focus), the
footer shows exactly the live keys, and the palette and help screen read the same lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.binding import Binding

from ..i18n import language, tr


@dataclass(frozen=True)
class Command:
    key: str            # Textual key name(s), comma-separated
    action: str         # the action it runs on its owner (app or panel)
    title: str          # footer text and palette title (English, marked N_(): shown through tr())
    help: str           # palette and help-screen description (English, marked N_())
    footer: bool = True # shown in the footer (the footer has room for the main ones only)
    view: str = ""      # the owner panel's sub-tab where the command acts ("": all of them)


def routed_bindings(owner: str, commands: list[Command]) -> list[Binding]:
    """Priority bindings that send each key of `commands` to the app's `command` action, which
    runs the command on its owner ("app" or a panel's kind) when it is live."""
    out = []
    for index, c in enumerate(commands):
        for n, key in enumerate(k.strip() for k in c.key.split(",")):
            out.append(Binding(key, f"command({owner!r}, {index}, {key!r})", tr(c.title),
                               show=c.footer and n == 0, key_display=key_label(key), priority=True))
    return out


def tab_label(name: str) -> str:
    """A tab's label: its English name, which lessons in both languages cite ("Setup tab (2)",
    "Setup 탭(2)"), followed in Korean by its Korean word ("Setup 설정")."""
    shown = tr(name)
    return shown if language() == "en" or name in shown else f"{name} {shown}"


def types_into_input(key: str) -> bool:
    """A key an input box uses while the student types (characters and the editing keys): while an
    input has the focus, such a key goes to the input, not to a command."""
    if key.startswith(("ctrl+", "alt+")) or re.fullmatch(r"f\d+", key):
        return False
    return key not in ("escape", "up", "down", "pageup", "pagedown")


def key_label(key: str) -> str:
    """A key as the help screen and the footer show it."""
    names = {"space": "space", "question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]",
             "plus": "+", "minus": "-", "delete": "del", "full_stop": ".", "comma": ",",
             "equals_sign": "=", "less_than_sign": "<", "greater_than_sign": ">",
             "left_curly_bracket": "{", "right_curly_bracket": "}", "escape": "esc", "enter": "enter"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in key.split(","))
