"""The documentation in docs/ stays true: the reference is what the loader reads, every key has a
meaning, the JSON page names every key a run writes, links resolve, and nothing points outside the
repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import tui_lab
from tui_lab.output import to_json
from tui_lab.scenario.meanings import meaning
from tui_lab.scenario.reference import reference
from tui_lab.scenario.schema import explore

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGENERATE = "python -m tui_lab.scenario.reference --write"


def test_the_reference_is_what_the_loader_reads():
    committed = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert committed == reference(), f"docs/reference.md is out of date: run `{REGENERATE}`"


def test_every_key_the_loader_reads_has_a_meaning():
    missing = sorted({f"{r.path}.{r.key}".lstrip(".") for load in explore().loads for r in load
                      if not meaning(r.path, r.key, [r])})
    assert not missing, f"add a one-line meaning to tui_lab/scenario/meanings.py for: {', '.join(missing)}"


def test_the_reference_covers_every_kind_table_and_key():
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    for load in explore().loads:
        for r in load:
            if r.reader in ("section", "sections"):
                assert re.search(rf"\[{re.escape(r.path + '.' if r.path else '')}{re.escape(r.key)}\]", text), r.key
            else:
                assert f"`{r.key}`" in text, r.key
    for kind in ("surface", "train", "validate", "conv"):
        assert f'## kind = "{kind}"' in text


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", markdown_files(), ids=lambda p: p.name)
def test_links_between_pages_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to a missing {target}"


def test_readme_links_the_docs_and_keeps_its_set_up_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/index.md)" in text and "(docs/reference.md)" in text
    # .ci/run takes the test command from this line, with a sed expression: keep its shape
    assert re.search(r'^    python3 -m venv \.venv && \. \.venv/bin/activate && pip install -e "\.\[test\]".*$', text, re.M)
    assert "\n    python3 -m venv .venv && . .venv/bin/activate && pip install . && tui-lab\n" in text


def test_nothing_points_outside_the_repository():
    outside = re.compile(r"\bSPEC\b|SPEC\.md|shared folder|\.\./shared|/work/")
    pages = [ROOT / "README.md", *DOCS.rglob("*"), *(ROOT / "tui_lab").rglob("*.py"), *(ROOT / "scenarios").rglob("*"),
             *(ROOT / "tests").glob("*.py")]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in pages if p.is_file() and p.suffix in (".md", ".py", ".toml", ".txt")
                 and p.name != Path(__file__).name
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert not offenders, f"lines pointing outside the repository: {offenders}"


# -- docs/json.md names every key a run writes ------------------------------------------------------------

SMALL = {
    "surface": {"title": "t", "kind": "surface", "description": "d", "surface": {"name": "linreg"},
                "run": {"steps": 3}, "optimizers": [{"name": "adam"}]},
    "train": {"title": "t", "kind": "train", "data": {"name": "moons", "n": 40}, "model": {"name": "logistic"},
              "train": {"epochs": 2, "sharpness": 0.1}, "optimizers": [{"name": "adam"}]},
    "conv": {"title": "t", "kind": "conv", "conv": {"input": [[1, 2], [3, 4]], "kernel": [[1, -1]]}},
}
for method in ("kfold", "loo", "timeseries", "bootstrap", "bias_variance", "capacity", "bagging", "boosting"):
    SMALL[f"validate-{method}"] = {
        "title": "t", "kind": "validate", "data": {"name": "sine", "n": 30}, "model": {"name": "poly"},
        "validate": {"method": method, **{"kfold": {"k": 3}, "timeseries": {"k": 3}, "bootstrap": {"n_boot": 3},
                                          "bias_variance": {"n_datasets": 3, "degrees": [1, 2]},
                                          "capacity": {"degrees": [1, 2]}, "bagging": {"n_models": 2},
                                          "boosting": {"n_models": 2}}.get(method, {})}}


def keys_of(value, depth: int = 0) -> set[str]:
    """Keys of a result: its top level, its tables and the first row of its lists of rows (not the
    per-name contents such as hyperparams or the surface's params)."""
    out: set[str] = set()
    if depth > 2:
        return out
    if isinstance(value, dict):
        for key, inner in value.items():
            out.add(key)
            if key not in ("hyperparams", "params", "settings", "setup"):
                out |= keys_of(inner, depth + 1)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        out |= keys_of(value[0], depth)
    return out


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_json_page_names_every_key_a_run_writes(name):
    result = json.loads(to_json(tui_lab.run_scenario(SMALL[name], trace=True, include_data=True)))
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    undocumented = sorted(k for k in keys_of(result) if f"`{k}`" not in text and not k.isdigit())
    assert not undocumented, f"docs/json.md does not name: {undocumented}"
