"""The train panel in a tiny Textual app of its own: loads, trains live, edits through the validator."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui_lab import load_scenario
from tui_lab.app.panel import PanelStatus
from tui_lab.app.panels import PANELS
from tui_lab.app.forms import FieldInput
from tui_lab.app.train_panel import TrainPanel

SCENARIO = {"title": "panel", "kind": "train", "seed": 1,
            "data": {"name": "moons", "n": 120}, "model": {"name": "mlp", "hidden": [8]},
            "train": {"epochs": 40, "batch_size": 16},
            "optimizers": [{"name": "adam", "lr": 0.01}, {"name": "sgd", "lr": 0.1}]}


class PanelApp(App):
    def __init__(self, scenario: dict):
        super().__init__()
        self.scenario = scenario
        self.statuses: list[str] = []

    def compose(self) -> ComposeResult:
        yield TrainPanel(id="panel")

    def on_mount(self) -> None:
        self.query_one(TrainPanel).load_scenario(load_scenario(self.scenario))

    def on_panel_status(self, message: PanelStatus) -> None:
        self.statuses.append(message.text)


async def wait_for(pilot, condition, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


def test_panel_is_registered():
    assert PANELS["train"] is TrainPanel


async def test_panel_trains_and_steps_at_80x24():
    app = PanelApp(SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None)
        panel.step_once()
        await wait_for(pilot, lambda: not panel.running and panel.views and panel.views[0].epoch == 1)
        assert all(tr.epoch == 1 for tr in panel.lab.trainers)
        panel.toggle_run()
        await wait_for(pilot, lambda: panel.lab.finished())
        await pilot.pause(0.3)
        assert [v.epoch for v in panel.views] == [40, 40]
        assert panel.views[0].fit is not None             # the decision regions of the shown run
        result = panel.results()
        assert result["kind"] == "train" and len(result["runs"]) == 2
        # The live panel and the headless runner agree (same data, init and batches).
        from tui_lab import run_scenario
        headless = run_scenario(SCENARIO)
        assert result["runs"][0]["train_loss"].tolist() == headless["runs"][0]["train_loss"].tolist()
        panel.action_select_next()     # the lab app routes the key v here (its key tests press it)
        await pilot.pause(0.1)
        assert panel.selected == 1 and app.statuses[-1].startswith("showing")
        panel.reset()
        await pilot.pause(0.1)
        assert all(tr.epoch == 0 for tr in panel.lab.trainers)


async def test_bad_edit_shows_one_line_and_keeps_the_setup():
    app = PanelApp(SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None)
        await pilot.press("2")
        field = next(f for f in panel.query(FieldInput) if f.path == ("regularize", "dropout"))
        field.value = "1.5"
        await panel._apply_input(field)
        error = str(app.query_one("#train-error", Static).render())
        assert "regularize.dropout" in error and "1.5" in error
        assert "dropout" not in panel.lab.raw.get("regularize", {})
        field.value = "0.2"
        await panel._apply_input(field)
        assert panel.lab.raw["regularize"]["dropout"] == 0.2
        assert panel.lab.trainers[0].config.dropout == 0.2
        app.query_one("#train-activation").value = "relu"
        await wait_for(pilot, lambda: panel.lab.raw["model"].get("activation") == "relu")
        assert panel.lab.trainers[0].model.activation == "relu"


async def test_switching_to_a_regression_set_switches_the_model_where_needed():
    scenario = {**SCENARIO, "model": {"name": "logistic"}}
    app = PanelApp(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None)
        from tui_lab.app.train_panel import switch_data
        assert await panel._edit(switch_data(panel.lab.raw, "sine"), "data set sine", rebuild=True)
        assert panel.lab.raw["model"]["name"] == "mlp" and panel.lab.data.is_regression
        panel.advance(5)
        await wait_for(pilot, lambda: panel.views and panel.views[0].epoch == 5)
        assert panel.views[0].fit.shape == (200,)


async def test_finished_runs_show_their_sharpness_in_the_legend():
    scenario = {**SCENARIO, "train": {"epochs": 5, "batch_size": 16, "sharpness": 1.0}}
    app = PanelApp(scenario)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None)
        assert all(v.sharpness is None for v in panel.views)          # nothing measured before the end
        panel.toggle_run()
        await wait_for(pilot, lambda: panel.lab.finished() and all(v.sharpness is not None for v in panel.views))
        await pilot.pause(0.3)
        from tui_lab import run_scenario
        headless = run_scenario(scenario)["runs"]
        assert [v.sharpness["sharpness"] for v in panel.views] == [r["sharpness"] for r in headless]
        assert "λmax" in app.export_screenshot()


async def test_shared_label_start_names_the_run_column_and_i_says_why_on_a_plain_set():
    """Runs "batch_size=4", "batch_size=64": the legend's run column is headed batch_size (no cut
    "runs: batch_size=…" title) and lists 4, 64; `i` on moons says image views need an image set."""
    scenario = {**SCENARIO, "train": {"epochs": 5, "batch_size": [4, 64]}, "optimizers": [{"name": "sgd", "lr": 0.1}]}
    app = PanelApp(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None and len(panel.views) == 2)
        labels = [v.label for v in panel.views]
        assert all(label.endswith(("batch_size=4", "batch_size=64")) for label in labels), labels
        panel._update_legend()
        await pilot.pause()
        legend = app.query_one("#train-legend", Static)
        text = "\n".join(line.text for line in legend.render_lines(legend.region.reset_offset))
        assert "batch_size" in text and "…" not in text and "runs:" not in text, text
        assert " 4 " in text and " 64 " in text, text
        await panel.run_action("next_image_page")            # what `i` runs (the lab binds the key)
        await pilot.pause()
        assert app.statuses[-1] == "image views (i) are for image data sets; this one is moons"
