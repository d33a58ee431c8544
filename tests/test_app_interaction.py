"""Pilot tests for the interaction defects a student met (issue 10): keys that stopped working
with the focus in the wrong place, an input box that would not let go, palette entries that did
nothing, the crash on reopening with a log-scale plot, a status line that said one thing and
showed another, and direct manipulation of a run, a start point and a sweep cell."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, OptionList, Static, TabbedContent

from app_helpers import SURFACE_ONLY, idle, ready, steps, until
from tui_lab import load_scenario
from tui_lab.app.forms import FieldInput
from tui_lab.app.lab import LabApp
from tui_lab.app.panel import KindPanel
from tui_lab.app.plots import race_point_at
from tui_lab.app.screens import BrowserScreen

SIZE = (120, 40)


def status(app) -> str:
    return str(app.query_one("#status", Static).render())


def sub_tab(app) -> str:
    return app.query_one("#surface-tabs", TabbedContent).active


def lr_input(app, run: int) -> FieldInput:
    return next(w for w in app.query(FieldInput) if w.path == ("optimizers", run, "lr"))


async def test_arrow_keys_move_the_start_point_without_tabbing_first():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        x0, y0 = panel.race.start_point()
        await pilot.press("left", "left", "up")
        await until(pilot, lambda: panel.race.start_point()[0] < x0)
        x1, y1 = panel.race.start_point()
        x_lo, x_hi, y_lo, y_hi = panel.race.surface.window()
        assert abs((x0 - x1) - 2 * (x_hi - x_lo) / 40) < 1e-5 and abs((y1 - y0) - (y_hi - y_lo) / 40) < 1e-5
        assert sub_tab(app) == "race"                   # the arrows did not walk the tab strip
        focused = app.focused                          # the focus is on a widget of the panel, visibly
        assert focused is not None and panel in focused.ancestors
        assert focused.has_pseudo_class("focus")


async def test_keys_keep_working_after_the_plot_had_the_focus_and_its_tab_went_away():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        app.query_one("#race-plot").focus()
        await pilot.press("2")
        assert sub_tab(app) == "runs"
        await pilot.press("a")
        await until(pilot, lambda: len(panel.race.lanes) == 8)
        await pilot.press("l")
        assert panel.log_loss
        await pilot.press("1")
        assert sub_tab(app) == "race"
        await pilot.press("w")                         # the sweep runs and shows its tab
        assert sub_tab(app) == "sweep"
        await pilot.press("2")
        app.query_one("#runs-table").focus()
        await pilot.pause()
        await pilot.press("3")
        assert sub_tab(app) == "setup"
        await pilot.press("4", "1")
        assert sub_tab(app) == "race"
        assert app.errors == []


async def test_an_input_box_types_digits_and_escape_leaves_it():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        box = lr_input(app, 0)
        box.focus()
        box.value = ""
        await pilot.press("0", ".", "0", "0", "1")
        assert box.value == "0.001" and sub_tab(app) == "runs"     # digits typed, not tab switches
        await pilot.press("escape")
        assert not isinstance(app.focused, Input)
        await pilot.press("1")
        assert sub_tab(app) == "race"
        assert app.query_one("#panel-surface").race.raw["optimizers"][0]["lr"] == 0.001   # applied on leaving


async def test_palette_start_commands_move_the_start_point():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for title in ("Start left", "Start right", "Start up", "Start down"):
            assert f"surface: {title}" in commands
        x0, y0 = panel.race.start_point()
        await commands["surface: Start right"].callback()
        await until(pilot, lambda: panel.race.start_point()[0] > x0)
        await commands["surface: Start down"].callback()
        await until(pilot, lambda: panel.race.start_point()[1] < y0)


async def test_function_keys_switch_the_top_tabs_and_each_tab_opens_its_own_scenario():
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        kinds = list(app.panel_classes)
        await pilot.press(f"f{kinds.index('conv') + 1}")
        assert app.current_kind() == "conv"
        await until(pilot, lambda: "conv" in app.scenarios, timeout=120)
        first_conv = next(n for n in __import__("tui_lab.scenario.shipped", fromlist=["x"]).shipped_names()
                          if load_scenario(n).kind == "conv")
        assert app.scenarios["conv"].name == first_conv
        assert "no scenario loaded" not in str(app.query_one("#panel-conv").query_one(Static).render())
        await pilot.press("ctrl+left")
        assert app.current_kind() == kinds[kinds.index("conv") - 1]
        await pilot.press(f"f{kinds.index('surface') + 1}")
        assert app.current_kind() == "surface"


async def test_log_scale_then_lessons_then_reopening_does_not_crash():
    """The reported crash: l, ] ] ], o, momentum-ravine -> math domain error in plotext's log."""
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await pilot.press("l", "right_square_bracket", "right_square_bracket", "right_square_bracket")
        await until(pilot, lambda: idle(app))
        await pilot.press("o")
        assert isinstance(app.screen, BrowserScreen)
        options = app.screen.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count)
                                   if options.get_option_at_index(i).id == "momentum-ravine")
        await pilot.press("enter")
        await until(pilot, lambda: app.scenarios["surface"].name == "momentum-ravine" and panel.race is not None
                    and panel.race.raw.get("title") == app.scenarios["surface"].raw.get("title"))
        await pilot.pause(0.3)                         # a few redraws with the log scale still on
        assert panel.log_loss and app.is_running
        assert app.errors == []


