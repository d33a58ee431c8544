"""The Validate tab: two sub-tabs, Validate (the picture a lecturer draws for each generalization
experiment) and Setup (data set, n, noise, method and its settings; every change reruns at once).

The experiment is computed once in a thread worker; the tab then reveals its rows one at a time,
so `n` adds one more fold, degree, replicate, trial or round to the picture and `space` plays the
rest through. `m` switches to the next method the data and model can run.
"""

from __future__ import annotations

import copy
import re

from rich.cells import cell_len
from rich.text import Text

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Select, Static, TabbedContent, TabPane

from ...core.validate import METHODS
from ...i18n import N_, tr
from ..autoplay import AutoplayPanel
from ..commands import Command, tab_label
from ..forms import FormPanel, edited, field_row, select_row
from ..plots import SafePlot
from .drawing import Figures
from .model import (CHOICE_KEYS, FOLD_VIEWS, SETUP_DATASETS, ValidateState, key_methods, method_raw, next_method,
                    setup_fields, with_data)

PLAY_SECONDS = 6.0          # `space` plays a long experiment through in about this long,
SLOWEST_RATE = 2.0          # and a short one at this many rows per second, so each can be seen
TICK_SECONDS = 0.1
PLOT_ROWS = 10              # rows the fits plot and its key keep under a fold layout
SHORT_ROWS = 24             # below this panel height a fold layout and the fits plot take turns (the
                            # layout while folds are revealed, the chosen model's fit once all are in)

VALIDATE_COMMANDS = [
    Command("m", "next_method", N_("Method"), N_("switch to the next validation method (same data and model)")),
    Command("1", "show_tab('validate-view')", N_("Validate tab"), N_("the experiment's pictures and numbers"),
            footer=False),
    Command("2", "show_tab('validate-setup')", N_("Setup tab"), N_("data set, n, noise, method and its settings"),
            footer=False),
]


class Picture(SafePlot):
    """The left ('fits') or right ('curves') picture of the tab's experiment. Its drawing says what
    it shows (title, key): the title goes above the plot, the key, which says what each colour
    is, to the line under it (`key_line`), in those colours and wrapped, never cut. A title wider
    than the plot goes to the front of the key line instead, so it too is read whole."""

    def __init__(self, figures: Figures, which: str, key_line: Static, **kwargs):
        super().__init__(**kwargs)
        self.figures = figures
        self.which = which
        self.key_line = key_line
        self._key = None

    def draw(self, plt) -> str | None:
        title, key = self.figures.draw(self.which, plt) or ("", "")
        if cell_len(title) > max(0, self.size.width - 4):
            title, key = "", f"{title}: {key}" if key else title
        if key != self._key:
            self._key = key
            self.app.call_later(self.key_line.update, coloured_key(key))
        return title


KEY_COLOUR_TEXTS = ("blue", "orange", "green", "red", "gray", "magenta", "dim")     # a key's colour words
COLOUR_WORDS = dict(zip(KEY_COLOUR_TEXTS, ("bold dodger_blue2", "bold orange1", "bold green", "bold red",
                                           "bold grey62", "bold magenta", "dim")))


def coloured_key(key: str) -> Text:
    """A plot's key with each colour's name written in that colour."""
    styles = {tr(word): style for word, style in COLOUR_WORDS.items()}     # the key is in the reader's language
    text = Text()
    for word in re.split(r"(\W+)", key):
        text.append(word, style=styles.get(word, ""))
    return text


