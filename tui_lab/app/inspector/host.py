"""The Inspect step view in a panel: the widget, and the mixins that give a panel the command.

A panel mixes in `SurfaceInspectorHost` or `TrainInspectorHost` (before its base class), yields
a `StepView` next to the plot the view replaces, and calls `inspect_refresh()` from its redraw
timer. While the view is open on the panel's main tab, the panel's view is INSPECT_VIEW, so the
arrow keys move through the recorded steps instead of their usual job. The recording (a shadow
run replayed to where the live run is) happens in a thread worker; the numbers are the kernels'
(see tui_lab.core.step_inspector).
"""

from __future__ import annotations

from textual import work
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...i18n import tr
from . import INSPECT_VIEW
from .overlay import draw_step
from .text import step_text


class StepView(VerticalScroll):
    """The inspector's text, scrolled when it is taller than its room (hidden until opened)."""

    DEFAULT_CSS = """
    StepView { display: none; height: 1fr; border: round $accent; padding: 0 1; }
    StepView.open { display: block; }
    """

    def compose(self):
        yield Static(id="step-text")

    def show(self, text) -> None:
        self.query_one("#step-text", Static).update(text)


class InspectorHost:
    """What a panel needs to offer the view; a kind's host says which run and which widgets."""

    INSPECT_TAB = ""                 # the panel's tab where the view lives
    HIDDEN_WHILE_INSPECTING: tuple[str, ...] = ()     # ids of the widgets the view replaces
    INSPECT_ROW = ""                 # id of the row holding the view (its height is the view's)
    HIDDEN_WHEN_SHORT: tuple[str, ...] = ()   # also replaced when the rule would not fit beside them
    _layout = None                   # (row size, text) the view was laid out for
    _side_share = 0.4                # the view's share of the row's width beside the plots
    inspector_open = False
    _inspection = None
    _inspection_key = None
    _explained = None                # (writer, W_t) of the step shown, for the contour overlay

    class Inspected(Message):
        """A worker brought the inspection up to the live run."""

        def __init__(self, inspection, key) -> None:
            super().__init__()
            self.inspection = inspection
            self.key = key

    # --- what a kind provides ---------------------------------------------------------------
    def _inspect_target(self):
        """(key, make_inspection, position, label) of the selected run, or None when not ready.
        `position` is what `follow` takes; the key changes when the run is replaced."""
        raise NotImplementedError

    def _inspect_head(self, inspection, label: str) -> str:
        raise NotImplementedError

    # --- the panel side -----------------------------------------------------------------------
    def current_view(self) -> str:
        view = super().current_view()
        return INSPECT_VIEW if self.inspector_open and view == self.INSPECT_TAB else view

    def action_inspect_step(self) -> None:
        if self._inspect_target() is None:
            self._say(tr("nothing to inspect yet"))
            return
        self.inspector_open = not self.inspector_open
        self.query_one(StepView).set_class(self.inspector_open, "open")
        for widget_id in self.HIDDEN_WHILE_INSPECTING:
            self.query_one(f"#{widget_id}").display = not self.inspector_open
        if self.inspector_open:
            self.query_one(StepView).show(tr("recording the run's steps…"))
            self._say(tr("inspecting: n steps, ← → move through the kept steps, I closes"))
            self.inspect_refresh(force=True)
        else:
            self._explained = None
            self._layout = None
            for widget_id in self.HIDDEN_WHEN_SHORT:
                self.query_one(f"#{widget_id}").display = True
            self.remove_class("-inspect-wide")
            self._say(tr("inspector closed"))
        self._dirty = True

    def action_inspect_move(self, direction: int) -> None:
        inspection = self._inspection
        if inspection is None:
            return
        moved = inspection.back() if direction < 0 else inspection.forward()
        if not moved:
            self._say(tr("the oldest kept step") if direction < 0 else tr("the newest step"))
        self._show_inspection()

    def inspect_refresh(self, force: bool = False) -> None:
        """From the redraw timer: bring the inspection up to the live run (in a worker)."""
        if not self.inspector_open:
            return
        if self._layout is not None and self._layout[0] != self._row_size():
            self._lay_out(self._layout[1])       # the terminal was resized
        target = self._inspect_target()
        if target is None:
            return
        key, make, position, _ = target
        inspection = self._inspection if self._inspection_key == key else None
        if inspection is None or force or self._followed != position:
            self._followed = position
            self._follow(inspection, make, position, key)

    _followed = None

    @work(thread=True, exclusive=True, group="inspector", exit_on_error=False)
    def _follow(self, inspection, make, position, key) -> None:
        if inspection is None:
            inspection = make()
        self._follow_to(inspection, position)
        self.post_message(self.Inspected(inspection, key))

    def _follow_to(self, inspection, position) -> None:
        inspection.follow(*position)

    def on_inspector_host_inspected(self, message: Inspected) -> None:
        self._inspection, self._inspection_key = message.inspection, message.key
        if self.inspector_open:
            self._show_inspection()

    def _show_inspection(self) -> None:
        inspection = self._inspection
        target = self._inspect_target()
        if inspection is None or target is None:
            return
        writer = inspection.explain()
        step = inspection.step
        self._explained = (writer, None if step is None else step.w[step.idx])
        self._lay_out((writer, self._inspect_head(inspection, target[3])))
        self._dirty = True

    def _row_size(self):
        return self.query_one(f"#{self.INSPECT_ROW}").size if self.INSPECT_ROW else None

    def _lay_out(self, shown) -> None:
        """Show the step whole without scrolling where the room allows: beside the plots with one
        line per equation and per number, else one wrapping line per equation, else (a short
        terminal) in place of the plots in HIDDEN_WHEN_SHORT too, and last each equation = its
        result only."""
        writer, head = shown
        view = self.query_one(StepView)
        size = self._row_size()
        self._layout = (size, shown)
        if size is None or not size.height:
            view.show(step_text(writer, head))
            return
        if all(self.query_one(f"#{widget_id}").display for widget_id in self.HIDDEN_WHEN_SHORT):
            self._side_share = view.parent.size.width / size.width   # measured while the plots show
        beside = int(size.width * self._side_share)
        shared = sum(w.outer_size.height for w in view.parent.children if w is not view and w.display)
        room = size.height - shared - 2                     # less what shares its column (a legend), its border
        layouts = [(beside, 0), (beside, 1)]
        layouts += [(size.width, 0), (size.width, 1)] if self.HIDDEN_WHEN_SHORT else []
        layouts += [(size.width if self.HIDDEN_WHEN_SHORT else beside, 2)]
        for width, compact in layouts:
            text = step_text(writer, head, compact)
            if len(text.wrap(self.app.console, max(1, width - 4))) <= room:  # border and padding
                break
        for widget_id in self.HIDDEN_WHEN_SHORT:
            self.query_one(f"#{widget_id}").display = width != size.width
        self.set_class(width == size.width, "-inspect-wide")     # the view's column may take the whole row
        view.show(text)

    def on_resize(self, _event) -> None:
        if self.inspector_open and self._layout is not None:
            self.call_after_refresh(self._relay_out)

    def _relay_out(self) -> None:
        if self.inspector_open and self._layout is not None:
            self._lay_out(self._layout[1])

    def inspect_overlay(self, plot) -> None:
        """Draw the shown step's gradient, momentum and step on a contour Plot (surface only)."""
        if self.inspector_open and self._explained is not None:
            draw_step(plot, *self._explained)


