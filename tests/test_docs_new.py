"""`tui-lab new KIND NAME`: a commented starting scenario that `tui-lab check` accepts, that lists every
key of its kind, that the app opens, and that never replaces an existing file."""

from __future__ import annotations

import re
import tomllib

import pytest

import tui_lab
from tui_lab.cli import main
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
