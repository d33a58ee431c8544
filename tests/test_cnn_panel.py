"""The Train tab on an image set: the image board replaces the plane, draws the batch as the model sees
it (Cutout holes, CutMix patches), predictions, the confusion matrix, filters and feature maps, at 80x24."""

from __future__ import annotations

import numpy as np
import tomli_w
from rich.text import Text
from textual.app import App, ComposeResult

from tui_lab import load_scenario
from tui_lab.app.image_model import HeldOutCurve, image_snapshot
from tui_lab.app.image_views import PAGES, ImageBoard, board_lines, picture, tile
from tui_lab.app.lab import LabApp
from tui_lab.app.train_panel import TrainPanel

SCENARIO = {"title": "images", "kind": "train", "seed": 0, "data": {"name": "digits", "n": 400},
            "model": {"name": "cnn", "conv": [4, 8], "kernel": 3, "pool": "max", "hidden": [], "activation": "relu"},
            "train": {"epochs": 6, "batch_size": 32}, "regularize": {"cutout": [0, 3], "cutmix": [1.0, 0.0]},
            "optimizers": [{"name": "adam", "lr": 0.003}]}


class PanelApp(App):
    def __init__(self, scenario: dict):
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        yield TrainPanel(id="panel")

    def on_mount(self) -> None:
        self.query_one(TrainPanel).load_scenario(load_scenario(self.scenario))


async def wait_for(pilot, condition, seconds: float = 90.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


def plain(widget) -> str:
    return widget.render().plain


async def test_image_board_trains_and_cycles_its_views_at_80x24(tmp_path):
    path = tmp_path / "images.toml"
    path.write_text(tomli_w.dumps(SCENARIO))
    app = LabApp(str(path), panels={"train": TrainPanel})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.query(TrainPanel))
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None)
        board = app.query_one("#train-images", ImageBoard)
        await wait_for(pilot, lambda: board.display and board.snapshot is not None)
        assert not app.query_one("#train-data").display          # no 2-D plane for images
        panel.step_once()
        await wait_for(pilot, lambda: not panel.stepping and panel.views and panel.views[0].epoch == 1)
        await wait_for(pilot, lambda: board.snapshot is not None and board.snapshot.step > 0)
        text = plain(board)
        assert "step" in text and "batch" in text and "CutMix" in text and "test images" in text and "▀" in text
        assert "test acc" in text
        assert board.size.width <= 80 and all(len(line) <= board.size.width for line in text.splitlines())
        await pilot.press("i")
        await wait_for(pilot, lambda: board.page == "confusion")
        assert "rec" in plain(board) and "accuracy" in plain(board)
        await pilot.press("i")
        await wait_for(pilot, lambda: board.page == "filters")
        assert "filters 3x3" in plain(board) and "image 1 (, .)" in plain(board)
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: board.snapshot.chosen == 1 and "image 2" in plain(board))
        await pilot.press("v")                                     # the Cutout run
        await wait_for(pilot, lambda: panel.selected == 1 and board.snapshot is not None)
        await pilot.press("i")
        await wait_for(pilot, lambda: board.page == "batch")
        await pilot.press("n")
        await wait_for(pilot, lambda: not panel.stepping and panel.views[1].epoch == 2 and board.snapshot.step > 13)
        assert "Cutout" in plain(board)
        for size in ((40, 12), (120, 40), (20, 8)):                 # resizes never crash
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            assert plain(board) is not None
        assert app.errors == [] if hasattr(app, "errors") else True


async def test_mlp_on_digits_shows_weights_as_images():
    sc = {**SCENARIO, "model": {"name": "mlp", "hidden": [16], "activation": "relu"}, "regularize": {}}
    app = PanelApp(sc)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(TrainPanel)
        await wait_for(pilot, lambda: panel.lab is not None)
        board = app.query_one("#train-images", ImageBoard)
        panel.step_once()
        await wait_for(pilot, lambda: not panel.stepping and panel.views and panel.views[0].epoch == 1)
        await wait_for(pilot, lambda: board.snapshot is not None and board.snapshot.curve.epochs)
        assert "dense model" in plain(board)
        board.page = "filters"
        assert "first-layer weights" in plain(board) and "no feature maps" in plain(board)


def test_snapshot_and_pages_without_textual():
    tr = load_scenario(SCENARIO).settings.make_trainers(0)[0]
    tr.advance(1)
    curve = HeldOutCurve()
    snap = image_snapshot(tr, curve, 3, (1, 8, 8))
    assert snap.batch.shape == (16, 1, 8, 8) and snap.patch[0] >= 0          # the CutMix run's batch
    assert snap.confusion.sum() == tr.test_idx.size and curve.epochs == [1]
    assert np.isclose(curve.accuracy[0], tr.evaluate(tr.test_idx)[1])
    assert [m.shape for m in snap.maps] == [(4, 8, 8), (8, 4, 4)] and snap.chosen == 3
    for page in PAGES:
        for width in (80, 40, 10):
            lines = board_lines(snap, page, width)
            assert lines and all(isinstance(line, Text) for line in lines)
    tr.reset()
    image_snapshot(tr, curve, 0, (1, 8, 8))
    tr.advance(1)
    image_snapshot(tr, curve, 0, (1, 8, 8))
    assert curve.epochs == [1]                                                # a reset run starts a new curve


def test_half_blocks_draw_two_pixel_rows_per_line():
    img = np.zeros((4, 3))
    img[0] = 1.0                                      # a white top row
    lines = picture(img)
    assert len(lines) == 2 and all(line.plain == "▀▀▀" for line in lines)
    top = lines[0].spans[0].style
    assert "255" in str(top.color) and "0" in str(top.bgcolor)
    tint = np.zeros((4, 3), dtype=int)
    tint[2:, :] = 1                                   # a Cutout hole on the lower half
    assert "rgb(110" in str(picture(np.zeros((4, 3)), tint=tint)[1].spans[0].style.color)
    rows = tile([lines, lines, lines], ["a", "b", "c"], width=8)
    assert len(rows) == 6 and all(r.cell_len <= 8 for r in rows)   # wrapped: two per row, captions under


def test_confusion_rows_end_in_a_blank_column_at_the_80x24_board_width():
    """At 80x24 the board is 40 columns and the loss plot's tick labels follow at once: recall '1.00' ran
    into the tick '1.0' as '1.001.0'. Every matrix line now ends before the last column."""
    from tui_lab.app.image_views import confusion_lines

    tr = load_scenario(SCENARIO).settings.make_trainers(0)[0]
    tr.advance(1)
    snap = image_snapshot(tr, HeldOutCurve(), 0, (1, 8, 8))
    for width in (40, 41, 60):
        rows = [line.plain for line in confusion_lines(snap, width, 20)[1:-2]]
        assert len(rows) == 11 and all(len(row) < width for row in rows), (width, rows)
        assert all(row.split()[-1] in ("rec", "recall", "-") or float(row.split()[-1]) <= 1 for row in rows)
