"""The lab's dialogs: help, scenario browser, a path prompt and an overwrite question."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rich.align import Align
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import in_language, tr
from .commands import Command, key_label
from .inspector.text import all_rules_text


class Dialog(ModalScreen):
    """A modal that answers once: a second key arriving before it has closed is ignored
    (otherwise it would close the screen underneath)."""

    def dismiss(self, result=None):
        if self.is_current and not getattr(self, "_answered", False):
            self._answered = True
            return super().dismiss(result)
        return None

    async def action_dismiss(self, result=None) -> None:
        if self.is_current:
            await self._flush_next_callbacks()
            self.dismiss(result)


class LabPalette(CommandPalette):
    """Textual's command palette, closed safely: a search still running when the palette closes
    (a fast typist's Enter or Esc) must not look for the palette's list after it has gone. Its words
    are the reader's: the placeholder is given by whoever opens it, and Textual's own "No matches found"
    line (shown alone in the list, by its id, when a search finds nothing) is written over here."""

    def _watch__list_visible(self) -> None:
        if self.is_attached and self.query(CommandList):
            super()._watch__list_visible()
            found = self.query_one(CommandList)
            if found.option_count == 1 and found.get_option_at_index(0).id == self._NO_MATCHES:
                found.replace_option_prompt_at_index(0, Align.center(Text(tr("No matches found"), style="not bold")))


class HelpScreen(Dialog):
    """Every key of the lab: the app's, then the panel in view's."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[Command]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        text = Text()
        for title, commands in self.sections:
            text.append(f"{title}\n", style="bold underline")
            for c in commands:
                text.append(f"  {key_label(c.key):>14}  ", style="bold")
                text.append(f"{tr(c.title)}: {tr(c.help)}\n")
            text.append("\n")
        text.append_text(all_rules_text())       # the optimizers' update rules, as the inspector writes them
        text.append("\n\n")
        text.append(tr("Tab / shift+tab move between controls; Enter applies a typed value; "
                       "Escape closes a dialog. ctrl+p opens the command palette with every command."), style="dim")
        with Vertical(id="help-box", classes="dialog"):
            yield Label(tr("tui-lab keys   (Esc closes)"), classes="dialog-title")
            with VerticalScroll():
                yield Static(text, id="help-text")


def scenario_heading(path: Path) -> tuple[str, str]:
    """(kind, title) of a scenario file, read cheaply (no validation) for the browser's list."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return str(data.get("kind", "?")), in_language(str(data.get("title", path.stem)), str(data.get("title_ko", "")))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return "?", tr("(unreadable)")


class BrowserScreen(Dialog):
    """Shipped scenarios in course order under their section headings, or a file path."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        from ..scenario.shipped import course_sections, shipped_names, shipped_path

        options: list[Option] = []
        placed: set[str] = set()
        present = set(shipped_names())
        sections = course_sections()
        rest = [n for n in shipped_names() if n not in {m for _, names in sections for m in names}]
        if rest:
            sections.append((tr("More scenarios"), rest))
        for heading, names in sections:
            names = [n for n in names if n in present and n not in placed]
            if not names:
                continue
            options.append(Option(Text(heading, style="bold underline"), disabled=True))
            for name in names:
                placed.add(name)
                kind, title = scenario_heading(shipped_path(name))
                options.append(Option(Text.assemble(f"  {name}", (f"  [{kind}] ", "dim"), title), id=name))
        with Vertical(id="browser-box", classes="dialog"):
            yield Label(tr("Open a scenario   (Enter opens, Esc closes)"), classes="dialog-title")
            yield Input(placeholder=tr("or type a path to a .toml file and press Enter"), id="browser-path")
            yield OptionList(*options, id="browser-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#browser-path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class PromptScreen(Dialog):
    """Ask for a path (or any one-line answer), with a proposed default."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, default: str):
        super().__init__()
        self.question, self.default = question, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt-box"):
            yield Label(self.question, classes="dialog-title")
            yield Input(self.default, id="prompt-input")
            yield Label(tr("Enter confirms, Esc cancels"), classes="field-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class ConfirmScreen(Dialog):
    """A yes / no question (y / n, Enter = no)."""

    BINDINGS = [Binding("y", "dismiss(True)", "Yes"), Binding("n,escape,enter", "dismiss(False)", "No")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt-box"):
            yield Label(self.question, classes="dialog-title")
            with Horizontal():
                yield Label(tr("[b]y[/] yes    [b]n[/] no (default)"))
