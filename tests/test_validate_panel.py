"""The validate panel on its own, in a tiny app at 80x24: compute, reveal step by step, play, reset."""

import asyncio

import pytest
from textual.app import App, ComposeResult

import tui_lab
from tui_lab.app.panel import PanelStatus
from tui_lab.app.panels import PANELS
from tui_lab.app.forms import FieldInput
from tui_lab.app.validate_panel import ValidatePanel
from textual.widgets import Select, Static, TabbedContent


class PanelApp(App):
    def __init__(self):
        super().__init__()
        self.statuses: list[str] = []

    def compose(self) -> ComposeResult:
        yield ValidatePanel(id="panel")

    def on_panel_status(self, message: PanelStatus) -> None:
        self.statuses.append(message.text)


async def loaded(pilot, panel, scenario) -> None:
    panel.load_scenario(scenario)
    for _ in range(400):
        await pilot.pause(0.05)
        if panel.outcome is not None:
            return
    raise AssertionError("the experiment never finished")


def test_registered():
    assert PANELS["validate"] is ValidatePanel and ValidatePanel.KIND == "validate"


@pytest.mark.parametrize("name", ["validate-kfold", "validate-bias-variance", "validate-bootstrap",
                                  "validate-bagging", "validate-boosting", "validate-capacity",
                                  "validate-moons-width", "validate-nested", "validate-leave-p-out",
                                  "validate-search", "validate-adaboost", "validate-timeseries"])
async def test_reveal_one_row_at_a_time(name):
    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ValidatePanel)
        await loaded(pilot, panel, tui_lab.load_scenario(name))
        total = len(panel.outcome.results)
        assert panel.shown == 0
        panel.step_once()
        await pilot.pause()
        assert panel.shown == 1
        panel.advance(3)
        await pilot.pause()
        assert panel.shown == min(4, total)
        panel.advance(10 * total)
        await pilot.pause()
        assert panel.shown == total                  # the last picture (full band, final numbers) draws too
        panel.reset()
        await pilot.pause()
        assert panel.shown == 0
        result = panel.results()
        assert result["method"] == tui_lab.load_scenario(name).settings.method
        assert panel.to_scenario()["kind"] == "validate"
        assert any("ready" in s for s in app.statuses)


async def test_space_plays_through_and_pauses():
    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ValidatePanel)
        sc = tui_lab.load_scenario({"title": "t", "kind": "validate", "data": {"name": "sine", "n": 40},
                                    "model": {"name": "poly"}, "validate": {"method": "kfold", "k": 5}})
        await loaded(pilot, panel, sc)
        panel.toggle_run()
        assert panel.playing
        for _ in range(200):
            await pilot.pause(0.05)
            if not panel.playing:
                break
        assert panel.shown == 5 and not panel.playing
        panel.toggle_run()              # at the end, space starts over
        panel.toggle_run()              # and pauses
        assert not panel.playing


async def test_next_method_keeps_data_and_model():
    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ValidatePanel)
        await loaded(pilot, panel, tui_lab.load_scenario("validate-timeseries"))
        panel.action_next_method()
        await loaded(pilot, panel, panel.scenario)
        assert panel.scenario.settings.method == "nested"
        assert panel.scenario.settings.data.name == "sine"
        assert panel.to_scenario()["validate"] == {"method": "nested", "k": 4, "degrees": [1, 3, 5, 9]}
        await asyncio.sleep(0)


# --- in the lab: keys from anywhere, the Setup tab, titles, messages on their own tab ------------

from app_helpers import until  # noqa: E402
from tui_lab.app.lab import LabApp  # noqa: E402
from tui_lab.app.validate_panel.model import method_raw, next_method, setup_fields, with_data  # noqa: E402
from tui_lab.core.validate import METHODS  # noqa: E402


def lab_panel(app) -> ValidatePanel:
    return app.query_one("#panel-validate", ValidatePanel)


async def computed(pilot, panel, method=None):
    await until(pilot, lambda: panel.outcome is not None and (method is None or panel.outcome.method == method))
    await pilot.pause()


