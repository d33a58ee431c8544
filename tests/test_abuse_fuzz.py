"""Every shipped scenario, mutated at random (values swapped for hostile ones, keys deleted or added,
the TOML text cut and spliced): loading it may fail only with a one-line ScenarioError."""

import copy
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_lab import ScenarioError, load_scenario
from tui_lab.scenario.fields import MAX_MESSAGE
from tui_lab.scenario.shipped import shipped_names, shipped_path

TEXTS = {name: shipped_path(name).read_text(encoding="utf-8") for name in shipped_names()}


def parsed(text: str) -> dict | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:     # a broken shipped file is test_lessons' and `tui-lab list`'s to report
        return None


TREES = {name: tree for name, text in TEXTS.items() if (tree := parsed(text)) is not None}
NAMES = sorted(TREES)

HOSTILE = st.sampled_from([10 ** 400, -(10 ** 30), 2 ** 63, 1e308, -1e308, float("inf"), float("nan"), -0.0, 0,
                           1_000_000_000, "", "x" * 5000, "a\nb", "\u200b", [], {}, [[[[1]]]], [1, "a"],
                           [0.0] * 1000, {"a": {"b": {}}}, True, None, (1, 2)])
VALUES = st.one_of(
    HOSTILE, st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.lists(st.one_of(st.integers(-5, 300), st.floats(-10, 10)), max_size=6),
    st.dictionaries(st.text(max_size=6), st.integers(-3, 3), max_size=3))


def spots(tree) -> list:
    """(container, key) of every value in a parsed scenario."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            found.append((node, key))
            stack.append(value)
    return found


def only_scenario_errors(source) -> None:
    try:
        load_scenario(source)
    except ScenarioError as err:
        text = str(err)
        assert "\n" not in text and len(text) <= MAX_MESSAGE, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(NAMES), st.data())
def test_mutated_shipped_scenarios_raise_only_scenario_error(name, data):
    tree = copy.deepcopy(TREES[name])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        found = spots(tree)
        node, key = found[data.draw(st.integers(0, len(found) - 1), label="where")]
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]), label="action")
        value = copy.deepcopy(data.draw(VALUES, label="value"))     # a fresh object: examples never share one
        if action == "replace":
            node[key] = value
        elif action == "delete":
            del node[key]
        elif isinstance(node, dict):
            node[data.draw(st.text(min_size=1, max_size=12), label="new key")] = value
        else:
            node.append(value)
    only_scenario_errors(tree)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.data())
def test_spliced_scenario_text_raises_only_scenario_error(tmp_path_factory, name, data):
    text = TEXTS[name]
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(text)), label="at")
        cut = data.draw(st.integers(0, 40), label="cut")
        insert = data.draw(st.one_of(st.text(max_size=12), st.sampled_from(
            ["[", "]]", "{", "=", '"', "\n[[optimizers]]\n", "\ufeff", "1" * 400, ".a" * 30, "\x00", "\\"])),
            label="insert")
        text = text[:at] + insert + text[at + cut:]
    path = tmp_path_factory.mktemp("fuzz") / f"{name}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    only_scenario_errors(path)
