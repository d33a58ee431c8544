"""The app in Korean: every step of every shipped lesson is on screen whole at 80x24 and 120x40
(a Hangul syllable takes two cells, so the Korean needs more room than the English), and the
header and the scenario browser read the Korean titles and course headings."""

from __future__ import annotations

import re

import pytest
from textual.geometry import Region
from textual.widgets import OptionList, Static, TabbedContent

from app_helpers import until
from tui_lab import i18n, load_scenario
from tui_lab.app.lab import LabApp
from tui_lab.scenario.shipped import course_sections, shipped_names


@pytest.fixture(autouse=True)
def korean():
    i18n.set_language("ko")
    yield
    i18n.set_language(None)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_korean_lesson_step_is_on_screen_whole(size):
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: "surface" in app.scenarios)
        assert app.sub_title == load_scenario("rosenbrock-race").title_ko
        bar = app.query_one("#lesson", Static)
        status = app.query_one("#status", Static)
        cut = []
        steps = 0
        for name in shipped_names():
            scenario = load_scenario(name)
            kind = scenario.kind
            app.scenarios[kind] = scenario            # the text's room does not depend on the panel's state
            app.query_one("#kinds", TabbedContent).active = f"tab-{kind}"
            for i, lesson in enumerate(scenario.lessons):
                assert lesson.text_ko, f"{name} step {i + 1} has no Korean"
                app.lesson_index[kind] = i
                app._show_lesson()
                await pilot.pause()
                lines = bar.render_lines(Region(0, 0, bar.outer_size.width, bar.outer_size.height))
                shown = squeeze(" ".join(strip.text for strip in lines))
                inside = app.screen.region.contains_region(bar.region) and bar.region.bottom <= status.region.y
                if not inside or squeeze(lesson.text_ko) not in shown:
                    cut.append(f"{name} step {i + 1}")
                steps += 1
        assert steps > 50
        assert cut == [], f"cut at {size}: {cut}"


async def test_browser_shows_korean_headings_and_titles():
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "surface" in app.scenarios)
        await pilot.press("o")
        await until(pilot, lambda: bool(app.screen.query(OptionList)))
        options = app.screen.query_one(OptionList)
        texts = [str(options.get_option_at_index(k).prompt) for k in range(options.option_count)]
        for heading, _ in course_sections():
            assert heading in texts
        conv = next(text for text in texts if text.strip().startswith("conv-1d "))
        assert conv.endswith(load_scenario("conv-1d").title_ko)
