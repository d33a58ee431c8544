"""A few thousand random keys and resizes: the lab neither crashes nor leaves a worker error."""

from __future__ import annotations

import random

from textual import events

from app_helpers import SURFACE_ONLY, ready
from tui_lab.app.lab import LabApp

KEYS = ["space", "n", "r", "a", "d", "R", "l", "plus", "minus", "w", "1", "2", "3", "4", "left", "right", "up",
        "down", "tab", "shift+tab", "enter", "escape", "right_square_bracket", "left_square_bracket",
        "question_mark", "o", "s", "e", "c", "S", "ctrl+p", "0", "5", ".", "x", "backspace", "y"]
SIZES = [(80, 24), (120, 40), (60, 18), (40, 12), (100, 30)]
CHARS = {"space": " ", "plus": "+", "minus": "-", "question_mark": "?", "right_square_bracket": "]",
         "left_square_bracket": "[", "enter": "\r", "tab": "\t", "escape": "\x1b", "full_stop": "."}
BURST = 50          # keys sent before the app catches up, as a fast typist would
KEY_COUNT = 2000


def key_event(key: str) -> events.Key:
    key = "full_stop" if key == "." else key
    return events.Key(key, CHARS.get(key, key if len(key) == 1 else None))


async def test_random_keys_and_resizes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # save / export dialogs may write here
    rng = random.Random(1234)
    app = LabApp("rosenbrock-race", panels=SURFACE_ONLY)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for burst in range(KEY_COUNT // BURST):
            if burst % 5 == 0:
                await pilot.resize_terminal(*rng.choice(SIZES))
            for _ in range(BURST):
                event = key_event(rng.choice(KEYS))
                event.set_sender(app)
                app._driver.send_message(event)
            await pilot.pause()
        await pilot.pause(0.2)
        assert app.is_running
        assert app.errors == []
