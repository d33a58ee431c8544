"""Pilot tests of the lab: the fixed keys, lessons, every surface tab's main interaction,
save / export, dialogs, and the shell's behaviour with kinds that have no panel."""

from __future__ import annotations

import json
import tomllib

from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from app_helpers import SURFACE_ONLY, idle, ready, steps, until
from tui_lab import load_scenario
from tui_lab.app.lab import LabApp
from tui_lab.app.screens import BrowserScreen, ConfirmScreen, HelpScreen, PromptScreen
from tui_lab.app.forms import FieldInput
from tui_lab.app.surface_panel import SPEEDS

SIZE = (120, 40)


async def test_fixed_keys_run_pause_step_reset():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        assert steps(app) == [0] * 7
        await pilot.press("space")
        await until(pilot, lambda: min(steps(app)) >= 5)
        await pilot.press("space")
        await until(pilot, lambda: idle(app))
        paused = steps(app)
        assert not panel.running and len(set(paused)) == 1
        await pilot.press("n")
        await until(pilot, lambda: idle(app))
        assert steps(app) == [paused[0] + 1] * 7
        await pilot.press("r")
        await pilot.pause()
        assert steps(app) == [0] * 7
        assert app.errors == []


async def test_run_stops_at_the_scenarios_steps():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        panel.speed = len(SPEEDS) - 1                      # as fast as it goes
        await pilot.press("space")
        await until(pilot, lambda: idle(app) and panel.race.finished())
        assert steps(app) == [500] * 7
        # the status bar follows on the next redraw tick
        await until(pilot, lambda: "500 steps" in str(app.query_one("#status", Static).render()))


async def test_lesson_steps_advance_and_go_back():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lessons = load_scenario("rosenbrock-race").lessons
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: idle(app) and steps(app)[0] == lessons[0].steps)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: idle(app) and steps(app)[0] == lessons[0].steps + lessons[1].steps)
        assert "Lesson 2/3" in str(app.query_one("#lesson", Static).render())
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: idle(app) and steps(app)[:1] == [lessons[0].steps])
        assert "Lesson 1/3" in str(app.query_one("#lesson", Static).render())


async def test_a_lesson_step_undoes_the_students_setup_edits():
    """`]` shows the state the step describes: the lesson's own learning rates, not the student's
    edit, and every run at the step's cumulative step count."""
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        scenario = load_scenario("rosenbrock-race")

        def lrs() -> list[float]:
            return [lane.run.optimizer.hyperparams["lr"] for lane in panel.race.lanes]

        lesson_lrs = lrs()                              # as the scenario file sets them
        assert len(lesson_lrs) == len(scenario.raw["optimizers"]) and len(set(lesson_lrs)) > 1
        await pilot.press("greater_than_sign")          # the selected run's lr doubled
        await until(pilot, lambda: lrs()[0] == float(f"{2 * lesson_lrs[0]:.3g}"))
        await pilot.press("n", "n", "n")
        await pilot.press("right_square_bracket")
        first = scenario.lessons[0].steps
        await until(pilot, lambda: idle(app) and steps(app) == [first] * len(lesson_lrs))
        assert lrs() == lesson_lrs
        await pilot.press("less_than_sign", "right_square_bracket")
        second = first + scenario.lessons[1].steps
        await until(pilot, lambda: idle(app) and steps(app) == [second] * len(lesson_lrs))
        assert lrs() == lesson_lrs and app.errors == []


async def test_runs_tab_adds_edits_and_restarts_runs():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await pilot.press("n")
        await until(pilot, lambda: idle(app))
        await pilot.press("2", "a")
        await until(pilot, lambda: len(panel.race.lanes) == 8 and panel.selected == 7)
        assert panel.race.lanes[7].run.optimizer.name == "adam"
        table = app.query_one("#runs-table", DataTable)
        await until(pilot, lambda: table.row_count == 8)
        lr_input = next(w for w in app.query(FieldInput) if w.path == ("optimizers", 7, "lr"))
        lr_input.focus()
        lr_input.value = "0.02"
        await pilot.press("enter")
        await pilot.pause()
        assert panel.race.lanes[7].run.optimizer.hyperparams["lr"] == 0.02
        assert steps(app)[:7] == [1] * 7                 # the other runs kept their progress
        lr_input.value = "-1"
        await pilot.press("enter")
        await pilot.pause()
        error = str(app.query_one("#form-error", Static).render())
        assert "optimizers[7].lr" in error and "positive" in error
        assert panel.race.lanes[7].run.optimizer.hyperparams["lr"] == 0.02
        app.query_one("#optimizer-select", Select).value = "rmsprop"
        await until(pilot, lambda: panel.race.lanes[7].run.optimizer.name == "rmsprop")
        await pilot.press("escape")
        app.set_focus(table)
        await pilot.press("R")                            # restart the selected run alone
        await pilot.press("d")
        await until(pilot, lambda: len(panel.race.lanes) == 7)
        assert app.errors == []


