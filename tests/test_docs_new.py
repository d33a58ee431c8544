"""`tui-lab new KIND NAME`: a commented starting scenario that `tui-lab check` accepts, that lists every
key of its kind, that the app opens, and that never replaces an existing file."""

from __future__ import annotations

import re
import tomllib

import pytest

from rich.cells import cell_len

import tui_lab
from tui_lab import i18n
from tui_lab.cli import main
from tui_lab.scenario.scaffold import WIDTH, _wrapped
from tui_lab.scenario.schema import explore

KINDS = ("surface", "train", "validate", "conv")


def keys_of_kind(kind: str) -> set[str]:
    return {r.key for load in explore().loads if load[0].load_data.get("kind") == kind for r in load
            if r.reader not in ("section", "sections")}


@pytest.mark.parametrize("kind", KINDS)
def test_new_writes_a_scenario_that_checks_and_lists_every_key(kind, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["new", kind, "my-lesson"]) == 0
    path = tmp_path / "my-lesson.toml"
    assert "my-lesson.toml" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    scenario = tui_lab.load_scenario(path)
    assert scenario.kind == kind and scenario.title == "my-lesson"
    assert main(["check", str(path)]) == 0
    written = set(re.findall(r"^(?:# )?([A-Za-z_][A-Za-z0-9_]*)(?: =|:)", text, re.M))
    missing = keys_of_kind(kind) - written
    assert not missing, f"keys of {kind} the scaffold does not list: {sorted(missing)}"
    # every commented key line carries a meaning
    for line in text.splitlines():
        if re.match(r"^# [A-Za-z_]+ = ", line):
            assert re.search(r" # \S", line), line
    # uncommenting the table headers' keys one at a time is how a teacher edits it: the file stays TOML
    assert tomllib.loads(text)["kind"] == kind


# The parts of a file `tui-lab new` writes: a key line, commented or not, with its meaning after " # "; a key
# with no example value ("# key: meaning"); a table heading; a comment line of its own (the header, a table's
# meaning); and the lines a Korean comment goes on in, under its first.
KEY_LINE = re.compile(r"^((?:# )?[A-Za-z_]\w* = .*?)(?:\s+# (.*))?$")
BARE_KEY = re.compile(r"^(# [A-Za-z_]\w*:) (.*)$")
HEADING = re.compile(r"^(?:# )?\[\[?[\w.]+\]\]?$")
GOES_ON = re.compile(r"^#\s{2,}(?:# )?(\S.*)$")
HANGUL = re.compile("[가-힣]")
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}\b")


def parts(text: str) -> tuple[list[str], list[str]]:
    """(the file's TOML, commented or not, line by line; its comments, each with the lines it goes on in)."""
    code: list[str] = []
    comments: list[str] = []
    follows = False                # the line before was a comment of its own: this one may go on with it
    for line in text.splitlines():
        own = False
        if not line:
            pass
        elif goes_on := GOES_ON.match(line):
            comments[-1] += " " + goes_on[1]
        elif HEADING.match(line):
            code.append(line)
        elif key := KEY_LINE.match(line):
            code.append(key[1].rstrip())
            comments.append(key[2] or "")
        elif bare := BARE_KEY.match(line):
            code.append(bare[1])
            comments.append(bare[2])
        else:
            own = True
            if follows:
                comments[-1] += " " + line.removeprefix("# ")
            else:
                code.append("#")
                comments.append(line.removeprefix("# "))
        follows = own
    return code, comments


@pytest.fixture
def language_restored():
    yield
    i18n.set_language(None)


@pytest.mark.parametrize("kind", KINDS)
def test_new_in_korean_comments_in_korean_and_writes_the_same_scenario(kind, tmp_path, monkeypatch, capsys,
                                                                      language_restored):
    """`--lang ko`: every comment of the English file has its Korean counterpart, in the same place, with no
    English prose left in it; keys, values and tables are those of the English file, and the file checks."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    files = {}
    for lang in ("en", "ko"):
        (tmp_path / lang).mkdir()
        monkeypatch.chdir(tmp_path / lang)
        assert main(["--lang", lang, "new", kind, "lesson"]) == 0
        files[lang] = (tmp_path / lang / "lesson.toml").read_text(encoding="utf-8")
        assert main(["--lang", lang, "check", "lesson.toml"]) == 0
    capsys.readouterr()
    english, korean = files["en"], files["ko"]
    assert not HANGUL.search(english)
    assert tomllib.loads(korean) == tomllib.loads(english)      # the scenario: same keys, same values
    scenario = tui_lab.load_scenario(tmp_path / "ko" / "lesson.toml")
    assert scenario.kind == kind and scenario.title == "lesson"
    en_code, en_comments = parts(english)
    ko_code, ko_comments = parts(korean)
    assert ko_code == en_code                  # every key, commented or not, with the same value; every table
    assert len(ko_comments) == len(en_comments) and all(en_comments)
    for said, told in zip(en_comments, ko_comments):
        meant = said.split(" (only with ")[0]                        # the key's meaning, without when it applies
        assert HANGUL.search(told) and meant not in told and said not in korean, (said, told)
        assert not ENGLISH_PHRASE.search(re.sub("`[^`]*`", "", told)), (said, told)      # a `command` stays
    assert "tests/" not in english and "tests/" not in korean      # a user of the package has no tests folder
    assert max(cell_len(line) for line in korean.splitlines()) <= WIDTH


def test_a_korean_comment_wraps_between_words_never_inside_a_formula_or_a_list():
    text = "파라미터 slope — linreg: 데이터에 대한 mean((w x + b - y)^2) (적용 조건: name = linreg) 범위 [low, high]"
    lines = _wrapped(text, 30)
    assert " ".join(lines) == text and len(lines) > 2
    assert all(cell_len(line) <= 30 for line in lines), lines
    for whole in ("mean((w x + b - y)^2)", "(적용 조건: name = linreg)", "[low, high]"):
        assert any(whole in line for line in lines), (whole, lines)


def test_new_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "race.toml"
    path.write_text("title = 'mine'\n", encoding="utf-8")
    assert main(["new", "surface", "race.toml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "race.toml" in err and "exists" in err
    assert path.read_text(encoding="utf-8") == "title = 'mine'\n"


def test_new_rejects_an_unknown_kind_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(SystemExit) as stop:
        main(["new", "surfaces", "x"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not list(tmp_path.glob("*.toml"))


def status(app) -> str:
    line = app.query_one("#status")
    return str(getattr(line, "content", None) or getattr(line, "renderable", ""))


@pytest.mark.parametrize("kind", KINDS)
async def test_the_app_opens_a_new_scenario(kind, tmp_path, monkeypatch):
    from app_helpers import until
    from tui_lab.app.lab import LabApp

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["new", kind, "fresh"]) == 0
    app = LabApp(str(tmp_path / "fresh.toml"))
    errors: list = []
    app.report_error = errors.append          # the app's one place for errors (a failed load shows in the status)
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: kind in app.scenarios or status(app).startswith("error"))
        await pilot.pause()
        assert not errors and not status(app).startswith("error"), (errors, status(app))
        assert app.scenarios[kind].title == "fresh"