async def test_m_walks_every_method_the_data_can_run_and_keeps_the_left_plot():
    """From k-fold, `m` goes round every method a regression set runs (adaboost classifies: skipped),
    whatever has the focus, and the left plot stays in view (the fold layout is drawn above it)."""
    app = LabApp("validate-kfold")
    async with app.run_test(size=(120, 40)) as pilot:
        panel = lab_panel(app)
        await computed(pilot, panel, "kfold")
        seen = ["kfold"]
        for _ in range(len(METHODS) - 2):
            app.set_focus(None)
            await pilot.press("m")
            await until(pilot, lambda: panel.outcome is not None and panel.outcome.method != seen[-1])
            seen.append(panel.outcome.method)
            assert panel.query_one("#validate-fits").display and panel.query_one("#validate-fits").size.height > 3
        assert seen == [m for m in METHODS if m != "adaboost"]
        await pilot.press("m")                                         # round again to kfold
        await computed(pilot, panel, "kfold")
        assert panel.scenario.settings.degrees == [1, 3, 5, 9, 15]      # the sweep survived the trip


async def test_setup_tab_edits_rerun_at_once():
    app = LabApp("validate-kfold")
    async with app.run_test(size=(120, 40)) as pilot:
        panel = lab_panel(app)
        await computed(pilot, panel, "kfold")
        await pilot.press("2")
        assert panel.query_one("#validate-tabs", TabbedContent).active == "validate-setup"
        field = next(f for f in panel.query(FieldInput) if f.path == ("data", "n"))
        field.focus()
        field.value = "80"
        await pilot.press("enter")
        await until(pilot, lambda: panel.outcome is not None and panel.scenario.settings.data.n == 80)
        assert panel.results()["setup"]["data"]["n"] == 80
        k = next(f for f in panel.query(FieldInput) if f.path == ("validate", "k"))
        k.focus()
        k.value = "1"                                                # bad: one-line error, nothing changes
        await pilot.press("enter")
        await pilot.pause()
        error = panel.query_one("#validate-error", Static)
        assert "validate.k" in str(error.render()) and panel.scenario.settings.k == 5
        k.value = "4"
        await pilot.press("enter")
        await until(pilot, lambda: panel.outcome is not None and panel.scenario.settings.k == 4)
        assert "shown" not in error.classes                          # the error goes once the value is fixed
        method = panel.query_one("#validate-method", Select)
        method.value = "leave_p_out"
        await computed(pilot, panel, "leave_p_out")
        await pilot.pause()
        assert any(f.path == ("validate", "p") for f in panel.query(FieldInput))   # the form follows the method
        data = panel.query_one("#validate-data-name", Select)
        data.value = "moons"
        await computed(pilot, panel, "adaboost")
        assert "model" not in panel.to_scenario()
        await pilot.press("1")
        assert panel.query_one("#validate-tabs", TabbedContent).active == "validate-view"


@pytest.mark.parametrize("name,left,right", [
    ("validate-capacity", "green the truth", "orange val"),
    ("validate-bagging", "orange the ensemble of 50", "magenta variance"),
    ("validate-bootstrap", "red the 90% band", "red the 90% interval"),
    ("validate-search", "blue ■ grid, orange ● random", "blue grid, orange random"),
    ("validate-adaboost", "dim dots the regions after 60 stumps", "blue train, orange validation, red test"),
    ("validate-nested", "orange the chosen d3", "orange ■ outer score"),
    ("validate-kfold", "orange the chosen d3", "orange ● their mean"),
    ("validate-bias-variance", "orange their mean", "blue bias², orange variance, gray noise"),
])
async def test_plot_titles_and_keys_are_drawn(name, left, right):
    app = PanelApp()
    async with app.run_test(size=(160, 40)) as pilot:
        panel = app.query_one(ValidatePanel)
        await loaded(pilot, panel, tui_lab.load_scenario(name))
        panel.advance(panel.total)
        await pilot.pause()
        await pilot.pause()
        for which, words in (("#validate-fits", left), ("#validate-right", right)):
            picture = panel.query_one(which)
            title = picture.figures.draw(picture.which, picture.plt)[0]
            drawn = "\n".join(line.text for line in picture.render_lines(picture.region.reset_offset))
            assert title[:20] in drawn                                   # the title is drawn above the plot
            key = str(picture.key_line.render())
            assert words in key, f"{which}: {key!r}"                   # and the key under it


async def test_validate_messages_stay_on_their_tab():
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.current_kind() == "surface" and "surface" in app.scenarios)
        app.load("validate-capacity", False)                     # loads in the background, tab stays Surface
        await until(pilot, lambda: app.built_panel("validate") is not None)   # built when its scenario comes
        panel = lab_panel(app)
        await until(pilot, lambda: panel.outcome is not None)
        await pilot.pause()
        status = str(app.query_one("#status", Static).render())
        assert "capacity" not in status and "degree" not in status
        assert "ready" in app.statuses["validate"]


