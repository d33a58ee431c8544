"""`tui-lab schema`: a JSON Schema (draft 2020-12) that agrees with the scenario loader.

The schema is generated from the loader's own reads (tui_lab/scenario/schema.py). These tests check it
is a valid draft 2020-12 schema, closed (`additionalProperties: false` on every table), that every
shipped scenario validates, and, on scenarios mutated in ways JSON Schema can express (unknown keys,
wrong types, bad names, numbers outside their bounds), that the loader and the schema give the same
verdict."""

from __future__ import annotations

import copy
import io
import json
import math
from contextlib import redirect_stdout

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tui_lab
from tui_lab.cli import main
from tui_lab.scenario import read_source
from tui_lab.scenario.schema import explore, load_recorded, minimal_scenarios, scenario_schema
from tui_lab.scenario.shipped import shipped_names, shipped_path

jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def validator():
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_accepts(validator, data: dict) -> bool:
    return validator.is_valid(data)


def loader_accepts(data: dict) -> bool:
    try:
        tui_lab.load_scenario(copy.deepcopy(data))
    except tui_lab.ScenarioError:
        return False
    return True


def objects(schema):
    """Every object schema inside a schema."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" and "properties" in schema:
            yield schema
        for value in schema.values():
            yield from objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from objects(value)


def test_schema_is_draft_2020_12_and_closed(validator):
    schema = validator.schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    tables = list(objects(schema))
    assert len(tables) > 20
    assert all(t.get("additionalProperties") is False for t in tables)


def test_schema_names_every_kind_and_optimizer(validator):
    text = json.dumps(validator.schema)
    from tui_lab.core.optim import OPTIMIZERS
    from tui_lab.core.surfaces import SURFACES
    from tui_lab.kinds import KINDS

    for name in [*KINDS, *OPTIMIZERS, *SURFACES]:
        assert f'"{name}"' in text


@pytest.mark.parametrize("name", shipped_names())
def test_every_shipped_scenario_validates(validator, name):
    data, _ = read_source(shipped_path(name))
    errors = sorted(validator.iter_errors(data), key=lambda e: e.json_path)
    assert not errors, jsonschema.exceptions.best_match(errors).message


def test_the_command_prints_the_schema(validator, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))      # the command caches its text; not in the user's cache
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["schema"]) == 0
    assert json.loads(out.getvalue()) == validator.schema


def test_schema_rejects_what_the_loader_rejects_by_hand():
    """Spot checks with a known answer, independent of the mutation machinery below."""
    schema = jsonschema.Draft202012Validator(scenario_schema())
    good = {"title": "t", "kind": "surface", "surface": {"name": "rosenbrock"},
            "optimizers": [{"name": "adam", "lr": 0.01}]}
    assert schema.is_valid(good) and loader_accepts(good)
    for bad in ({**good, "tilte": "x"},                                          # unknown key
                {**good, "optimizers": [{"name": "adam", "lr": "fast"}]},        # wrong type
                {**good, "optimizers": [{"name": "adam", "lr": 0.0}]},           # lr must be positive
                {**good, "optimizers": [{"name": "adma"}]},                      # bad name
                {**good, "optimizers": [{"name": "sgd"}]},                       # sgd needs lr
                {**good, "optimizers": [{"name": "adam", "momentum": 0.9}]},    # not an adam key
                {**good, "surface": {"name": "rosenbrock", "kappa": 3.0}},       # quadratic's parameter
                {**good, "run": {"steps": 0}}):
        assert not schema.is_valid(bad), bad
        assert not loader_accepts(bad), bad


# -- the loader and the schema agree on mutated scenarios ----------------------------------------------

def seeds() -> list[tuple[dict, list]]:
    """(scenario, its reads) for every shipped scenario and every kind's smallest one."""
    out = []
    for name in shipped_names():
        try:
            data = read_source(shipped_path(name))[0]
        except tui_lab.ScenarioError:
            continue          # a broken shipped file fails test_every_shipped_scenario_validates and test_lessons
        if (reads := load_recorded(data)) is not None:
            out.append((data, [r for r in reads if not r.marker]))
    for data in minimal_scenarios().values():
        out.append((data, [r for r in load_recorded(data) if not r.marker]))
    return out


SEEDS = seeds()
CATALOG = explore()


