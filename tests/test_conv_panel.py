"""The conv panel in its own small Textual app, driven from the keyboard with Pilot."""

import time

import numpy as np
import pytest

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

import tui_lab
from tui_lab.app.conv_panel import CONV_COMMANDS, ConvPanel, Stepper
from tui_lab.app.panel import PanelStatus


class Harness(App):
    """Mounts one ConvPanel and routes the app's fixed keys and the panel's commands to it, as the lab does."""
    BINDINGS = [("space", "run_pause"), ("n", "step"), ("r", "reset")] + [
        Binding(key, f"panel_command({index}, {key!r})", priority=True)
        for index, command in enumerate(CONV_COMMANDS) for key in command.key.split(",")]
    pressed_key = ""

    async def action_panel_command(self, index: int, key: str) -> None:
        command, panel = CONV_COMMANDS[index], self.query_one(ConvPanel)
        self.pressed_key = key
        if not command.view or command.view == panel.current_view():
            await panel.run_action(command.action)

    def check_action(self, action, parameters):
        if action == "panel_command":      # (as the lab's router: only the commands live in the panel's view)
            command = CONV_COMMANDS[parameters[0]]
            return not command.view or command.view == self.query_one(ConvPanel).current_view()
        return True

    def __init__(self, scenario):
        super().__init__()
        self.scenario = scenario
        self.statuses: list[str] = []

    def compose(self) -> ComposeResult:
        yield ConvPanel(id="conv")

    def on_mount(self) -> None:
        panel = self.query_one(ConvPanel)
        panel.load_scenario(self.scenario)
        next(w for w in panel.query("*") if w.focusable).focus()     # as the lab does

    def on_panel_status(self, message: PanelStatus) -> None:
        self.statuses.append(message.text)

    def action_run_pause(self) -> None:
        self.query_one(ConvPanel).toggle_run()

    def action_step(self) -> None:
        self.query_one(ConvPanel).step_once()

    def action_reset(self) -> None:
        self.query_one(ConvPanel).reset()


async def until(pilot, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


def text_of(app, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


async def started(pilot) -> ConvPanel:
    panel = pilot.app.query_one(ConvPanel)
    await until(pilot, lambda: panel.data is not None)
    await pilot.pause()
    return panel


def test_stepper_walks_terms_and_entries():
    s = Stepper([2, 0, 3])
    seen = [(s.entry, s.k)]
    while s.step():
        seen.append((s.entry, s.k))
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 1), (2, 2), (2, 3)] and s.finished
    s.back()
    assert (s.entry, s.k) == (2, 2)
    s.previous_entry()
    assert (s.entry, s.k) == (1, 0)
    s.next_entry()
    assert (s.entry, s.k) == (2, 3)


async def test_first_cell_term_by_term_matches_the_output():
    scenario = tui_lab.load_scenario("conv-first-3x3")
    expected = tui_lab.run_scenario(scenario)["output"]
    app = Harness(scenario)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await started(pilot)
        for _ in range(8):
            await pilot.press("n")
        assert (panel.stepper.entry, panel.stepper.k) == (0, 8)
        terms = text_of(app, "conv-terms")
        assert "term 8/9" in terms and "bias" not in terms
        await pilot.press("right")
        terms = text_of(app, "conv-terms")
        assert f"output[0,0] = {int(expected[0][0])}" in terms
        await pilot.press("left", "left")
        assert panel.stepper.k == 7
        await pilot.press("full_stop", "full_stop")      # finish cell 0, then all of cell 1
        assert (panel.stepper.entry, panel.stepper.k) == (1, 9)
        assert f"= {int(expected[0][1])}" in text_of(app, "conv-terms")
        await pilot.press("r")
        assert (panel.stepper.entry, panel.stepper.k) == (0, 0)
        panel.advance(36)                                  # a lesson's steps: 4 cells x 9 terms
        assert panel.stepper.finished
        panel.load_scenario(scenario)                      # steps asked for while computing are kept
        panel.advance(10)
        await until(pilot, lambda: panel.data is not None)
        assert (panel.stepper.entry, panel.stepper.k) == (1, 1)