def test_state_model_edits_without_a_screen():
    raw = tui_lab.load_scenario("validate-kfold").raw
    search = method_raw(raw, "search")
    assert search["validate"]["space"] == {"l2": [1e-8, 10.0], "degree": [1, 15]}
    assert tui_lab.load_scenario(search).settings.method == "search"
    scenario, skipped = next_method(tui_lab.load_scenario(search).raw, "search", tui_lab.load_scenario)
    assert scenario.settings.method == "bootstrap" and not skipped
    moons = with_data(raw, "moons")
    assert moons["validate"] == {"method": "adaboost"} and "model" not in moons
    back = with_data(moons, "sine")
    assert tui_lab.load_scenario(back).settings.method == "kfold"
    paths = [path for _, path, *_ in setup_fields(tui_lab.load_scenario("validate-nested").raw)]
    assert ("validate", "inner_k") in paths and ("validate", "p") not in paths


async def test_m_at_80x24_keeps_the_focus_on_something_visible():
    """On a short terminal the fold layout and the fits plot take turns; keys keep working and the
    focus never sits on a hidden widget."""
    app = LabApp("validate-kfold")
    async with app.run_test(size=(80, 24)) as pilot:
        panel = lab_panel(app)
        await computed(pilot, panel, "kfold")
        assert panel.has_class("short") and panel.query_one("#validate-layout").display
        for method in ("loo", "leave_p_out", "timeseries", "nested"):
            await pilot.press("m")
            await computed(pilot, panel, method)
            focused = app.focused
            assert focused is None or (focused.display and focused.region.area > 0)
        await pilot.press("n")
        await until(pilot, lambda: panel.shown == 1)
        panel.advance(panel.total)
        await pilot.pause()
        assert panel.query_one("#validate-fits").display and not panel.query_one("#validate-layout").display


async def test_random_keys_and_resizes_on_the_validate_tab(tmp_path, monkeypatch):
    """Keys a student might hit on this tab, fast, at many sizes: no crash, no worker error."""
    import random

    from textual import events

    monkeypatch.chdir(tmp_path)
    rng = random.Random(7)
    keys = ["m", "1", "2", "n", "space", "r", "tab", "shift+tab", "enter", "escape", "up", "down", "left",
            "right", "right_square_bracket", "left_square_bracket", "5", "0", "backspace", "x", "."]
    chars = {"space": " ", "enter": "\r", "tab": "\t", "escape": "\x1b", "right_square_bracket": "]",
             "left_square_bracket": "["}
    app = LabApp("validate-kfold", panels={"validate": ValidatePanel})
    async with app.run_test(size=(80, 24)) as pilot:
        panel = lab_panel(app)
        await computed(pilot, panel)
        for burst in range(12):
            await pilot.resize_terminal(*rng.choice([(80, 24), (120, 40), (60, 18), (100, 30)]))
            for _ in range(30):
                key = rng.choice(keys)
                event = events.Key("full_stop" if key == "." else key, chars.get(key, key if len(key) == 1 else None))
                event.set_sender(app)
                app._driver.send_message(event)
            await pilot.pause(0.2)
        await until(pilot, lambda: panel.outcome is not None)
        await pilot.pause(0.2)
        assert app.is_running
        assert app.errors == []


async def test_long_titles_and_the_heading_are_whole_at_80x24():
    """A plot title wider than its plot goes whole to the front of its key line (never cut with
    …), and a short panel gives the heading two lines (the hint line gives way)."""
    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ValidatePanel)
        await loaded(pilot, panel, tui_lab.load_scenario("validate-kfold"))
        panel.advance(panel.total)
        await pilot.pause()
        await pilot.pause()
        picture = panel.query_one("#validate-right")
        title = picture.figures.draw(picture.which, picture.plt)[0]
        assert title.startswith("validation loss per candidate") and len(title) > picture.size.width - 4
        drawn = "\n".join(line.text for line in picture.render_lines(picture.region.reset_offset))
        assert "…" not in drawn
        key = " ".join(str(picture.key_line.render()).split())
        assert key.startswith(title + ": ") and "orange ● their mean" in key
        await loaded(pilot, panel, tui_lab.load_scenario("validate-capacity"))
        await pilot.pause()
        head = panel.query_one("#validate-head")
        assert head.size.height == 2 and "18, 20" in " ".join(str(head.render()).split())
