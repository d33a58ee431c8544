"""Play mode for the panels whose steps are cheap enough to take on the UI thread (conv,
validate): a Textual interval timer, paused unless playing, calls the panel's `_tick`."""

from __future__ import annotations

from ..i18n import N_
from .panel import KindPanel


class AutoplayPanel(KindPanel):
    """A panel that plays its steps on a timer; `space` plays / pauses.

    A subclass provides `_ready()`, `_tick()` (one timer tick of play), `_progress(state)` (a
    status line) and `_before_play()` (e.g. rewind when the end was reached)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.playing = False
        self._timer = None

    def _start_timer(self, seconds: float) -> None:
        """(Re)start the play timer at one tick every `seconds`, paused unless playing."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(seconds, self._tick, pause=not self.playing)

    def toggle_run(self) -> None:
        if not self._ready():
            return
        if self.playing:
            self._pause()
            self._say(self._progress(N_("paused")))
            return
        self._before_play()
        self.playing = True
        self._timer.resume()

    def _pause(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.pause()
