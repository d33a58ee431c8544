"""Lessons as a student reads them: every step of every shipped lesson is on screen whole at 80x24
and 120x40, and every key and tab a lesson names exists on the panel that shows it.

Both tests read the shipped files afresh, so lessons added or reworded later are checked too.
"""

from __future__ import annotations

import re

import pytest
from textual.widgets import TabbedContent, TabPane

from app_helpers import lesson_steps_cut, until
from tui_lab import load_scenario
from tui_lab.app.lab import LabApp
from tui_lab.app.panel import KindPanel
from tui_lab.scenario.shipped import shipped_names

KEY_NAMES = {"+": "plus", "-": "minus", ".": "full_stop", ",": "comma", "]": "right_square_bracket",
             "[": "left_square_bracket", "?": "question_mark", "<": "less_than_sign", ">": "greater_than_sign",
             "=": "equals_sign", "esc": "escape", "←": "left", "→": "right", "↑": "up", "↓": "down"}
STOP_WORDS = {"and", "the", "then", "to", "a", "an", "of", "or", "it", "its"}


def lessons_by_scenario() -> list[tuple[str, object]]:
    out = []
    for name in shipped_names():
        scenario = load_scenario(name)
        if scenario.lessons:
            out.append((name, scenario))
    return out


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_lesson_step_is_on_screen_whole(size):
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: "surface" in app.scenarios)
        steps, cut = await lesson_steps_cut(pilot, app, lambda lesson: lesson.text)
        assert steps > 50
        assert cut == [], f"cut at {size}: {cut}"


def named_keys(text: str) -> list[tuple[str, str]]:
    """(key as written, the words before it) for every key a lesson text tells the student to press."""
    found = []
    for m in re.finditer(r"\b[Pp]ress(?:ing)? (\S+)(?: or (\S+))?", text):
        for key in filter(None, m.groups()):
            found.append((key, ""))
    for m in re.finditer(r"(?<=\s)\(([^\s()\d]|up/down|[a-z]+/[a-z]+)\)(?!\w)", text):    # "(s)", not "a(t)" or "(R)Adam"
        found.append((m.group(1), ""))
    for m in re.finditer(r"\b([A-Z][a-z]+) tab \((\d)\)", text):
        found.append((m.group(2), f"{m.group(1)} tab"))
    for m in re.finditer(r"((?:\w+ ){1,3})with (\w)[:.,;]", text):
        found.append((m.group(2), m.group(1)))
    keys = []
    for key, before in found:
        for part in key.split("/"):
            part = part.rstrip(":;,).") if len(part) > 1 else part     # "press b):" names b
            keys.append((KEY_NAMES.get(part, part), before))
    return keys


async def test_lessons_name_only_keys_and_tabs_that_exist():
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "surface" in app.scenarios)
        top_tabs = {kind.capitalize() for kind in app.panel_classes}
        wrong = []
        checked = 0
        for name, scenario in lessons_by_scenario():
            kind = scenario.kind
            app.build_panel(kind)                     # a panel is built when its tab is first shown
            await until(pilot, lambda: app.built_panel(kind) is not None)
            await pilot.pause()
            panel = app.query_one(f"#panel-{kind}", KindPanel)
            tabs = panel.query(TabbedContent)
            sub_tabs = {}
            if tabs:
                for pane in tabs.first().query(TabPane):
                    sub_tabs[str(tabs.first().get_tab(pane.id).label.plain)] = pane.id
            commands = app.routes["app"] + app.routes[kind]
            declared = {k.strip(): c for c in commands for k in c.key.split(",")}
            for i, lesson in enumerate(scenario.lessons):
                where = f"{name} step {i + 1}"
                for tab in re.findall(r"\b([A-Z][a-z]+) tab\b", lesson.text):
                    checked += 1
                    if tab not in sub_tabs and tab not in top_tabs:
                        wrong.append(f"{where}: no '{tab}' tab on the {kind} panel")
                for key, before in named_keys(lesson.text):
                    checked += 1
                    command = declared.get(key)
                    if command is None:
                        wrong.append(f"{where}: no key '{key}' on the {kind} panel")
                        continue
                    if before.endswith(" tab"):             # "Setup tab (2)": 2 must show that tab
                        if f"'{sub_tabs.get(before[:-4])}'" not in command.action:
                            wrong.append(f"{where}: '{key}' does not show the {before}")
                    elif before:                           # "switch runs with v": v must be about that
                        stems = {w[:3] for w in re.findall(r"[a-z]+", before.lower()) if w not in STOP_WORDS}
                        said = {w[:3] for w in re.findall(r"[a-z]+", (command.title + " " + command.help).lower())}
                        if not stems & said:
                            wrong.append(f"{where}: '{before.strip()} with {key}', but {key} is {command.title}")
        assert checked > 40
        assert wrong == [], "\n".join(wrong)


def test_the_name_check_catches_wrong_names():
    """The parser behind the test above finds the names a lesson uses (no silent pass)."""
    text = ("Press space and switch runs with s: then press + or -. Open the Runs tab (3), "
            "pick the setup line (up/down) and press . to go on; save it (s).")
    assert named_keys(text) == [("space", ""), ("plus", ""), ("minus", ""), ("full_stop", ""),
                                ("up", ""), ("down", ""), ("s", ""), ("3", "Runs tab"),
                                ("s", "and switch runs ")]