async def test_a_lesson_step_shows_its_own_state_whatever_ran_before():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        lessons = load_scenario("rosenbrock-race").lessons
        total = panel.race.settings.steps
        await pilot.press("space")                     # the student runs freely first
        await until(pilot, lambda: min(steps(app)) >= 20)
        await pilot.press("space")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: idle(app) and steps(app) == [lessons[0].steps] * 7)
        await pilot.press("n", "n")                    # ...and steps on
        await until(pilot, lambda: idle(app))
        await pilot.press("right_square_bracket")
        want = min(total, lessons[0].steps + lessons[1].steps)
        await until(pilot, lambda: idle(app) and steps(app) == [want] * 7)
        for _ in range(3):
            await pilot.press("right_square_bracket")
        await until(pilot, lambda: idle(app))
        assert max(steps(app)) <= total
        await pilot.press("n")                          # at the end: never beyond N
        await until(pilot, lambda: idle(app))
        assert max(steps(app)) <= total
        k, n = status(app).split("step ")[1].split(" ")[0].rstrip(",").split("/") if "step " in status(app) \
            else (total, total)
        assert int(k) <= int(n)


async def test_the_status_says_paused_while_paused():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await pilot.press("space")
        await until(pilot, lambda: min(steps(app)) >= 30 and status(app).startswith("running"))
        await pilot.press("space")
        await until(pilot, lambda: idle(app))
        await pilot.pause(0.5)                          # several redraw ticks later
        assert status(app).startswith("paused"), status(app)
        stopped = steps(app)
        assert f"step {max(stopped)}/" in status(app)
        assert not panel.running


async def test_a_form_error_clears_when_the_value_is_fixed():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        box = lr_input(app, 0)
        good = box.value
        error = app.query_one("#form-error", Static)
        box.focus()
        box.value = "-3"
        await pilot.press("enter")
        assert error.has_class("shown") and box.has_class("-invalid")
        box.value = good                                # back to the value in force
        await pilot.press("enter")
        assert not error.has_class("shown") and not box.has_class("-invalid")
        box.value = "-3"
        await pilot.press("enter")
        await until(pilot, lambda: error.has_class("shown"))
        box.value = "0.0007"                             # or another good value
        await pilot.press("enter")
        await until(pilot, lambda: not error.has_class("shown"))


async def test_a_panels_messages_show_on_its_own_tab_only():
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = status(app)
        assert app.built_panel("validate") is None        # only the panel in view is built at start
        app.build_panel("validate")                       # (as a panel still working after a tab switch)
        await pilot.pause()
        app.query_one("#panel-validate", KindPanel)._say("computing capacity…")
        await pilot.pause()
        assert status(app) == before
        await pilot.press(f"f{list(app.panel_classes).index('validate') + 1}")
        await pilot.pause()
        assert app.statuses["validate"] != "" and app.current_kind() == "validate"


