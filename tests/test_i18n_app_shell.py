"""The lab's own words follow the language chosen when the app starts, in one process: the footer's
key titles, the help screen, the tab labels, the lesson bar's frame and the status line are Korean
under `--lang ko` and English again under `--lang en` (nothing is translated once, at import)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static, TabbedContent

from app_helpers import SURFACE_ONLY, ready, until
from tui_lab import i18n
from tui_lab.app.commands import tab_label
from tui_lab.app.lab import LabApp

HANGUL = re.compile("[가-힣]")


@pytest.fixture(autouse=True)
def back_to_the_locale():
    yield
    i18n.set_language(None)


def footer_titles(app) -> dict[str, str]:
    """key -> the description the footer shows for it (the app's shown bindings)."""
    return {key: b.description for key, (_, b, _, _) in app.active_bindings.items() if b.show}


def labels(app, tabs_id: str) -> str:
    return " ".join(str(tab.label) for tab in app.query_one(tabs_id, TabbedContent).query("ContentTab"))


async def shell_words(language: str) -> dict[str, str]:
    i18n.set_language(language)
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: app.lesson_index.get("surface") == 0)
        words = {"footer": " ".join(footer_titles(app).values()),
                 "lesson": str(app.query_one("#lesson", Static).render()),
                 "tabs": labels(app, "#surface-tabs"), "top": labels(app, "#kinds")}
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.query("#help-text"))
        words["help"] = str(app.screen.query_one("#help-text", Static).render())
    return words


async def test_korean_then_english_in_one_process():
    korean = await shell_words("ko")
    assert "실행/정지" in korean["footer"] and "Run/pause" not in korean["footer"]
    assert "레슨 1/3" in korean["lesson"] and "] 다음, [ 이전" in korean["lesson"]
    assert "Setup 설정" in korean["tabs"] or "Setup" in korean["tabs"]     # the name lessons cite stays
    assert "Race" in korean["tabs"] and "Surface" in korean["top"]
    assert "도움말" in korean["help"] and "W_t" in korean["help"] and "adam" in korean["help"]   # notation, names stay
    english = await shell_words("en")
    assert "Run/pause" in english["footer"] and not HANGUL.search(english["footer"])
    assert "Lesson 1/3" in english["lesson"] and "] next, [ back" in english["lesson"]
    assert not HANGUL.search(english["tabs"] + english["top"] + english["help"])


def test_tab_label_keeps_the_english_name():
    i18n.set_language("ko")
    assert tab_label("Race").startswith("Race ") and HANGUL.search(tab_label("Race"))
    i18n.set_language("en")
    assert tab_label("Race") == "Race"


async def test_textual_own_words_in_korean():
    """Words Textual writes itself: the palette's search prompt, its "No matches found" line and the
    theme picker's prompt follow the reader's language (English stays Textual's own words)."""
    from textual.command import CommandInput, CommandList

    for language, words in (("ko", ("명령 찾기…", "일치하는 항목이 없습니다", "테마 찾기…")),
                            ("en", ("Search for commands…", "No matches found", "Search for themes…"))):
        i18n.set_language(language)
        app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            await pilot.press("ctrl+p")
            await until(pilot, lambda: app.screen.query(CommandInput))
            assert app.screen.query_one(CommandInput).placeholder == words[0]
            await pilot.press(*"zzqqxx")
            found = app.screen.query_one(CommandList)
            await until(pilot, lambda: found.option_count == 1 and found.get_option_at_index(0).disabled)
            assert found.get_option_at_index(0).prompt.renderable.plain == words[1]
            await pilot.press("escape")
            await until(pilot, lambda: not app.screen.query(CommandInput))
            app.action_change_theme()
            await until(pilot, lambda: app.screen.query(CommandInput))
            assert app.screen.query_one(CommandInput).placeholder == words[2]
