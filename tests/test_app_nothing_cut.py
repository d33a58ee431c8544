"""At 80x24 nothing the Race view or the status line says is cut: the legend keeps every run's entry
at the end of the default race (long losses, all seven runs), and a long status line wraps."""

from __future__ import annotations

from textual.widgets import Static

from app_helpers import SURFACE_ONLY, idle, ready, steps, until
from tui_lab.app.lab import LabApp

SMALL = (80, 24)


def shown_lines(app: LabApp, widget: Static) -> list[str]:
    """The screen's lines where a widget is drawn, cut to its box (what a student sees of it)."""
    update = app.screen._compositor.render_update(full=True)
    screen = ["".join(segment.text for segment in strip) for strip in update.strips]
    box = widget.region
    return [line[box.x:box.right] for line in screen[box.y:box.bottom]]


async def test_the_race_legend_keeps_every_run_at_80x24():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SMALL) as pilot:
        panel = await ready(pilot)
        panel.advance(panel.race.settings.steps)
        await until(pilot, lambda: idle(app) and steps(app) and min(steps(app)) == panel.race.settings.steps)
        legend = app.query_one("#legend", Static)
        labels = [lane.label for lane in panel.race.lanes]
        await until(pilot, lambda: all(label in str(legend.render()) for label in labels))
        await pilot.pause()
        text = "\n".join(shown_lines(app, legend))
        assert len(labels) == 7 and "adam" in labels
        for label in labels:
            assert label in text, f"{label} missing from the legend as drawn:\n{text}"
        assert app.query_one("#loss-plot").size.height >= 3          # the loss plot gave way, still there


async def test_a_long_status_line_wraps_whole_at_80x24():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        words = [f"word{i}" for i in range(30)]                        # about 2.5 lines at 78 columns
        app.set_status(" ".join(words))
        await pilot.pause()
        status = app.query_one("#status", Static)
        assert status.size.height >= 3
        drawn = " ".join(shown_lines(app, status)).split()
        assert drawn == words


async def test_the_footer_shows_its_keys_when_the_app_starts_unfocused():
    """A browser page through `tui-lab serve` can start without focus: the footer still lists the
    keys (Textual's own footer waited for focus, and one burst-coalescing change left it empty)."""
    from textual import events
    from textual.widgets._footer import FooterKey

    app = LabApp(panels=SURFACE_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(events.AppBlur())
        await ready(pilot)
        await until(pilot, lambda: not app.app_focus and len(app.query(FooterKey)) > 3)
        shown = {key.key for key in app.query(FooterKey) if key.display}
        assert {"space", "question_mark"} <= shown, shown