class ValidatePanel(AutoplayPanel, FormPanel):
    KIND = "validate"
    COMMANDS = VALIDATE_COMMANDS
    TABS_ID = "#validate-tabs"
    ERROR_ID = "#validate-error"
    DEFAULT_CSS = """
    ValidatePanel { layout: vertical; }
    ValidatePanel #validate-tabs { height: 1fr; }
    ValidatePanel #validate-head { height: auto; max-height: 2; }
    ValidatePanel #validate-hint { height: auto; max-height: 2; color: $text-muted; }
    ValidatePanel #validate-row { height: 1fr; }
    ValidatePanel #validate-left { width: 1fr; }
    ValidatePanel #validate-right-column { width: 1fr; }
    ValidatePanel .validate-key { height: auto; max-height: 3; padding-right: 1; }
    ValidatePanel.short #validate-hint { display: none; }
    ValidatePanel.short #validate-numbers { max-height: 2; }
    ValidatePanel #validate-layout { height: auto; max-height: 50%; display: none; }
    ValidatePanel #validate-numbers { height: auto; max-height: 4; }
    ValidatePanel.folds #validate-layout { display: block; }
    ValidatePanel.folds.short #validate-fits, ValidatePanel.folds.short #validate-fits-key { display: none; }
    ValidatePanel.folds.short.done #validate-fits, ValidatePanel.folds.short.done #validate-fits-key { display: block; }
    ValidatePanel.folds.short.done #validate-layout { display: none; }
    ValidatePanel #validate-error { height: auto; display: none; color: $error; }
    ValidatePanel #validate-error.shown { display: block; }
    """

    class Computed(Message):
        def __init__(self, scenario, problem, outcome, result: dict) -> None:
            super().__init__()
            self.scenario, self.problem, self.outcome, self.result = scenario, problem, outcome, result

    class Failed(Message):
        def __init__(self, scenario, text: str) -> None:
            super().__init__()
            self.scenario, self.text = scenario, text

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state = ValidateState()
        self.figures = Figures(self.state)
        self._credit = 0.0        # rows owed to the play timer (it reveals fractions of a row per tick)
        self._form_shape: tuple | None = None

    def compose(self) -> ComposeResult:
        with TabbedContent(id="validate-tabs", initial="validate-view"):
            with TabPane(tab_label("Validate"), id="validate-view"):
                yield Static(tr("no scenario loaded"), id="validate-head")
                yield Static("", id="validate-hint")     # a short panel leaves it out: the heading keeps 2 lines
                with Horizontal(id="validate-row"):
                    with Vertical(id="validate-left"):
                        yield Static("", id="validate-layout")
                        fits_key = Static("", classes="validate-key", id="validate-fits-key")
                        yield Picture(self.figures, "fits", fits_key, id="validate-fits")
                        yield fits_key
                    with Vertical(id="validate-right-column"):
                        curves_key = Static("", classes="validate-key")
                        yield Picture(self.figures, "curves", curves_key, id="validate-right")
                        yield curves_key
                yield Static("", id="validate-numbers")
            with TabPane(tab_label("Setup"), id="validate-setup"):
                yield VerticalScroll(id="validate-setup-form")
        yield Static("", id="validate-error")

    def on_mount(self) -> None:
        self._start_timer(TICK_SECONDS)

    def on_resize(self, event) -> None:
        self.set_class(event.size.height < SHORT_ROWS, "short")

    # the state's pieces under the names the lab, tests and snapshots use
    @property
    def scenario(self):
        return self.state.scenario

    @property
    def outcome(self):
        return self.state.outcome

    @property
    def shown(self) -> int:
        return self.state.shown

    @property
    def total(self) -> int:
        return self.state.total

    # --- KindPanel --------------------------------------------------------------------------
    def load_scenario(self, scenario) -> None:
        self._pause()
        self.state.open(scenario)
        self._show(scenario)

    def _show(self, scenario) -> None:
        """Compute and show a scenario: an opened one, or this tab's edit of the one in view."""
        self._pause()
        self.state.load(scenario)
        self._say(tr("computing {method}…", method=scenario.settings.method))
        self.query_one("#validate-head", Static).update(tr("computing {method}…", method=scenario.settings.method))
        self.query_one("#validate-hint", Static).update("")
        self._compute(scenario)
        self.call_later(self._rebuild_setup)

    def _before_play(self) -> None:
        if self.shown >= self.total:
            self.state.reveal(0)
        self._credit = 0.0

    def step_once(self) -> None:
        self.advance(1)

    def advance(self, steps: int) -> None:
        if self._ready():
            self._pause()
            self._reveal(self.shown + steps)

    def reset(self) -> None:
        if self._ready():
            self._pause()
            self._reveal(0)

    def to_scenario(self) -> dict:
        if self.scenario is None:
            raise RuntimeError("no scenario loaded")
        return copy.deepcopy(self.scenario.raw)

    def results(self) -> dict | None:
        return self.state.result

    def _setup(self):
        return self.state if self.scenario is not None else None

    def action_next_method(self) -> None:
        """The same data and model under the next method they can run (methods they cannot are skipped)."""
        from ...scenario import load_scenario

        if self.scenario is None:
            return
        scenario, skipped = next_method(self.scenario.raw, self.scenario.settings.method, load_scenario,
                                        self.state.remembered)
        if scenario is None:
            self._say(tr("no other method runs on this data and model"))
            return
        self._show(scenario)
        if skipped:
            self._say(tr("computing {method}… (skipped {skipped}: not for this data or model)",
                         method=scenario.settings.method, skipped=", ".join(m.split(" ")[0] for m in skipped)))

    # --- computing ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="validate-compute", exit_on_error=False)
    def _compute(self, scenario) -> None:
        from ...kinds.validate import experiment, result_dict

        try:
            problem, outcome = experiment(scenario.settings, scenario.seed)
        except ValueError as err:
            self.post_message(self.Failed(scenario, str(err)))
            return
        result = {"title": scenario.title, "kind": scenario.kind, "seed": scenario.seed,
                  **result_dict(scenario.settings, problem, outcome, include_data=True)}
        self.post_message(self.Computed(scenario, problem, outcome, result))

    def on_validate_panel_computed(self, message: Computed) -> None:
        if message.scenario is not self.scenario:
            return                      # a newer scenario is on its way
        self.state.computed(message.problem, message.outcome, message.result)
        self.set_class(self.outcome.method in FOLD_VIEWS, "folds")
        self.query_one("#validate-head", Static).update(self.state.heading())
        self.query_one("#validate-hint", Static).update(
            tr("{count} {unit}s: n adds one, space plays, r resets, m next method, 2 Setup",
               count=self.total, unit=self.state.unit()))
        self._reveal(0)
        self._say(self.state.progress(N_("ready")))

    def on_validate_panel_failed(self, message: Failed) -> None:
        if message.scenario is self.scenario:
            self._say(tr("error: {message}", message=message.text))

    # --- revealing ---------------------------------------------------------------------------
    def _reveal(self, count: int) -> None:
        self.state.reveal(count)
        self.set_class(self.shown >= self.total, "done")
        self.query_one("#validate-fits").refresh()
        self.query_one("#validate-right").refresh()
        if self.outcome.method in FOLD_VIEWS:
            layout = self.query_one("#validate-layout", Static)
            size = self.query_one("#validate-left").size
            # the fits plot below keeps about PLOT_ROWS rows; the layout gets the rest (at least 2 folds)
            layout.update(self.state.fold_layout(size.width or 40, max(4, (size.height or 20) - PLOT_ROWS)))
        self.query_one("#validate-numbers", Static).update(self.state.numbers())
        if not self.playing:
            self._say(self.state.progress(N_("paused") if self.shown else N_("ready")))

    def _tick(self) -> None:
        if not self.playing or self.outcome is None:
            return
        self._credit += max(self.total / PLAY_SECONDS, SLOWEST_RATE) * TICK_SECONDS
        rows = int(self._credit)
        if not rows:
            return
        self._credit -= rows
        self._reveal(self.shown + rows)
        self._say(self.state.progress(N_("playing")))
        if self.shown >= self.total:
            self._pause()
            self._say(self.state.progress(N_("done")))

    def loaded(self) -> bool:
        return self.outcome is not None

    def _ready(self) -> bool:
        if not self.loaded():
            self._say(tr("still computing: one moment…"))
            return False
        return True

    def _progress(self, state: str) -> str:
        return self.state.progress(state)

    # --- the Setup tab -----------------------------------------------------------------------
    async def _rebuild_setup(self) -> None:
        """The form for the scenario in view: its method's keys only; rebuilt when that set changes."""

        if self.scenario is None:
            return
        raw = self.scenario.raw
        fields = setup_fields(raw)
        table = raw.get("validate", {})
        shape = (raw.get("data", {}).get("name"), table.get("method"), table.get("learner"),
                 tuple(path for _, path, *_ in fields))
        if shape == self._form_shape:
            return
        self._form_shape = shape
        rows = [Label(tr("Data"), classes="section-title"),
                select_row("data set", "validate-data-name", SETUP_DATASETS, raw.get("data", {}).get("name"))]
        rows += [field_row(*spec) for spec in fields[:3]]
        rows += [Label(tr("Method"), classes="section-title"),
                 select_row("method", "validate-method", METHODS, table.get("method"))]
        for key, choices in CHOICE_KEYS.items():
            if table.get("method") in key_methods()[key]:
                rows.append(select_row(key, f"validate-{key}", choices, table.get(key, choices[0])))
        rows += [field_row(*spec) for spec in fields[3:]]
        form = self.query_one("#validate-setup-form", VerticalScroll)
        await form.remove_children()
        await form.mount_all(rows)

    async def _apply_field(self, path: tuple, value, what: str) -> bool:
        return self._rerun(edited(self.scenario.raw, path, value), what)

    def _rerun(self, raw: dict, what: str) -> bool:
        """A changed setup: validated like a scenario file, then computed at once."""
        from ...scenario import load_scenario

        loaded = []
        if not self._validated(lambda: loaded.append(load_scenario(raw))):
            return False
        self._show(loaded[0])
        self._say(tr("{what}: computing {method}…", what=what, method=loaded[0].settings.method))
        return True

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        select, value = event.select, event.value
        if self.scenario is None or not isinstance(value, str) or value == getattr(select, "applied", value):
            return
        raw, name = self.scenario.raw, select.id or ""
        if name == "validate-data-name":
            changed = with_data(raw, value)
        elif name == "validate-method":
            changed = method_raw(raw, value, self.state.remembered)
        else:
            changed = edited(raw, ("validate", name.removeprefix("validate-")), value)
        if self._rerun(changed, f"{name.removeprefix('validate-').replace('-name', '')} {value}"):
            select.applied = value

    @on(TabbedContent.TabActivated, "#validate-tabs")
    def _tab_shown(self) -> None:
        if self.outcome is not None:
            self._reveal(self.shown)       # the fold layout is sized to the tab it is drawn in
