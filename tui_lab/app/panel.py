"""The contract between the lab's main screen and each scenario kind's panel.

The app shows one KindPanel per kind (surface, train, conv, validate) and routes the fixed
keys and the lesson walk-through to the panel in view. A panel owns its widgets, workers and
plots; it imports tui_lab.core / tui_lab.kinds, never the other way round.
"""

from __future__ import annotations

from typing import ClassVar

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState


class PanelStatus(Message):
    """A one-line status for the app's status bar (e.g. 'running: epoch 40/100', 'diverged at step 12'),
    from the panel of `kind`: shown while that panel is in view, kept for when it comes back."""

    def __init__(self, text: str, kind: str = "") -> None:
        super().__init__()
        self.text = text
        self.kind = kind


class PanelError(Message):
    """A panel's worker failed: the app shows it (one handler for every panel's workers)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class KindPanel(Widget):
    """One tab of the lab for one scenario kind."""

    KIND: ClassVar[str] = ""
    COMMANDS: ClassVar[list] = []   # tui_lab.app.commands.Command: the app binds and routes them

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker errors (workers started with exit_on_error=False) go to the app's error handler."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(PanelError(event.worker.error))

    def _say(self, text: str) -> None:
        """A line for the app's status bar."""
        self.post_message(PanelStatus(text, self.KIND))

    def load_scenario(self, scenario) -> None:
        """Show a validated tui_lab.scenario.Scenario of this panel's kind, reset and paused."""
        raise NotImplementedError

    def toggle_run(self) -> None:
        """`space`: run / pause."""
        raise NotImplementedError

    def step_once(self) -> None:
        """`n`: one step (optimizer step, epoch, kernel term... whatever 'one step' is here)."""
        raise NotImplementedError

    def reset(self) -> None:
        """`r`: back to the start of the current setup."""
        raise NotImplementedError

    def loaded(self) -> bool:
        """Whether the scenario last given to load_scenario is computed, so `advance` acts now
        (a lesson step reloads its scenario and advances once this holds)."""
        raise NotImplementedError

    def advance(self, steps: int) -> None:
        """A lesson entry's `steps`: advance the simulation by that many steps, then pause."""
        raise NotImplementedError

    def to_scenario(self) -> dict:
        """The current setup as a scenario dict that load_scenario accepts (for 'save as scenario')."""
        raise NotImplementedError

    def results(self) -> dict | None:
        """The current results in run_scenario's JSON layout (for export), or None before any run."""
        raise NotImplementedError

    # Optional hooks (the app works without them).

    def commands(self) -> list:
        """This panel's own commands, for the palette and the help screen (the class's COMMANDS)."""
        return list(self.COMMANDS)

    def view_names(self) -> list[str]:
        """Every view the panel has (its sub-tabs' ids), for the commands' `view`."""
        from textual.widgets import TabbedContent, TabPane

        tabs = self.query(TabbedContent)
        if not tabs:
            return [""]
        return [pane.id for pane in tabs.first().query(TabPane) if pane.parent.parent is tabs.first()]

    def show_view(self, view: str) -> None:
        """Bring a view in (a sub-tab)."""
        from textual.widgets import TabbedContent

        if view:
            self.query(TabbedContent).first().active = view

    def current_view(self) -> str:
        """The id of the panel's sub-tab in view ("" for a panel without sub-tabs): a Command with
        `view` set acts only there."""
        from textual.widgets import TabbedContent

        tabs = self.query(TabbedContent)
        return tabs.first().active if tabs else ""