async def test_setup_tab_surface_start_batch_and_regularizer():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await pilot.press("3")
        app.query_one("#surface-select", Select).value = "linreg"
        await until(pilot, lambda: panel.race.surface.name == "linreg" and not app.query_one("#batch-mode").disabled)
        radio = app.query_one("#batch-mode")
        radio.focus()
        await pilot.press("right", "enter")      # SGD (1 example)
        await until(pilot, lambda: panel.race.settings.batch_size == 1)
        l2 = next(w for w in app.query(FieldInput) if w.path == ("run", "l2"))
        l2.focus()
        l2.value = "0.5"
        await pilot.press("enter")
        await until(pilot, lambda: panel.race.settings.l2 == 0.5)
        app.query_one("#surface-select", Select).value = "booth"
        await until(pilot, lambda: panel.race.surface.name == "booth" and app.query_one("#batch-mode").disabled)
        await pilot.press("1")
        app.set_focus(app.query_one("#race-plot"))
        x0, x1, _, _ = panel.race.surface.window()
        sx, sy = panel.race.start_point()
        await pilot.press("right")
        await until(pilot, lambda: panel.race.start_point()[0] != sx)
        assert panel.race.start_point() == (round(sx + (x1 - x0) / 40, 6), sy)
        assert app.errors == []


async def test_sweep_draws_a_stability_map():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        assert app.query_one("#sweep-a", Select).value == "lr"
        assert app.query_one("#sweep-b", Select).value == "momentum"
        await pilot.press("w")
        await until(pilot, lambda: panel.sweep_result is not None, timeout=180)
        loss = panel.sweep_result["final_loss"]
        assert loss.shape == (24, 12)
        text = str(app.query_one("#heatmap", Static).render())
        assert "best: lr=" in text and "diverged cells" in text


async def test_save_never_overwrites_silently_and_exports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        panel.race.set(("optimizers", 0, "lr"), 0.001)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")
        saved = tmp_path / "rosenbrock-race-mine.toml"
        await until(pilot, lambda: saved.exists())
        assert load_scenario(str(saved)).settings.optimizers[0].hyperparams["lr"] == 0.001
        before = saved.read_text()
        panel.race.set(("optimizers", 0, "lr"), 0.002)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause()
        assert saved.read_text() == before
        await pilot.press("s", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: tomllib.loads(saved.read_text())["optimizers"][0]["lr"] == 0.002)

        await pilot.press("n")
        await until(pilot, lambda: idle(app))
        await pilot.press("e", "enter")
        exported = tmp_path / "rosenbrock-race.json"
        await until(pilot, lambda: exported.exists())
        result = json.loads(exported.read_text())
        assert [r["steps"] for r in result["runs"]] == [1] * 7 and result["kind"] == "surface"
        await pilot.press("c", "enter")
        await until(pilot, lambda: (tmp_path / "rosenbrock-race-csv" / "trajectories.csv").exists())
        await pilot.press("S", "enter")
        await until(pilot, lambda: (tmp_path / "rosenbrock-race.svg").exists())
        assert (tmp_path / "rosenbrock-race.svg").read_text().startswith("<svg")
        assert not list(tmp_path.glob(".*.tmp"))          # atomic writes leave no temporaries
        assert app.errors == []


async def test_help_palette_and_browser():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text", Static).render())
        for words in ("Run/pause", "Step", "Reset", "Save", "Add run", "Start left"):
            assert words in help_text
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"add run")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: len(app.query_one("#panel-surface").race.lanes) == 8)
        await pilot.press("o")
        assert isinstance(app.screen, BrowserScreen)
        app.screen.query_one("#browser-path", Input).value = "no-such-scenario"
        app.screen.query_one("#browser-path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: "no such file" in str(app.query_one("#status", Static).render()))
        assert app.errors == []


async def test_kind_without_panel_and_too_small_terminal():
    app = LabApp("rosenbrock-race", panels={})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.query("#nopanel-surface")))
        assert app.query_one("#kinds", TabbedContent).active == "nopanel-surface"
        await pilot.press("space", "n", "r", "s", "right_square_bracket")
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        assert app.query_one("#too-small").display and not app.query_one("#kinds").display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.query_one("#kinds").display
        assert app.errors == []