def static_bounds(path: str, key: str) -> tuple | None:
    """(low, low_open, high, high_open) when every read of the key in the catalog agrees, else None."""
    seen = {(r.args.get("low"), bool(r.args.get("low_open")), r.args.get("high"), bool(r.args.get("high_open")))
            for load in CATALOG.loads for r in load if r.path == path and r.key == key and not r.marker}
    return seen.pop() if len(seen) == 1 else None


def set_at(data: dict, where: tuple, value) -> dict:
    out = copy.deepcopy(data)
    node = out
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    return out


WRONG_TYPE = {"number": ["fast", True, {"a": 1}], "integer": [1.5, "3", False], "boolean": ["yes", 1, 0.0],
              "string": [1, False, ["a"]], "choice": [1, True, {"a": 1}], "numbers": ["1, 2", 3.5, True]}


@st.composite
def mutations(draw):
    """(scenario, expressible): a seed changed in one place; `expressible` when JSON Schema can see the change."""
    data, reads = draw(st.sampled_from(SEEDS))
    present = [r for r in reads if r.present and not r.swept and r.reader in WRONG_TYPE]
    what = draw(st.sampled_from(["unknown", "type", "name", "range", "inside"]))
    if what == "unknown":
        tables = [()] + [r.concrete for r in reads if r.present and r.reader == "section"] + [
            r.concrete + (i,) for r in reads if r.present and r.reader == "sections" for i in range(len(r.value))]
        where = draw(st.sampled_from(tables))
        key = draw(st.sampled_from(["zzz_unknown", "lrr", "nmae", "setps"]))
        return set_at(data, where + (key,), 1), True
    if what == "type" and present:
        r = draw(st.sampled_from(present))
        if CATALOG.is_listable(r.path, r.key, [r]) and r.reader != "numbers":
            return data, True       # a list is a valid value there; nothing to mutate this way
        return set_at(data, r.concrete, draw(st.sampled_from(WRONG_TYPE[r.reader]))), True
    if what == "name":
        names = [r for r in present if r.reader == "choice"]
        if names:
            r = draw(st.sampled_from(names))
            return set_at(data, r.concrete, draw(st.sampled_from(["no_such_name", r.value.upper() + "x", ""]))), True
    numeric = [(r, b) for r in present if r.reader in ("number", "integer")
               and (b := static_bounds(r.path, r.key)) is not None and (b[0] is not None or b[2] is not None)]
    if what == "range" and numeric:
        r, (low, low_open, high, high_open) = draw(st.sampled_from(numeric))
        step = 1 if r.reader == "integer" else 0.5
        outside = []
        if low is not None:
            outside.append(low if low_open else low - step)
        if high is not None:
            outside.append(high if high_open else (high + step if r.reader == "integer" else high * 2 + step))
        return set_at(data, r.concrete, draw(st.sampled_from(outside))), True
    if numeric:
        r, (low, low_open, high, high_open) = draw(st.sampled_from(numeric))
        lo = -1e6 if low is None else low
        hi = lo + 1e6 if high is None else high
        if r.reader == "integer":
            value = draw(st.integers(math.ceil(lo) + low_open, math.floor(hi) - high_open))
        else:
            value = draw(st.floats(lo, hi, exclude_min=low_open, exclude_max=high_open, allow_nan=False))
        # inside its own bounds a value may still break a rule across keys (a batch larger than the data),
        # which only the loader checks: so here the schema may accept what the loader rejects, never the reverse
        return set_at(data, r.concrete, value), False
    return data, True


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutations())
def test_loader_and_schema_agree_on_mutated_scenarios(validator, mutated):
    data, expressible = mutated
    loader, schema = loader_accepts(data), schema_accepts(validator, data)
    if loader:
        assert schema, f"the schema rejects a scenario the loader accepts: {json.dumps(data)[:300]}"
    if expressible:
        assert loader == schema, f"loader {loader}, schema {schema}: {json.dumps(data)[:300]}"


def test_generated_texts_are_cached_under_the_sources_fingerprint(tmp_path, monkeypatch):
    from tui_lab.scenario import schema

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(schema, "source_fingerprint", lambda: "a" * 32)
    made = []

    def make():
        made.append(1)
        return f"text {len(made)}"

    assert schema.cached_text("x.json", make) == "text 1"
    assert schema.cached_text("x.json", make) == "text 1" and len(made) == 1      # read back, not remade
    monkeypatch.setattr(schema, "source_fingerprint", lambda: "b" * 32)             # the sources changed
    assert schema.cached_text("x.json", make) == "text 2"
    assert [p.name for p in (tmp_path / "tui-lab").iterdir()] == ["b" * 32 + "-x.json"]
