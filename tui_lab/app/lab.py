"""The lab's shell: one tab per registered kind panel, the lesson bar, the status line, and the
commands that act on whichever panel is in view (fixed keys, lessons, save / export, browser).

The first frame shows before NumPy or Numba load: scenarios are read in a thread worker and
handed to their panel when ready, and each panel warms up its kernels in its own worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent, Tabs, TabPane

from ..i18n import N_, tr
from .commands import Command, routed_bindings, tab_label, types_into_input
from .footer import FittingFooter
from .panel import KindPanel, PanelError, PanelStatus
from .screens import BrowserScreen, ConfirmScreen, HelpScreen, LabPalette, PromptScreen

DEFAULT_SCENARIO = "rosenbrock-race"
KIND_ORDER = ("validate", "surface", "train", "conv")    # the course's order
MIN_WIDTH, MIN_HEIGHT = 60, 18

APP_COMMANDS = [
    Command("space", "run_pause", N_("Run/pause"), N_("run or pause the simulation in view")),
    Command("n", "step", N_("Step"), N_("one step (optimizer step, epoch, kernel position...)")),
    Command("r", "reset", N_("Reset"), N_("back to the start of the current setup")),
    Command("right_square_bracket", "lesson(1)", N_("Lesson ›"), N_("next lesson step (advances the simulation)")),
    Command("left_square_bracket", "lesson(-1)", N_("‹ Lesson"), N_("previous lesson step"), footer=False),
    Command("o", "open", N_("Open"), N_("open a shipped scenario or a file")),
    Command("s", "save", N_("Save"), N_("save the current setup as a scenario file")),
    Command("e", "export_json", N_("Export JSON"), N_("export the runs as JSON"), footer=False),
    Command("c", "export_csv", N_("Export CSV"), N_("export the runs as CSV files into a folder"), footer=False),
    Command("S", "screenshot", N_("Screenshot"), N_("save an SVG screenshot"), footer=False),
    Command("question_mark", "help", N_("Help"), N_("every key")),
    Command("q", "quit", N_("Quit"), N_("leave the lab")),
    Command("ctrl+p", "command_palette", N_("Palette"), N_("the command palette: every command by name"), footer=False),
    Command("escape", "leave_input", N_("Leave input"), N_("stop typing in an input box (the typed value is applied)"),
            footer=False),
]
TAB_KEYS = ("f1", "f2", "f3", "f4", "f5", "f6")
# the top tabs' names (their kinds, capitalized), shown through tab_label
KIND_TABS_TEXTS = ("Validate", "Surface", "Train", "Conv")


def tab_commands(kinds) -> list[Command]:
    """F1.. show the lab's top tabs, in their order; ctrl+← / ctrl+→ step through them (terminals and
    browsers that keep the F keys for themselves still pass those on)."""
    return [Command(key, f"show_kind({kind!r})", tr("{tab} tab", tab=kind.capitalize()),
                    tr("show the {kind} tab", kind=kind), footer=False)
            for key, kind in zip(TAB_KEYS, kinds)] + [
        Command("ctrl+right", "next_kind(1)", N_("Next tab"), N_("show the next top tab"), footer=False),
        Command("ctrl+left", "next_kind(-1)", N_("Previous tab"), N_("show the previous top tab"), footer=False)]


class ScenarioLoaded(Message):
    def __init__(self, scenario) -> None:
        super().__init__()
        self.scenario = scenario


class LoadFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def registered_panels() -> Mapping[str, type[KindPanel]]:
    """kind -> panel class in the course's order; a panel's module is imported when first asked for."""
    from .panels import PANEL_PLACES, LazyPanels

    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return LazyPanels({kind: PANEL_PLACES[kind] for kind in sorted(PANEL_PLACES, key=lambda k: order.get(k, len(order)))})


class LabApp(App):
    TITLE = "tui-lab"
    CSS_PATH = "lab.tcss"
    # Ctrl-C leaves from anywhere, also from an input box (whose own ctrl+c would copy)
    BINDINGS = [Binding("ctrl+c", "help_quit", show=False, priority=True)]

    def __init__(self, scenario: str | None = None, panels: Mapping[str, type[KindPanel]] | None = None,
                 probe: bool = False):
        super().__init__()
        self.probe = probe                                 # bench: quit at the first frame
        self.source = scenario or DEFAULT_SCENARIO
        self.panel_classes = registered_panels() if panels is None else panels
        self.scenarios: dict[str, object] = {}             # kind -> the scenario its panel shows
        self.lesson_index: dict[str, int] = {}             # kind -> lesson entry in view (-1: intro)
        self.requested: set[str] = set()                   # kinds whose first scenario is on its way
        self._building: dict = {}                          # kind -> its panel's mount, built on first show
        self._lesson_moves: dict[str, object] = {}         # kind -> the lesson step waiting to advance
        self.pressed_key = ""                              # the key of the command running now
        self.statuses: dict[str, str] = {}
        self.errors: list[BaseException] = []              # every worker error, for tests and the log
        self.first_frame_at: float | None = None
        # every command of the app, bound here once (see commands.py); a panel's commands are bound
        # when the panel is first built (its module imported), see build_panel
        self.routes: dict[str, list[Command]] = {}
        self._route("app", APP_COMMANDS + tab_commands(self.panel_classes))
        # Textual's own ctrl+p binding (its footer entry) in the reader's language
        self._bindings.key_to_bindings[self.COMMAND_PALETTE_BINDING] = [
            replace(b, description=tr("palette")) if b.action == "command_palette" else b
            for b in self._bindings.key_to_bindings.get(self.COMMAND_PALETTE_BINDING, [])]

    def _route(self, owner: str, commands: list[Command]) -> None:
        self.routes[owner] = commands
        for binding in routed_bindings(owner, commands):
            self._bindings.key_to_bindings.setdefault(binding.key, []).append(binding)

    # --- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        shown = self._kind_of(self.source)
        # only the panel in view is built now: the others when first shown (build_panel)
        with TabbedContent(id="kinds", initial=f"tab-{shown}" if shown else ""):
            for kind in self.panel_classes:
                with TabPane(tab_label(kind.capitalize()), id=f"tab-{kind}"):
                    if kind == (shown or next(iter(self.panel_classes))):
                        yield self._new_panel(kind)
        yield Static("", id="lesson")
        yield Static(tr("loading…"), id="status")
        yield Static(tr("The terminal is too small for the lab: please make it at least "
                        "{width}x{height} (80x24 or more is best).", width=MIN_WIDTH, height=MIN_HEIGHT),
                     id="too-small")
        yield FittingFooter()

    def _kind_of(self, source: str) -> str:
        """The kind a scenario file declares (read cheaply, so the right tab shows in the first frame)."""
        from ..scenario.shipped import shipped_path
        from .screens import scenario_heading

        path = Path(source) if Path(source).exists() else shipped_path(source)
        kind = scenario_heading(path)[0]
        return kind if kind in self.panel_classes else ""

    def on_mount(self) -> None:
        self._fit(self.size.width, self.size.height)
        self.call_after_refresh(self._first_frame)
        self.requested.add(self._kind_of(self.source))
        self.load(self.source, True)

    def pop_screen(self):
        """Never pop the main screen: a fast typist can close a dialog twice (Textual's command
        palette, for one, reacts to a second Enter while it is closing)."""
        if len(self.screen_stack) <= 1:
            from textual.await_complete import AwaitComplete

            return AwaitComplete(asyncio.sleep(0))
        return super().pop_screen()

    def _first_frame(self) -> None:
        self.first_frame_at = time.perf_counter()
        from .warm_up import FIRST_FRAME

        FIRST_FRAME.set()
        if self.probe:
            self.exit()

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        self.screen.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")

    # --- panels ----------------------------------------------------------------------------
    def current_kind(self) -> str | None:
        # asked for every key binding the footer shows: keep the tab strip at hand rather than
        # searching the whole DOM each time (that search was a third of the startup time)
        tabs = getattr(self, "_kinds_tabs", None)
        if tabs is None or not tabs.is_attached:
            found = self.screen_stack[0].query("#kinds") if self.screen_stack else None
            if not found:   # the lab's screen is gone: a late message while the app closes
                return None
            tabs = self._kinds_tabs = found.first(TabbedContent)
        active = tabs.active
        return active.removeprefix("tab-") if active.startswith("tab-") else None

    def _new_panel(self, kind: str) -> KindPanel:
        """A kind's panel widget (its module imported and its commands bound the first time)."""
        panel_class = self.panel_classes[kind]
        if kind not in self.routes:
            self._route(kind, list(panel_class.COMMANDS))
            self.refresh_bindings()
        return panel_class(id=f"panel-{kind}")

    def built_panel(self, kind: str) -> KindPanel | None:
        """A kind's panel if it has been built (a panel is built when its tab is first shown)."""
        found = self.query(f"#panel-{kind}")
        return found.first(KindPanel) if found else None

    def build_panel(self, kind: str) -> None:
        """Build a kind's panel into its tab unless it is there (it mounts in the background;
        on_scenario_loaded awaits that before handing it a scenario)."""
        if kind not in self._building and self.built_panel(kind) is None:
            self._building[kind] = self.query_one(f"#tab-{kind}", TabPane).mount(self._new_panel(kind))

    def current_panel(self) -> KindPanel | None:
        kind = self.current_kind()
        if kind in self.panel_classes and kind in self.scenarios:
            return self.query_one(f"#panel-{kind}", KindPanel)
        return None

    def call_panel(self, method: str, *args):
        """Run a panel hook; a panel that lacks it or fails says so in the status line, never crashes."""
        panel = self.current_panel()
        if panel is None:
            self.set_status(tr("nothing loaded here yet: press o to open a scenario"))
            return None
        try:
            return getattr(panel, method)(*args)
        except NotImplementedError:
            self.set_status(tr("the {kind} panel has no '{method}' yet", kind=panel.KIND, method=method))
        except Exception as err:     # a panel's bug must not take the lab down
            self.report_error(err)
        return None

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self, source: str, select: bool = True) -> None:
        """Read and validate a scenario off the UI thread (it imports the numeric core)."""
        from .. import load_scenario
        from ..scenario.fields import ScenarioError

        try:
            scenario = load_scenario(source)
        except ScenarioError as err:
            self.post_message(LoadFailed(str(err)))
            return
        scenario.select = select
        self.post_message(ScenarioLoaded(scenario))

    async def on_scenario_loaded(self, message: ScenarioLoaded) -> None:
        sc = message.scenario
        tabs = self.query_one("#kinds", TabbedContent)
        if sc.kind not in self.panel_classes:
            pane_id = f"nopanel-{sc.kind}"
            if not self.query(f"#{pane_id}"):
                tabs.add_pane(TabPane(sc.kind.capitalize(), Static(
                    tr("There is no {kind} panel in this build of the lab yet.\n\n"
                       "'{title}' runs headless: tui-lab run {source}",
                       kind=sc.kind, title=sc.shown_title, source=sc.source), classes="no-panel"), id=pane_id))
            tabs.active = pane_id
            self.set_status(tr("{title}: no {kind} panel yet", title=sc.shown_title, kind=sc.kind))
            return
        self.scenarios[sc.kind] = sc
        self.lesson_index[sc.kind] = -1
        self._lesson_moves.pop(sc.kind, None)
        if getattr(sc, "select", True):
            tabs.active = f"tab-{sc.kind}"
        self.build_panel(sc.kind)
        if sc.kind in self._building:
            await self._building.pop(sc.kind)
        try:
            self.query_one(f"#panel-{sc.kind}", KindPanel).load_scenario(sc)
        except Exception as err:
            self.report_error(err)
        self.sub_title = sc.shown_title
        self._show_lesson()
        self.call_after_refresh(self._focus_panel)

    def _focus_panel(self, lost_only: bool = False) -> None:
        """Put the focus on the panel in view's main widget (its view before its tab strip, never
        an input box, where letters would be typed), so the focus is visible and where the keys
        act. With lost_only, only when the focus was lost (its widget hidden)."""
        kind = self.current_kind()
        panel = self.built_panel(kind) if kind in self.panel_classes else None
        if panel is None or self.screen is not self.screen_stack[0]:
            return
        chain = self.screen.focus_chain
        focused = self.focused
        if focused is not None and focused in chain and (lost_only or panel in focused.ancestors):
            return
        inside = [w for w in chain if panel in w.ancestors]
        views = [w for w in inside if not isinstance(w, (Input, Tabs))]
        for widget in views + [w for w in inside if isinstance(w, Tabs)] + inside:
            widget.focus()
            return

    # --- the command router ------------------------------------------------------------------
    def command_live(self, owner: str, index: int, key: str) -> bool:
        """Whether a declared command acts now: no dialog open, not a key the focused input box
        types, its panel in view (and loaded) on the command's sub-tab, and its owner willing."""
        if len(self.screen_stack) > 1 and self.screen is not self.screen_stack[0]:
            return False
        command = self.routes[owner][index]
        if isinstance(self.focused, Input) and types_into_input(key):
            return False
        if owner == "app":
            name = command.action.split("(")[0]
            return self.check_action(name, ()) is not False
        if owner != self.current_kind() or owner not in self.scenarios:
            return False
        panel = self.query_one(f"#panel-{owner}", KindPanel)
        return not command.view or command.view == panel.current_view()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "command":
            return self.command_live(*parameters)
        if action == "leave_input":
            return isinstance(self.focused, Input)
        return True

    async def action_command(self, owner: str, index: int, key: str) -> None:
        command = self.routes[owner][index]
        self.pressed_key = key            # for a command bound to several keys that types them (conv's digits)
        target = self if owner == "app" else self.query_one(f"#panel-{owner}", KindPanel)
        try:
            await target.run_action(command.action)
        except Exception as err:          # a panel's bug must not take the lab down
            self.report_error(err)
        self.call_after_refresh(self._focus_panel, True)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Any tab shown (top or a panel's sub-tab): the footer shows the keys live there now."""
        self.refresh_bindings()

    def action_leave_input(self) -> None:
        """Esc in an input box: the value is applied (as on leaving it) and the focus returns to
        the panel's main widget."""
        self.screen.set_focus(None)
        self._focus_panel()

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if not CommandPalette.is_open(self):
            self.push_screen(LabPalette(placeholder=tr("Search for commands…"), id="--command-palette"))

    def search_themes(self) -> None:
        """Textual's theme picker (the palette's Theme entry), its prompt in the reader's language."""
        from textual.theme import ThemeProvider

        self.push_screen(LabPalette(providers=[ThemeProvider], placeholder=tr("Search for themes…")))

    def action_show_kind(self, kind: str) -> None:
        self.query_one("#kinds", TabbedContent).active = f"tab-{kind}"
        self._first_show(kind)

    def _first_show(self, kind: str | None) -> None:
        """A panel seen for the first time is built and gets the first shipped scenario of its kind
        (also called straight from the tab keys, not only on the tab strip's message)."""
        if kind not in self.panel_classes:
            return
        self.build_panel(kind)
        if kind not in self.scenarios and kind not in self.requested:
            self.requested.add(kind)
            self.statuses[kind] = tr("loading a {kind} scenario…", kind=kind)
            self._load_first_of(kind)

    def action_next_kind(self, direction: int) -> None:
        kinds = list(self.panel_classes)
        current = self.current_kind()
        at = kinds.index(current) if current in kinds else 0
        self.action_show_kind(kinds[(at + direction) % len(kinds)])

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(message.text, title=tr("cannot open"), severity="error", timeout=8)
        self.set_status(tr("error: {message}", message=message.text))

    @on(TabbedContent.TabActivated, "#kinds")
    def _kind_shown(self) -> None:
        kind = self.current_kind()
        self._first_show(kind)
        self.set_status(self.statuses.get(kind or "", ""))
        self._show_lesson()
        self.call_after_refresh(self._focus_panel)

    @work(thread=True, group="load-first", exit_on_error=False)
    def _load_first_of(self, kind: str) -> None:
        from ..scenario.shipped import shipped_names, shipped_path
        from .screens import scenario_heading

        for name in shipped_names():
            if scenario_heading(shipped_path(name))[0] == kind:
                self.call_from_thread(self.load, name, self.current_kind() == kind)
                return
        self.call_from_thread(self.set_status, tr("no shipped {kind} scenario yet: press o to open a file", kind=kind))

    # --- status, errors --------------------------------------------------------------------
    def on_panel_status(self, message: PanelStatus) -> None:
        kind = message.kind or getattr(getattr(message, "_sender", None), "KIND", None) or self.current_kind() or ""
        self.statuses[kind] = message.text
        if kind == self.current_kind():
            self.set_status(message.text)

    def on_panel_error(self, message: PanelError) -> None:
        self.report_error(message.error)

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    def report_error(self, err: BaseException) -> None:
        """The one place errors are shown: a notification and the status line (and the log)."""
        self.errors.append(err)
        self.log.error(repr(err))
        self.notify(f"{type(err).__name__}: {err}", title=tr("error"), severity="error", timeout=8)
        self.set_status(tr("error: {message}", message=err))

    def report_problem(self, text: str) -> None:
        """A user's request that cannot be done (a bad path, a bad value): said, not counted as a fault."""
        self.notify(text, title=tr("not done"), severity="warning", timeout=8)
        self.set_status(text)

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # --- lessons ---------------------------------------------------------------------------
    def _show_lesson(self) -> None:
        bar = self.query_one("#lesson", Static)
        kind = self.current_kind()
        sc = self.scenarios.get(kind or "")
        lessons = getattr(sc, "lessons", None)
        bar.display = bool(lessons)
        if not lessons:
            return
        i = self.lesson_index.get(kind, -1)
        if i < 0:
            bar.update(Text.assemble((tr("Lesson"), "bold"),
                                     tr(" ({count} steps): {title}.  ", count=len(lessons), title=sc.shown_title),
                                     (tr("Press ] to begin."), "")))
        else:
            more = tr("  ] next, [ back") if i + 1 < len(lessons) else tr("  (last step; [ back)")
            bar.update(Text.assemble((tr("Lesson {step}/{count}", step=i + 1, count=len(lessons)), "bold"),
                                     f"  {lessons[i].shown_text}", (more, "dim")))

    def action_lesson(self, delta: int) -> None:
        """Lesson entry i shows the state it describes: the lesson's own scenario reloaded (the
        student's runs and setup edits undone), then its steps up to and including entry i."""
        kind = self.current_kind()
        sc = self.scenarios.get(kind or "")
        lessons = getattr(sc, "lessons", None)
        if not lessons:
            self.set_status(tr("this scenario has no lesson"))
            return
        old = self.lesson_index.get(kind, -1)
        new = max(-1, min(len(lessons) - 1, old + delta))
        if new == old:
            return
        self.lesson_index[kind] = new
        self.call_panel("load_scenario", sc)
        total = sum(le.steps for le in lessons[:new + 1])
        token = self._lesson_moves[kind] = object()
        if total:
            self._advance_when_loaded(kind, token, total)
        self._show_lesson()

    def _advance_when_loaded(self, kind: str, token: object, steps: int) -> None:
        """Advance a reloaded panel by a lesson's steps once its scenario is computed (loading runs
        in a worker), unless another lesson key or scenario came first."""
        panel = self.built_panel(kind)

        def check() -> None:
            if self._lesson_moves.get(kind) is not token or panel is None or not panel.is_attached:
                timer.stop()
                return
            try:
                if panel.loaded():
                    timer.stop()
                    panel.advance(steps)       # the panel of this lesson, whichever tab is in view now
            except Exception as err:           # a panel's bug must not take the lab down
                timer.stop()
                self.report_error(err)

        timer = self.set_interval(0.05, check)

    # --- the fixed keys --------------------------------------------------------------------
    def action_run_pause(self) -> None:
        self.call_panel("toggle_run")

    def action_step(self) -> None:
        self.call_panel("step_once")

    def action_reset(self) -> None:
        self.call_panel("reset")

    def action_help(self) -> None:
        panel = self.current_panel()
        sections = [(tr("The lab"), APP_COMMANDS)]
        if panel is not None:
            sections.append((tr("The {kind} panel", kind=panel.KIND), panel.commands()))
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen):
        """The palette: every app command and the panel in view's commands, from their one declaration."""
        for c in APP_COMMANDS:
            if c.action != "command_palette":
                yield SystemCommand(tr(c.title), tr(c.help), partial(self.run_action, c.action))
        panel = self.current_panel()
        if panel is not None:
            for c in panel.commands():
                yield SystemCommand(f"{panel.KIND}: {tr(c.title)}", tr(c.help), partial(panel.run_action, c.action))
        for kind in self.panel_classes:
            yield SystemCommand(tr("Show the {kind} panel", kind=kind), tr("switch to the {kind} tab", kind=kind),
                                partial(setattr, self.query_one("#kinds", TabbedContent), "active", f"tab-{kind}"))
        yield SystemCommand(tr("Theme"), tr("change the colour theme"), self.action_change_theme)

    # --- open, save, export ----------------------------------------------------------------
    def action_open(self) -> None:
        def opened(source: str | None) -> None:
            if source:
                self.set_status(tr("opening {source}…", source=source))
                self.load(source, True)
        self.push_screen(BrowserScreen(), opened)

    def _file_stem(self) -> str:
        sc = self.scenarios.get(self.current_kind() or "")
        return getattr(sc, "name", "scenario")

    def ask_path(self, question: str, default: str, then) -> None:
        """Ask for a path; an existing file is only replaced after a yes."""
        def answered(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            if target.exists() and not target.is_dir():
                self.push_screen(ConfirmScreen(tr("{path} exists. Replace it?", path=target)),
                                 lambda yes: then(target) if yes else self.set_status(tr("not saved")))
            else:
                then(target)
        self.push_screen(PromptScreen(question, default), answered)

    def action_help_quit(self) -> None:
        """Ctrl-C (Textual's own binding, live even in dialogs) leaves at once, exit 130, as it stops
        every tui-lab command."""
        self.exit(return_code=130)

    def action_save(self) -> None:
        if self.call_panel_ready():
            self.ask_path(tr("Save the setup as a scenario file"), f"{self._file_stem()}-mine.toml", self._save_scenario)

    def call_panel_ready(self) -> bool:
        if self.current_panel() is None:
            self.set_status(tr("nothing loaded here yet: press o to open a scenario"))
            return False
        return True

    def _save_scenario(self, target: Path) -> None:
        import tomli_w

        from .. import load_scenario
        from ..output import write_atomic
        from ..scenario.fields import ScenarioError

        data = self.call_panel("to_scenario")
        if data is None:
            return
        try:
            load_scenario(data)                      # never save a file the lab would refuse to open
            text = tomli_w.dumps(without_none(data))
        except (ScenarioError, TypeError, ValueError) as err:
            self.report_error(err)
            return
        if not self._write(target, text):
            return
        self.set_status(tr("saved {path}: open it with  tui-lab {path}", path=target))

    def _write(self, target: Path, text: str) -> bool:
        """Write a file atomically; a path that cannot be written is the user's to fix, not a fault."""
        from ..output import write_atomic

        try:
            write_atomic(target, text)
        except OSError as err:
            self.report_problem(tr("cannot write {path}: {reason}", path=target, reason=err.strerror or err))
            return False
        return True

    def action_export_json(self) -> None:
        if self.call_panel_ready():
            self.ask_path(tr("Export the runs as JSON"), f"{self._file_stem()}.json", partial(self._export, "json"))

    def action_export_csv(self) -> None:
        if not self.call_panel_ready():
            return

        def chosen(path: str | None) -> None:
            if path:
                self._export("csv", Path(path).expanduser())
        self.push_screen(PromptScreen(tr("Export the runs as CSV files into the folder"), f"{self._file_stem()}-csv"),
                         chosen)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, form: str, target: Path) -> None:
        """Results can take a moment (they are recomputed exactly), so they are written off the UI thread."""
        from ..kinds import KINDS
        from ..output import check_folder, csv_text, to_json, write_files

        panel = self.current_panel()
        result = panel.results() if panel is not None else None
        if not result:
            self.call_from_thread(self.set_status, tr("nothing to export yet: run something first"))
            return
        if form == "json":
            if self.call_from_thread(self._write, target, to_json(result) + "\n"):
                self.call_from_thread(self.set_status, tr("exported {path}", path=target))
            return
        tables = KINDS[panel.KIND].csv_tables(result)
        try:      # the rules of `tui-lab run --csv`: existing files are kept, all files are written or none
            targets = check_folder(target, list(tables))
            write_files([(t, csv_text(rows)) for t, rows in zip(targets, tables.values())])
        except OSError as err:
            self.call_from_thread(self.report_problem, tr("not exported: {reason}", reason=err))
            return
        self.call_from_thread(self.set_status, tr("exported {count} CSV file(s) into {path}", count=len(tables), path=target))

    def action_screenshot(self) -> None:
        def save(target: Path) -> None:
            if self._write(target, self.export_screenshot()):
                self.set_status(tr("screenshot saved: {path}", path=target))
        self.ask_path(tr("Save an SVG screenshot"), f"{self._file_stem()}.svg", save)


def without_none(value):
    """TOML has no null: unset keys are left out (they take their defaults)."""
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value
