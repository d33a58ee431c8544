"""Scenario forms and the run controls shared by the panels that edit and run a scenario
(surface, train).

A form row binds an input box to one key path of the scenario dict. Every edit builds a new
dict and goes through the scenario validator, so the app accepts exactly what a scenario file
accepts; a bad value shows its one-line error and changes nothing.
"""

from __future__ import annotations

import copy
import threading
from typing import ClassVar

from textual import events, on
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static, TabbedContent

from ..i18n import N_, tr
from .panel import KindPanel


def parse_value(text: str):
    """An input box's text as a TOML value: bool, int, float, a list of numbers, or a string."""
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    parts = [p for p in text.strip("[]").replace(",", " ").split()]
    if len(parts) > 1:
        return [parse_value(p) for p in parts]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def show_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def edited(raw: dict, path: tuple, value) -> dict:
    """A copy of a scenario dict with one key set (None: removed, i.e. back to its default)."""
    raw = copy.deepcopy(raw)
    node = raw
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return raw


class FieldInput(Input):
    """An input box bound to one key path of the scenario."""

    def __init__(self, path: tuple, value: str, default: str, **kwargs):
        super().__init__(value=value, placeholder=default, **kwargs)
        self.path = path
        self.applied = value


def field_row(label: str, path: tuple, value, default, hint: str = "") -> Horizontal:
    shown = "" if value is None else show_value(value)
    default_text = tr("required") if default is None else tr("default {value}", value=show_value(default))
    return Horizontal(Label(label, classes="field-label"),
                      FieldInput(path, shown, default_text, classes="field-input", compact=True),
                      Label(f"{default_text}  {hint}".rstrip(), classes="field-hint"), classes="field-row")


class ChoiceSelect(Select):
    """A drop-down bound to one choice of the scenario; `applied` is the value the runs use, so the
    Changed event a Select posts when it is mounted is not taken for an edit."""

    def __init__(self, choices, value, **kwargs):
        super().__init__([(c, c) for c in choices], value=value if value in choices else Select.BLANK,
                         allow_blank=value not in choices, compact=True, prompt=tr("choose one"), **kwargs)
        self.applied = value

    def _on_mount(self, event: events.Mount) -> None:
        # Textual mounts nothing into a widget being removed, so a drop-down removed while it mounts (a form
        # rebuilt again, the app quitting during a load) has no parts: Select's own set-up would raise.
        if not self.query("SelectCurrent #label") or not self.query("SelectOverlay"):
            event.prevent_default()


def select_row(label: str, widget_id: str, choices, value) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), ChoiceSelect(choices, value, id=widget_id),
                      classes="field-row")


class FormPanel(KindPanel):
    """A panel whose runs advance in a thread worker (group RUN_GROUP) at one of SPEEDS, with
    tabs (TABS_ID) holding forms of FieldInputs whose errors show in ERROR_ID.

    A subclass provides `_setup()` (its runs, None while they load: an object with `raw`,
    `results()` and `finished()`), `_summary(state)`, `_finished_text()`, `_drive(budget)` and
    `_apply_field(path, value, what)`."""

    SPEEDS: ClassVar[tuple[int, ...]] = ()
    TABS_ID: ClassVar[str] = ""
    ERROR_ID: ClassVar[str] = ""
    RUN_GROUP: ClassVar[str] = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.running = False
        self.stepping = False            # advancing a given number of steps (n, a lesson step)
        self._drawn = threading.Event()

    def _setup(self):
        raise NotImplementedError

    def loaded(self) -> bool:
        return self._setup() is not None

    def toggle_run(self) -> None:
        if not self._ready():
            return
        if self.running:
            self._stop()
            self._say(self._summary(N_("paused")))
        elif self._setup().finished():
            self._say(self._finished_text())
        else:
            self.running, self.stepping = True, False
            self._drive(None)

    def to_scenario(self) -> dict:
        if self._setup() is None:
            raise RuntimeError(tr("the scenario is still loading"))
        return copy.deepcopy(self._setup().raw)

    def results(self) -> dict | None:
        return None if self._setup() is None else self._setup().results()

    def _stop(self) -> None:
        self.workers.cancel_group(self, self.RUN_GROUP)
        self.running = self.stepping = False
        self._drawn.set()

    def _changed(self, status: str) -> None:
        self._dirty = True
        self._drawn.set()
        self._say(status)

    def _ready(self) -> bool:
        if self._setup() is None:
            self._say(tr("still warming up: one moment…"))
            return False
        return True

    def _validated(self, change) -> bool:
        """Run an edit through the scenario validator; a bad value shows its one-line error."""
        from ..scenario.fields import ScenarioError

        error = self.query_one(self.ERROR_ID, Static)
        try:
            change()
        except ScenarioError as err:
            error.update(f"[b red]✗[/] {str(err).removeprefix('<dict>: ')}")
            error.add_class("shown")
            return False
        self._clear_error()
        return True

    def _clear_error(self) -> None:
        error = self.query_one(self.ERROR_ID, Static)
        error.update("")
        error.remove_class("shown")

    async def _apply_input(self, field: FieldInput) -> None:
        if self._setup() is None:
            return
        if field.value == field.applied:          # back to the value in force: nothing to apply, nothing wrong
            field.remove_class("-invalid")
            self._clear_error()
            return
        value = parse_value(field.value) if field.value.strip() else None
        if await self._apply_field(field.path, value, tr("{key} set", key=".".join(map(str, field.path)))):
            field.applied = field.value
            field.remove_class("-invalid")
        else:
            field.add_class("-invalid")

    @on(Input.Submitted, "FieldInput")
    async def _input_submitted(self, event: Input.Submitted) -> None:
        await self._apply_input(event.input)

    @on(Input.Blurred, "FieldInput")
    async def _input_blurred(self, event: Input.Blurred) -> None:
        await self._apply_input(event.input)

    def action_faster(self) -> None:
        self.speed = min(self.speed + 1, len(self.SPEEDS) - 1)
        self._say(self._summary(N_("running") if self.running else N_("paused")))

    def action_slower(self) -> None:
        self.speed = max(self.speed - 1, 0)
        self._say(self._summary(N_("running") if self.running else N_("paused")))

    def action_show_tab(self, tab: str) -> None:
        self.query_one(self.TABS_ID, TabbedContent).active = tab