async def test_autoplay_runs_on_a_timer_and_stops_at_the_end():
    scenario = tui_lab.load_scenario({"title": "t", "kind": "conv",
                                      "conv": {"input": [1, 2, 3, 4], "kernel": [1, -1]}})
    app = Harness(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await started(pilot)
        for _ in range(3):
            await pilot.press("v")                       # from 2 to 32 terms per second
        await pilot.press("space")
        await until(pilot, lambda: panel.stepper.finished and not panel.playing)
        await pilot.pause()
        assert "done" in app.statuses[-1]


async def test_backward_phases_show_gradient_entries():
    scenario = tui_lab.load_scenario("conv-backward")
    result = tui_lab.run_scenario(scenario)
    app = Harness(scenario)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await started(pilot)
        await pilot.press("b")
        assert panel.phase == 1
        await pilot.press("full_stop")
        assert f"= {int(result['grad_kernel'][0][0])}" in text_of(app, "conv-terms")
        await pilot.press("b")
        assert panel.phase == 2
        for _ in range(5):                               # to grad_input[1][1] (row-major, entry 4)
            await pilot.press("full_stop")
        assert f"grad_input[1,1] = {int(result['grad_input'][1][1])}" in text_of(app, "conv-terms")
        assert "grad_bias = sum of g" in text_of(app, "conv-grids")


async def test_settings_change_through_the_validator_and_invalid_ones_are_explained():
    scenario = tui_lab.load_scenario("conv-first-3x3")
    app = Harness(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await started(pilot)
        # select "padding" and raise it: the output grows from 2x2 to 4x4
        for _ in range(6):
            await pilot.press("down")
        await pilot.press("plus")
        await until(pilot, lambda: panel.data.conv.padding == (1, 1, 1, 1))
        assert panel.data.output.shape == (1, 4, 4)
        assert "floor((4 + 2*1 - 1*(3-1) - 1)/1) + 1 = 4" in text_of(app, "conv-head")
        # dilation 2 then 3: the 3x3 kernel spans 7 > 6 padded rows -> explained, setup unchanged
        await pilot.press("down", "plus")
        await until(pilot, lambda: panel.data.conv.dilation == (2, 2))
        await pilot.press("plus")
        await pilot.pause()
        assert "spans 7" in text_of(app, "conv-problem")
        assert panel.data.conv.dilation == (2, 2)
        # more channels and kernels: O x C x KH x KW kernels, O output channels
        await pilot.press("up", "up", "up", "up", "up", "plus")   # channels 2
        await until(pilot, lambda: panel.data.conv.x.shape[0] == 2)
        await pilot.press("down", "plus")                        # kernels 2
        await until(pilot, lambda: panel.data.output.shape[0] == 2)
        await pilot.press("full_stop")
        assert "channel 1 adds" in text_of(app, "conv-terms")
        await pilot.press("m")
        await until(pilot, lambda: panel.data.conv.mode == "convolution")
        saved = panel.to_scenario()
        assert tui_lab.load_scenario(saved).settings.conv.x.shape[0] == 2
        assert panel.results()["output_shape"][0] == 2


async def test_image_view_draws_half_blocks_and_named_kernels_cycle():
    scenario = tui_lab.load_scenario("conv-image-kernels")
    app = Harness(scenario)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await started(pilot)
        assert panel.image_view
        assert "▀" in text_of(app, "conv-grids") and "filtered by edge" in text_of(app, "conv-grids")
        await pilot.press("k")
        await until(pilot, lambda: panel.scenario.settings.kernel_name == "sobel_x")
        await pilot.press("i")
        assert not panel.image_view and "input" in text_of(app, "conv-grids")


async def test_one_d_panel_at_80x24():
    scenario = tui_lab.load_scenario("conv-1d")
    app = Harness(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await started(pilot)
        await pilot.press("k")                     # named kernels are 2-D: explained, not applied
        await pilot.pause()
        assert "1-D" in text_of(app, "conv-problem")
        panel.advance(3)
        assert "= -3" in text_of(app, "conv-terms")


async def test_random_keys_never_crash_the_panel():
    import random

    rng = random.Random(5)
    keys = ["n", "space", "r", "right", "left", "full_stop", "comma", "b", "m", "k", "i", "up", "down", "plus",
            "minus", "v", "pageup", "pagedown"]
    app = Harness(tui_lab.load_scenario("conv-rgb-channels"))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await started(pilot)
        for burst in range(4):
            await pilot.resize_terminal(*rng.choice([(80, 24), (120, 40), (60, 18)]))
            await pilot.press(*[rng.choice(keys) for _ in range(15)])
            await pilot.pause()
        await until(pilot, lambda: not any(w.is_running for w in app.workers))
        assert panel.data is not None and panel.stepper is not None
        panel.reset()
        panel.step_once()
        assert panel.stepper.k == min(1, panel.stepper.counts[0])


def test_value_cursor_moves_types_and_stays_inside():
    from tui_lab.app.conv_panel.model import ValueCursor, with_entry

    cursor = ValueCursor("input", (0, 0, 0))
    cursor.move((1, 4, 5), -1, 9)
    assert cursor.index == (0, 0, 4)
    for char in "-2.5x":
        cursor.type(char)
    assert cursor.typed == "-2.5" and cursor.value() == -2.5
    cursor.backspace()
    cursor.backspace()
    assert cursor.value() == -2 and isinstance(cursor.value(), int)
    cursor.fit((1, 2, 3))
    assert cursor.index == (0, 0, 2)
    assert with_entry([[1, 2], [3, 4]], (1, 0), 9) == [[1, 2], [9, 4]]
    cursor.typed = "-"
    assert cursor.value() is None


async def test_typing_a_value_into_the_input_and_the_kernel_in_place():
    scenario = tui_lab.load_scenario("conv-first-3x3")
    app = Harness(scenario)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await started(pilot)
        await pilot.press("t")                               # cursor on input[0][0]
        assert panel.current_view() == "edit"
        await pilot.press("right", "down", "7", "enter")     # input[1][1] = 7
        await until(pilot, lambda: panel.data is not None and panel.data.result["input"][1][1] == 7)
        assert "typing x[1,1]" in text_of(app, "conv-settings")
        await pilot.press("t", "minus", "3", "enter")        # kernel[0][0] = -3
        await until(pilot, lambda: panel.data is not None and panel.data.result["kernel"][0][0] == -3)
        x = np.array(panel.data.result["input"], dtype=float)
        k = np.array(panel.data.result["kernel"], dtype=float)
        want = sum(x[i, j] * k[i, j] for i in range(3) for j in range(3))      # cross-correlation, cell (0, 0)
        assert panel.data.output[0, 0, 0] - panel.data.conv.bias[0] == pytest.approx(want)
        await pilot.press("escape")                          # the cursor goes, arrows step terms again
        assert panel.cursor is None and panel.current_view() == "step"
        await pilot.press("right")
        assert panel.stepper.k == 1