class SurfaceInspectorHost(InspectorHost):
    INSPECT_TAB = "race"
    HIDDEN_WHILE_INSPECTING = ("loss-plot", "legend")
    INSPECT_ROW = "race-row"
    HIDDEN_WHEN_SHORT = ("race-plot",)

    def _inspect_target(self):
        race = self.race
        if race is None or not race.lanes:
            return None
        from ...core.step_inspector import SurfaceInspection

        with race.lock:
            lane = race.lanes[min(self.selected, len(race.lanes) - 1)]
            run = lane.run
            position = (run.t, run.diverged)
        key = (id(run), repr(run.optimizer.hyperparams))
        return key, (lambda: SurfaceInspection(run)), position, lane.label

    def _inspect_head(self, inspection, label: str) -> str:
        step = inspection.step
        if step is None:
            return tr("{label}: no step yet", label=label)
        when = tr("step 1, not taken yet (n takes it)") if inspection.ahead else tr("step t = {t}", t=step.t)
        return tr("{label} ({optimizer}), {when}; kept from step {oldest}", label=label,
                  optimizer=inspection.optimizer.name, when=when, oldest=inspection.oldest)


class TrainInspectorHost(InspectorHost):
    INSPECT_TAB = "train-view"
    HIDDEN_WHILE_INSPECTING = ("train-loss",)
    INSPECT_ROW = "train-row"
    HIDDEN_WHEN_SHORT = ("train-main",)
    inspected_parameter = 0

    def _inspect_target(self):
        lab = getattr(self, "lab", None)
        if lab is None or not lab.trainers:
            return None
        from ...core.step_inspector import TrainInspection

        with lab.lock:
            trainer = lab.trainers[min(self.selected, len(lab.trainers) - 1)]
            position = (trainer.epoch,)
        index = self.inspected_parameter % trainer.model.n_params
        key = (id(trainer), repr(trainer.optimizer.hyperparams), index)
        return key, (lambda: TrainInspection(trainer, index)), position, trainer.label

    def action_inspect_parameter(self, direction: int) -> None:
        self.inspected_parameter += direction
        self.inspect_refresh(force=True)

    def _inspect_head(self, inspection, label: str) -> str:
        step = inspection.step
        name = inspection.parameter_name()
        if step is None:
            return tr("{label}: {name}; no step yet (n trains an epoch)", label=label, name=name)
        return tr("{label} ({optimizer}), {name} (↑↓ another): step t = {t}, the last of its epoch",
                  label=label, optimizer=inspection.optimizer.name, name=name, t=step.t)
