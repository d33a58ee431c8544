"""Lesson entries show the state their text describes. `]` to entry i reloads the lesson's scenario
and takes the steps of entries 1..i (entry i's included), so an entry's `steps` are taken on entering
it: an Inspect lesson's "Step N:" entry must sit at step N, its first entry at step 1."""

from __future__ import annotations

import re

import pytest

from app_helpers import SURFACE_ONLY, ready, until
from test_inspector_app import view_text
from tui_lab import load_scenario
from tui_lab.app.lab import LabApp
from tui_lab.scenario.shipped import shipped_names

INSPECT_LESSONS = sorted(n for n in shipped_names() if n.startswith("inspect-"))


def entered_steps(scenario) -> list[int]:
    """The run's step count on entering each lesson entry."""
    total, out = 0, []
    for lesson in scenario.lessons:
        total += lesson.steps
        out.append(total)
    return out


def described_step(text: str, index: int) -> int | None:
    """The step an Inspect lesson entry reads: "Step N: ..." opens it, and the first entry reads step 1."""
    m = re.match(r"(?:Step|스텝) (\d+):", text)
    return int(m.group(1)) if m else (1 if index == 0 else None)


@pytest.mark.parametrize("name", INSPECT_LESSONS)
def test_inspect_lesson_entries_sit_at_the_step_they_read(name):
    scenario = load_scenario(name)
    for i, (lesson, at) in enumerate(zip(scenario.lessons, entered_steps(scenario))):
        for text in (lesson.text, lesson.text_ko):
            step = described_step(text, i)
            if step is not None:
                assert at == step, f"{name} entry {i + 1} reads step {step} but enters at step {at}"
    assert len(INSPECT_LESSONS) >= 9


async def test_inspect_adam_lesson_shows_the_step_each_entry_reads():
    app = LabApp("inspect-adam", panels=SURFACE_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await ready(pilot)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: panel.race is not None and panel.race.lanes[0].run.t == 1)
        await pilot.press("I")
        await until(pilot, lambda: "step t = 1" in view_text(app))
        assert "not taken yet" not in view_text(app)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: panel.race is not None and panel.race.lanes[0].run.t == 10)
        await until(pilot, lambda: "step t = 10" in view_text(app))
        assert app.errors == []


@pytest.mark.parametrize("name, shown", [
    # per entry: (phase, entry index in the phase's visiting order, its terms all added)
    ("conv-backward", [(1, 0), (2, 4), (2, 4)]),          # grad_kernel[0][0], then grad_input[1][1]
    ("conv-1d", [(0, 0), (0, 3), (2, 5)]),                 # first output, last output, all of grad_input
])
async def test_conv_lesson_entries_reach_the_phase_they_read(name, shown):
    from tui_lab.app.conv_panel import ConvPanel
    from tui_lab.app.conv_panel.model import PHASES

    app = LabApp(name, panels={"conv": ConvPanel})
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ConvPanel)
        await until(pilot, panel.loaded)
        for i, (phase, entry) in enumerate(shown):
            await pilot.press("b")                  # the student's own phase switch is undone by `]`
            await pilot.press("right_square_bracket")
            await until(pilot, lambda: app.lesson_index.get("conv") == i and panel.loaded()
                        and app._lesson_moves.get("conv") is not None and not panel.pending_steps)
            await until(pilot, lambda: (panel.phase, panel.stepper.entry) == (phase, entry))
            assert panel.stepper.k == panel.stepper.counts[entry], f"{name} entry {i + 1}"
            await until(pilot, lambda: PHASES[phase] in str(app.query_one("#status").render()))
        assert app.errors == []


def first_load_answering_last(base, kind: str, lessons: int, app_of, built: list, finished: list):
    """`base` (the model a panel's load builds in its worker) whose first instance, built for the
    lesson's first entry, finishes only after the last `]`'s load has: a superseded load that answers
    last. `app_of()` gives the app; `built` and `finished` record each instance."""
    import time

    class FirstAnswersLast(base):
        def __init__(self, *args, **kwargs):
            built.append(self)
            app = app_of()
            if app.lesson_index.get(kind) == 0:
                deadline = time.monotonic() + 30
                while not (app.lesson_index.get(kind) == lessons - 1
                           and built[-1] is not self and finished[-1:] == built[-1:]):
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                time.sleep(0.5)
            super().__init__(*args, **kwargs)
            finished.append(self)

    return FirstAnswersLast


async def test_lesson_keys_pressed_while_warming_up_still_advance(monkeypatch):
    """`]` pressed a few times while the first start compiles (each press reloads the scenario):
    the runs a superseded load built arrive last and must not replace the runs the lesson
    advanced (they did: "Lesson 3/3" over epoch 0/80)."""
    from tui_lab.app import train_panel
    from tui_lab.app.train_panel import TrainPanel

    built, finished = [], []
    scenario = load_scenario("practice-sgd-momentum-adam")
    monkeypatch.setattr(train_panel, "TrainLab", first_load_answering_last(
        train_panel.TrainLab, "train", len(scenario.lessons), lambda: app, built, finished))
    total = sum(lesson.steps for lesson in scenario.lessons)
    app = LabApp("practice-sgd-momentum-adam", panels={"train": TrainPanel})
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one("#panel-train", TrainPanel)
        await until(pilot, lambda: panel.lab is not None)
        for _ in scenario.lessons:
            await pilot.press("right_square_bracket")
            await pilot.pause(0.3)
        assert app.lesson_index["train"] == len(scenario.lessons) - 1
        await until(pilot, lambda: panel.lab is not None and not panel.stepping
                    and all(tr.epoch == total for tr in panel.lab.trainers))
        await until(pilot, lambda: len(finished) == len(built))
        await pilot.pause(0.5)                   # the superseded load has answered by now
        assert panel.lab is built[-1] and all(tr.epoch == total for tr in panel.lab.trainers)
        assert app.errors == []


async def test_surface_lesson_keys_pressed_while_warming_up_still_advance(monkeypatch):
    """The same on the Surface tab: the race of the first `]`'s load answers last and is dropped."""
    from tui_lab.app import surface_model

    scenario = load_scenario("inspect-adam")
    built, finished = [], []
    monkeypatch.setattr(surface_model, "Race", first_load_answering_last(
        surface_model.Race, "surface", len(scenario.lessons), lambda: app, built, finished))
    app = LabApp("inspect-adam", panels=SURFACE_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await ready(pilot)
        for _ in scenario.lessons:
            await pilot.press("right_square_bracket")
            await pilot.pause(0.3)
        await until(pilot, lambda: len(finished) == len(built) and panel.race is not None and not panel.stepping)
        await pilot.pause(0.5)
        assert panel.race is built[-1] and [lane.run.t for lane in panel.race.lanes] == [10]
        assert app.errors == []
