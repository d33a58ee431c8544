"""The validate panel on its own, in a tiny app at 80x24: compute, reveal step by step, play, reset."""

import asyncio

import pytest
from textual.app import App, ComposeResult

import tui_lab
from tui_lab.app.panel import PanelStatus
from tui_lab.app.panels import PANELS
from tui_lab.app.validate_panel import ValidatePanel


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
                                  "validate-moons-width"])
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
        assert panel.scenario.settings.method == "bootstrap"
        assert panel.scenario.settings.data.name == "sine"
        assert "k" not in panel.to_scenario()["validate"]
        await asyncio.sleep(0)