async def test_learning_rate_and_momentum_keys_restart_the_selected_run():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await pilot.press("n", "n", "n")
        await until(pilot, lambda: idle(app) and steps(app) == [3] * 7)
        await pilot.press("v")                          # run 2: momentum
        assert panel.selected == 1
        lr = panel.race.lanes[1].run.optimizer.hyperparams["lr"]
        await pilot.press("greater_than_sign")
        assert panel.race.lanes[1].run.optimizer.hyperparams["lr"] == float(f"{2 * lr:.3g}")
        assert steps(app)[1] == 0 and steps(app)[0] == 3            # only that run restarted
        await pilot.press("less_than_sign", "less_than_sign")
        assert panel.race.lanes[1].run.optimizer.hyperparams["lr"] == float(f"{lr / 2:.3g}")
        assert panel.race.lanes[1].run.optimizer.hyperparams["momentum"] == 0.9
        await pilot.press("m")
        assert panel.race.lanes[1].run.optimizer.hyperparams["momentum"] == 0.95
        await pilot.press("M", "M")
        assert panel.race.lanes[1].run.optimizer.hyperparams["momentum"] == 0.8
        for _ in range(5):                              # to adam: beta1 moves
            await pilot.press("v")
        assert panel.race.lanes[panel.selected].run.optimizer.name == "adam"
        await pilot.press("M")
        assert panel.race.lanes[panel.selected].run.optimizer.hyperparams["betas"][0] == 0.8
        await pilot.press("v", "v", "v", "v")           # adagrad: says it has none
        assert panel.race.lanes[panel.selected].run.optimizer.name == "adagrad"
        await pilot.press("m")
        assert "no momentum or beta1" in status(app)
        assert app.errors == []


async def test_a_click_on_the_contour_sets_the_start_point():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        plot = app.query_one("#race-plot")
        await pilot.pause()
        width, height = plot.content_size.width, plot.content_size.height
        col, row = width // 3, height // 4
        want = race_point_at(panel.race, width, height, col, row)
        assert want is not None
        gutter = plot.content_region.x - plot.region.x, plot.content_region.y - plot.region.y
        await pilot.click("#race-plot", offset=(col + gutter[0], row + gutter[1]))
        await until(pilot, lambda: panel.race.start_point() == (round(want[0], 6), round(want[1], 6)))
        assert steps(app) == [0] * 7


async def test_a_sweep_cell_chosen_by_keys_becomes_a_run():
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await pilot.press("4", "w")
        await until(pilot, lambda: panel.sweep_result is not None, timeout=120)
        i, j = panel.sweep_cell
        await pilot.press("right", "right", "up")
        assert panel.sweep_cell == (i + 2, j + 1)
        assert "cursor:" in str(app.query_one("#heatmap", Static).render())
        await pilot.press("u")
        await until(pilot, lambda: len(panel.race.lanes) == 8)
        sweep = panel.sweep_result
        added = panel.race.lanes[7].run.optimizer.hyperparams
        assert added["lr"] == float(f"{sweep['values_a'][i + 2]:.3g}")
        swept_b = sweep["axis_b"]
        value_b = added["betas"][0] if swept_b == "beta1" else added[swept_b]
        assert value_b == float(f"{sweep['values_b'][j + 1]:.3g}")
        assert panel.selected == 7 and app.errors == []


async def test_validate_method_key_keeps_working_when_its_plot_is_hidden():
    """m to k-fold hides the left plot (it had the focus): the focus comes back and m still works."""
    app = LabApp("validate-capacity")
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one("#panel-validate", KindPanel)
        await until(pilot, lambda: "validate" in app.scenarios and panel.outcome is not None, timeout=120)
        inside = [w for w in app.screen.focus_chain if panel in w.ancestors]
        inside[0].focus()
        seen = [panel.scenario.settings.method]
        for _ in range(12):
            await pilot.press("m")
            await until(pilot, lambda: panel.scenario.settings.method != seen[-1], timeout=60)
            seen.append(panel.scenario.settings.method)
            await pilot.pause()
            assert app.focused is not None and panel in app.focused.ancestors
            if seen[-2] == "kfold":
                break
        assert "kfold" in seen[:-1] and seen[-1] != "kfold"
        assert app.errors == []


async def test_a_drop_down_removed_while_it_mounts_does_not_crash_the_app():
    """A form rebuilt again (or the app quitting) while its drop-downs mount: Textual mounts nothing into a
    widget being removed, and Select's own set-up then raised NoMatches and took the app down."""
    from textual.app import App
    from textual.containers import Vertical
    from tui_lab.app.forms import ChoiceSelect

    class Host(App):
        def compose(self):
            yield Vertical(id="form")

    app = Host()
    async with app.run_test() as pilot:
        form = app.query_one("#form")
        for _ in range(30):
            form.mount(Vertical(ChoiceSelect(["adam", "sgd"], "adam")))
            await asyncio.sleep(0)
            await form.remove_children()
        form.mount(ChoiceSelect(["adam", "sgd"], "sgd"))
        await pilot.pause()
        assert app.query_one(ChoiceSelect).value == "sgd"     # one left alone mounts whole
    assert app.return_code in (0, None)
