"""The app in Korean: every step of every shipped lesson is on screen whole at 80x24 and 120x40
(a Hangul syllable takes two cells, so the Korean needs more room than the English), and the
header and the scenario browser read the Korean titles and course headings."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from app_helpers import lesson_steps_cut, until
from tui_lab import i18n, load_scenario
from tui_lab.app.lab import LabApp
from tui_lab.scenario.shipped import course_sections


@pytest.fixture(autouse=True)
def korean():
    i18n.set_language("ko")
    yield
    i18n.set_language(None)


def korean_text(lesson) -> str:
    assert lesson.text_ko, "a shipped lesson step has no Korean"
    return lesson.text_ko


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_korean_lesson_step_is_on_screen_whole(size):
    app = LabApp("rosenbrock-race")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: "surface" in app.scenarios)
        assert app.sub_title == load_scenario("rosenbrock-race").title_ko
        steps, cut = await lesson_steps_cut(pilot, app, korean_text)
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
