"""The Train, Validate and Conv tabs' own texts in Korean: translated when drawn (the language can
change within one process), names, keys and numbers kept, and Hangul measured in cells."""

import pytest
from rich.cells import cell_len

import tui_lab
from tui_lab import i18n
from tui_lab.app.image_views import PAGES, SPARKS, board_lines
from tui_lab.app.validate_panel.model import ValidateState, setup_fields
from tui_lab.app.validate_panel.panel import coloured_key


@pytest.fixture
def korean():
    i18n.set_language("ko")
    yield
    i18n.set_language(None)


def test_image_board_header_in_each_language(korean):
    lines = board_lines(None, "confusion", 40)
    header = lines[0]
    assert header.plain.split() == ["배치", "혼동행렬", "필터", "(i:", "다음)"]
    bold = [header.plain[span.start:span.end] for span in header.spans if span.style == "bold"]
    assert bold == ["혼동행렬 "]                           # the page in view is marked without capitals
    assert lines[1].plain == "space나 n을 누르면 학습합니다"
    i18n.set_language("en")
    assert board_lines(None, "confusion", 40)[0].plain == "batch CONFUSION filters  (i: next)"
    assert PAGES == ("batch", "confusion", "filters")     # the keys stay English


def test_validate_heading_progress_and_setup_hints(korean):
    state = ValidateState()
    state.open(tui_lab.load_scenario("validate-kfold"))
    head = state.heading().plain
    assert head.startswith("k-겹 교차 검증 (k-fold)") and "sine (n=60, noise=0.25)" in head
    assert state.progress("ready") == "준비: 행 0/0"
    hints = {path: hint for _, path, _, _, hint in setup_fields(state.raw)}
    assert hints[("data", "n")] == "전체 점 개수" and hints[("validate", "degrees")] == "후보, 예: 1, 3, 9"
    i18n.set_language("en")
    assert state.heading().plain.startswith("k-fold cross-validation")
    assert state.progress("ready") == "ready: row 0/0"


def test_plot_keys_colour_their_korean_colour_words(korean):
    key = coloured_key(i18n.tr("blue train, orange validation, red test"))
    assert key.plain == "파랑 학습, 주황 검증, 빨강 테스트"
    styled = {key.plain[s.start:s.end]: str(s.style) for s in key.spans if s.style}
    assert styled == {"파랑": "bold dodger_blue2", "주황": "bold orange1", "빨강": "bold red"}


def test_curve_lines_align_in_cells(korean):
    from tui_lab.app.image_model import HeldOutCurve
    from tui_lab.app.image_views import curve_lines

    class Snap:
        curve = HeldOutCurve(epochs=[1, 2, 3], accuracy=[0.5, 0.7, 0.9], loss=[1.0, 0.6, 0.3])

    acc, loss = curve_lines(Snap(), 40)
    spark = [cell_len(line.plain[:min(line.plain.index(c) for c in SPARKS if c in line.plain)]) for line in (acc, loss)]
    assert spark[0] == spark[1]                           # both sparklines start in the same cell column
    assert acc.plain.startswith("테스트 정확도") and "에폭 1-3" in loss.plain
    i18n.set_language("en")
    acc, loss = curve_lines(Snap(), 40)
    assert acc.plain.startswith("test acc  0.900 ") and loss.plain.startswith("test loss 0.300 ")
    Snap.curve = HeldOutCurve(epochs=list(range(1, 31)), accuracy=[0.5] * 30, loss=[0.3] * 30)
    acc, loss = curve_lines(Snap(), 40)
    assert cell_len(acc.plain) == 40 and loss.plain.endswith(" ep 7-30")    # 24 epochs fill the 40 cells


async def test_conv_settings_are_named_in_the_readers_language(korean):
    """A refused size change names the setting in Korean ("커널 개수"), not by its English name."""
    from app_helpers import until
    from test_conv_panel import Harness

    from tui_lab.app.conv_panel import ConvPanel
    from tui_lab.app.conv_panel.model import LIMITS, SETTINGS

    app = Harness(tui_lab.load_scenario("conv-1d"))
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ConvPanel)
        await until(pilot, lambda: panel.data is not None)
        panel.selected = SETTINGS.index("kernels")
        for _ in range(LIMITS["kernels"][1] + 1):
            panel.action_change_setting(1)
            await pilot.pause(0.2)
        assert panel.problem_text == "여기서 커널 개수은(는) 1..4 범위에 머뭅니다"
        panel.selected = SETTINGS.index("height")           # no height in 1-D
        panel.action_change_setting(1)
        assert panel.problem_text.startswith("높이") and "height" not in panel.problem_text
