"""The scenario format as data: a catalog of every key the loader reads, and a JSON Schema built from it.

The loader has no separate list of keys: each kind reads its tables with `Section` readers
(`sec.number("lr", 0.001, low=0, ...)`), and a key is valid exactly when some reader asks for it.
So the catalog is taken from the loader itself: `record_reads()` watches every reader call while
`load_scenario` runs, and `explore()` loads a set of seed scenarios, then every variant that sets one
name key (`kind`, `surface.name`, `optimizers[].name`, `validate.method`, ...) to each of its allowed
values, so the reads that depend on a name are seen under every name. What it records (reader,
default, bounds, names) is what the loader enforces, so the reference, the schema and `tui-lab new`
cannot drift from the loader. A few keys are checked by hand-written code (`raw` reads: arrays of a
given rank, an int-or-pair); `RAW_SCHEMAS` states their JSON Schema, and the schema tests check it
against the loader on mutated scenarios.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..limits import MAX_LIST
from .fields import _MISSING, ScenarioError, Section

SCHEMA_ID = "https://tui-lab.invalid/scenario.schema.json"
# Section methods that are not reads of a key.
NOT_READERS = {"has", "fail", "fail_at", "key_path", "absent", "extras", "done"}
INDEX = re.compile(r"\[\d+\]")


@dataclass
class Read:
    """One reader call of one successful load."""
    path: str            # the table, list indices dropped: "", "surface", "optimizers", "lesson"
    key: str             # list indices dropped: a swept `batch_size[2]` is `batch_size`
    reader: str          # number | integer | boolean | string | choice | numbers | section | sections | raw | ...
    call: tuple          # (signature, args, kwargs) of the reader call, bound only when asked (it is slow)
    swept: bool          # read as an item of a list of values (one run each)
    concrete: tuple      # where the value sits in the scenario: ("optimizers", 2, "name")
    value: Any           # the value read (the default when absent)
    present: bool
    context: dict = field(default_factory=dict)   # the name keys of the same table in this load
    marker: bool = False                           # a raw read followed by a typed read of the same key
    load_data: dict = field(default_factory=dict, repr=False)   # the scenario of the load

    @functools.cached_property
    def args(self) -> dict:
        """The reader's arguments, defaults filled in (default, low, high, choices, ...)."""
        signature, args, kwargs = self.call
        bound = signature.bind(None, self.key, *args, **kwargs)
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if k not in ("self", "key")}

    @property
    def default(self) -> Any:
        return self.args.get("default", _MISSING)

    @property
    def required(self) -> bool:
        return self.args.get("default", _MISSING) is _MISSING and self.args.get("required", True) is not False


@functools.lru_cache(maxsize=None)
def _signature_of(fn) -> inspect.Signature:
    return inspect.signature(fn)


def _reader_names() -> list[str]:
    return [name for name, fn in vars(Section).items()
            if callable(fn) and not name.startswith("_") and name not in NOT_READERS
            and list(inspect.signature(fn).parameters)[1:2] == ["key"]]


def _concrete(section: Section, key: str) -> tuple:
    """Where a key's value sits in the scenario: "optimizers[2]" + "name" -> ("optimizers", 2, "name")."""
    parts: list = []
    for piece in (section.path.split(".") if section.path else []) + [key]:
        name, _, indices = piece.partition("[")
        parts.append(name)
        parts.extend(int(i) for i in re.findall(r"\d+", indices))
    return tuple(parts)


@contextmanager
def record_reads() -> Iterator[list[Read]]:
    """While active, every outermost Section reader call is appended to the yielded list."""
    reads: list[Read] = []
    depth = [0]
    originals = {name: getattr(Section, name) for name in _reader_names()}

    def wrap(name, fn):
        signature = _signature_of(fn)

        @functools.wraps(fn)
        def reader(self, key, *args, **kwargs):
            outermost = depth[0] == 0
            depth[0] += 1
            try:
                value = fn(self, key, *args, **kwargs)
            finally:
                depth[0] -= 1
            if outermost:
                reads.append(Read(INDEX.sub("", self.path), INDEX.sub("", key), name, (signature, args, kwargs),
                                  bool(INDEX.search(key)),
                                  _concrete(self, key), self.data.get(key, value), key in self.data))
            return value
        return reader

    try:
        for name, fn in originals.items():
            setattr(Section, name, wrap(name, fn))
        yield reads
    finally:
        for name, fn in originals.items():
            setattr(Section, name, fn)


def load_recorded(data: dict) -> list[Read] | None:
    """The reads of one load, or None when the scenario is bad input."""
    from . import load_scenario

    with record_reads() as recorded:
        try:
            load_scenario(copy.deepcopy(data))
        except ScenarioError:
            return None
    reads = recorded
    for r in reads:
        r.load_data = data
    for r in reads:
        r.context = {c.key: c.value for c in reads
                     if c.reader == "choice" and c.path == r.path and c.key != r.key and c.concrete[:-1] == r.concrete[:-1]}
        r.marker = r.reader == "raw" and any(
            o.reader != "raw" and o.path == r.path and o.key == r.key and o.concrete[:len(r.concrete)] == r.concrete
            for o in reads)
    return reads


def set_at(data: dict, where: tuple, value: Any) -> dict:
    out = copy.deepcopy(data)
    node = out
    for step in where[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(step, {})
        else:
            node = node[step]
    node[where[-1]] = value
    return out


# -- seeds ------------------------------------------------------------------------------------------------

def minimal_scenarios() -> dict[str, dict]:
    """The smallest valid scenario of each kind: the starting points of `tui-lab new` and of the exploration."""
    return {
        "surface": {"title": "A new surface scenario", "kind": "surface", "surface": {"name": "rosenbrock"},
                    "optimizers": [{"name": "sgd", "lr": 0.001}]},
        "train": {"title": "A new train scenario", "kind": "train", "data": {"name": "sine"},
                  "model": {"name": "mlp"}, "optimizers": [{"name": "adam", "lr": 0.01}]},
        "validate": {"title": "A new validate scenario", "kind": "validate", "data": {"name": "sine"},
                     "model": {"name": "poly"}, "validate": {"method": "kfold"}},
        "conv": {"title": "A new conv scenario", "kind": "conv",
                 "conv": {"input": [[1, 2, 0], [0, 1, 3], [2, 2, 1]], "kernel": [[1, 0], [0, -1]]}},
    }


def _extra_seeds() -> list[dict]:
    """Shapes the name keys alone do not reach: a key whose presence selects a branch."""
    base = minimal_scenarios()
    conv = base["conv"]
    return [
        {**base["surface"], "lesson": [{"text": "a lesson entry", "steps": 1}]},
        {**base["surface"], "surface": {"name": "linreg"}, "data": {"n": 50}},
        {**base["validate"], "model": {"name": "mlp", "hidden": [4]}, "optimizers": [{"name": "adam"}]},
        {**base["validate"], "data": {"name": "sine", "n": 20}, "model": {"name": "mlp", "hidden": [4]},
         "validate": {"method": "leave_p_out", "p": 1, "widths": [1, 2]}, "optimizers": [{"name": "adam"}]},
        {**conv, "conv": {"input_shape": [2, 6, 6], "kernel_shape": [3, 2, 3, 3], "bias": [0.0, 1.0, 2.0],
                          "stride": [1, 1], "dilation": 1, "padding": "same", "grad_output": "random"}},
        {**conv, "conv": {"image": "checker", "kernel": "blur", "padding": [1, 1], "stride": 2, "bias": [0.5]}},
        {**conv, "conv": {"input": [1, 2, 3, 4], "kernel": [1, -1], "grad_output": [1, 1, 1]}},
    ]


def _shipped_seeds() -> list[dict]:
    from . import read_source
    from .shipped import shipped_names, shipped_path

    seeds = []
    for name in shipped_names():
        try:
            seeds.append(read_source(shipped_path(name))[0])
        except ScenarioError:     # a broken shipped file is test_lessons' to report; it only seeds the exploration
            continue
    return seeds


# -- exploring the loader -----------------------------------------------------------------------------------

@dataclass
class Catalog:
    """Every read of every successful load of the exploration."""
    loads: list[list[Read]]
    listable: set[tuple[str, str, str]]   # (kind, path, key) that also take a list of values (one run each)
    optional: set[tuple[str, str]] = field(default_factory=set)   # keys without a default that may be left out

    def is_listable(self, path: str, key: str, reads: list[Read]) -> bool:
        """Whether the key takes a list of values (one run each) in the kinds these reads come from."""
        return any((kind, path, key) in self.listable for kind in {r.load_data.get("kind") for r in reads})

    def kinds(self) -> list[str]:
        return sorted({kind_of(load) for load in self.loads})


def kind_of(load: list[Read]) -> str:
    """The kind of the scenario a load read."""
    return next(r.value for r in load if r.path == "" and r.key == "kind")


def _signature(r: Read) -> tuple:
    return (r.path, r.key, tuple(sorted((k, json.dumps(v, default=str)) for k, v in r.context.items())))


@functools.lru_cache(maxsize=1)
def explore() -> Catalog:
    """Load the seeds, then every one-name-changed variant, depth first until nothing new is read."""
    seeds = list(minimal_scenarios().values()) + _extra_seeds() + _shipped_seeds()
    queue = [(json.dumps(s, sort_keys=True), None) for s in seeds]
    seen = {text for text, _ in queue}
    tried: dict = {}     # variant mark -> attempts; a variant that fails is retried from other scenarios
    loads = []
    while queue:
        text, mark = queue.pop()
        reads = load_recorded(json.loads(text))
        if reads is None:
            continue
        tried[mark] = RETRIES
        data = json.loads(text)
        loads.append(reads)
        names = {(r.path, r.key, json.dumps(r.value)) for r in reads if r.reader == "choice" and not r.swept}
        for r in reads:
            if r.reader != "choice" or r.swept:
                continue
            elsewhere = tuple(sorted(n for n in names if n[0] != r.path))
            for value in r.args.get("choices", ()):
                mark = (data.get("kind"), *_signature(r), value)
                if tried.get(mark, 0) >= RETRIES or (mark, elsewhere) in tried:
                    continue
                variant = json.dumps(set_at(data, r.concrete, value), sort_keys=True)
                if variant not in seen:   # a variant that fails is tried again beside other names elsewhere
                    tried[mark] = tried.get(mark, 0) + 1
                    tried[(mark, elsewhere)] = 1
                    seen.add(variant)
                    queue.append((variant, mark))
    _close(loads)
    _resize(loads)
    _drop_unwritable(loads)
    return Catalog(loads, _listable(loads), _optional(loads))


def _drop_unwritable(loads: list[list[Read]]) -> None:
    """A key read for its default only (never written) under some names may still be refused when written
    (e.g. validate's `l2` under method = "adaboost"): write its default once per setting; where that load
    fails, drop those reads, so the key is not offered there."""
    verdict: dict = {}
    for load in loads:
        for r in load:
            if r.present or r.swept or r.marker or r.reader in ("section", "sections") or r.required:
                continue
            mark = (r.load_data.get("kind"), _signature(r))
            if mark not in verdict:
                written = load_recorded(set_at(r.load_data, r.concrete, r.default)) if r.default is not None else True
                verdict[mark] = written is not None
            if not verdict[mark]:
                load.remove(r)


def _resize(loads: list[list[Read]]) -> None:
    """For each bounded number, load one scenario that reads it again with another data size: a bound that
    follows the data (k at most the points, a batch at most the training split) then shows two values."""
    done = set()
    for load in list(loads):
        data = load[0].load_data
        n = data.get("data", {}).get("n") if isinstance(data.get("data"), dict) else None
        for r in load:
            if (r.reader in ("number", "integer") and (r.args.get("high") is not None or r.args.get("low") is not None)
                    and (r.path, r.key) not in done and isinstance(n, int)):
                done.add((r.path, r.key))
                for size in (n * 2, max(n // 2, 20)):
                    resized = load_recorded(set_at(data, ("data", "n"), size))
                    if resized is not None:
                        loads.append(resized)
                        break


def _optional(loads: list[list[Read]]) -> set[tuple[str, str]]:
    """Keys read without a default that a scenario may still leave out (e.g. one of two alternatives):
    a load without the key passes."""
    found, probed = set(), set()
    for load in loads:
        for r in load:
            if r.present and r.required and not r.swept and not r.marker and (r.path, r.key) not in probed:
                probed.add((r.path, r.key))
                data = copy.deepcopy(r.load_data)
                parent = data
                for step in r.concrete[:-1]:
                    parent = parent[step]
                del parent[r.concrete[-1]]
                if load_recorded(data) is not None:
                    found.add((r.path, r.key))
    return found


CLOSE_TRIES = 3   # scenarios tried per suggested restriction before it is believed
RETRIES = 12      # scenarios a name is tried in before the exploration gives up on it


def _close(loads: list[list[Read]]) -> None:
    """Test every "key K is read only under these values of name key C" the exploration suggests, in the
    whole table and within each value of each other name key (where the schema splits it): load a scenario
    where K is read with C set to each other value; where it loads and reads K, keep that load. (Changing one
    name at a time misses combinations, e.g. an mlp's `widths` under `select = "one_se"`.)"""
    tried: set = set()
    changed = True
    while changed:
        changed = False
        for path in dict.fromkeys(r.path for load in loads for r in load):
            every_table = instances(Catalog(loads, set()), path, lambda load: True)
            groups = [(None, None, every_table)]
            for c in dict.fromkeys(r.key for t in every_table for r in t if r.reader == "choice" and not r.swept):
                for v in dict.fromkeys(r.value for t in every_table for r in t if r.key == c and r.reader == "choice"):
                    groups.append((c, v, [t for t in every_table if any(r.key == c and r.value == v for r in t)]))
            for group_key, group_value, tables in groups:
                for c, keys in dependencies(tables).items():
                    every = {r.value for t in tables for r in t if r.key == c and r.reader == "choice" and not r.swept}
                    for key, values in keys.items():
                        for value in sorted(every - values, key=str):
                            mark = (path, group_key, group_value, c, key, value)
                            if mark not in tried:
                                tried.add(mark)
                                changed |= _try_value(loads, tables, path, c, key, value)


def _try_value(loads: list[list[Read]], tables: list[list[Read]], path: str, c: str, key: str, value) -> bool:
    """Load up to CLOSE_TRIES scenarios where `key` is read, with name key `c` set to `value`; keep the first
    that loads and reads `key`."""
    candidates = [t for t in tables if any(r.key == key for r in t) and any(r.key == c and r.reader == "choice" for r in t)]
    candidates.sort(key=lambda t: not any(r.key == key and r.present for r in t))   # written keys test best
    picked, names = [], set()
    for table in candidates:       # beside different names in the other tables (data set, model, ...)
        other = json.dumps({k: v.get("name") for k, v in table[0].load_data.items() if isinstance(v, dict)},
                           sort_keys=True, default=str)
        if other not in names:
            names.add(other)
            picked.append(table)
    for table in picked[:CLOSE_TRIES]:
        at = next(r for r in table if r.key == c and r.reader == "choice")
        changed = set_at(table[0].load_data, at.concrete, value)
        # the table as it is, and with only the name, the key and what it requires (keys of the old name go)
        kept = {c, key} | {r.key for r in table if r.required}
        trimmed = {k: v for k, v in _node(changed, at.concrete[:-1]).items() if k in kept}
        bare = set_at(changed, at.concrete[:-1], trimmed) if at.concrete[:-1] else trimmed
        for data in (changed, bare):
            load = load_recorded(data)
            if load is not None and any(r.path == path and r.key == key for r in load):
                loads.append(load)
                return True
    return False


def _node(data: dict, where: tuple) -> Any:
    for step in where:
        data = data[step]
    return data


SCALAR_READERS = ("number", "integer", "boolean", "string", "choice")


def _listable(loads: list[list[Read]]) -> set[tuple[str, str, str]]:
    """(kind, path, key) of keys that accept a list of values: seen as list items, or a scenario of that kind
    with [value, value] in place of the value loads (tried in up to CLOSE_TRIES scenarios)."""
    found = {(r.load_data.get("kind"), r.path, r.key) for load in loads for r in load if r.swept}
    tries: dict = {}
    for load in loads:
        for r in load:
            mark = (r.load_data.get("kind"), r.path, r.key)
            if (r.reader not in SCALAR_READERS or r.swept or r.path in ("", "lesson") or mark in found
                    or tries.get(mark, 0) >= CLOSE_TRIES):
                continue
            tries[mark] = tries.get(mark, 0) + 1
            if load_recorded(set_at(r.load_data, r.concrete, [r.value, r.value])) is not None:
                found.add(mark)
    return found


# -- what a key is --------------------------------------------------------------------------------------------

def same(values: Iterable) -> tuple[bool, Any]:
    """(True, v) when every value is v."""
    values = list(values)
    texts = {json.dumps(v, default=repr, sort_keys=True) for v in values}
    return (len(texts) == 1, values[0] if values else None)


# -- keys whose check is hand-written code (raw reads), and items of numeric lists ---------------------------

def _arrays(max_rank: int, side: int) -> dict:
    """A nested list of numbers of rank 1..max_rank (rectangular: checked by the loader)."""
    ranks, item = [], {"type": "number"}
    for _ in range(max_rank):
        item = {"type": "array", "minItems": 1, "maxItems": side, "items": item}
        ranks.append(item)
    return {"anyOf": ranks}


def _int_or_pair(low: int, side: int) -> dict:
    one = {"type": "integer", "minimum": low, "maximum": side}
    return {"anyOf": [one, {"type": "array", "minItems": 1, "maxItems": 2, "items": one}]}


@functools.lru_cache(maxsize=1)
def raw_schemas() -> dict[tuple[str, str], dict]:
    """JSON Schema of the values that hand-written loader code checks (the `raw` reads)."""
    from ..kinds.conv import MAX_SIDE
    from .datamodel import MAX_CHANNELS, MAX_CONV_LAYERS, MAX_LAYERS, MAX_WIDTH

    def shape(ranks: int) -> dict:
        return {"type": "array", "minItems": 1, "maxItems": ranks,
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_SIDE}}

    return {
        ("conv", "input"): _arrays(3, MAX_SIDE), ("conv", "kernel"): _arrays(4, MAX_SIDE),
        ("conv", "grad_output"): _arrays(3, MAX_SIDE),
        ("conv", "input_shape"): shape(3), ("conv", "kernel_shape"): shape(4),
        ("conv", "stride"): _int_or_pair(1, MAX_SIDE), ("conv", "dilation"): _int_or_pair(1, MAX_SIDE),
        ("conv", "padding"): _int_or_pair(0, MAX_SIDE),
        ("model", "hidden"): {"type": "array", "maxItems": MAX_LAYERS,
                              "items": {"type": "integer", "minimum": 1, "maximum": MAX_WIDTH}},
        ("model", "conv"): {"type": "array", "minItems": 1, "maxItems": MAX_CONV_LAYERS,
                            "items": {"type": "integer", "minimum": 1, "maximum": MAX_CHANNELS}},
    }


@functools.lru_cache(maxsize=1)
def item_schemas() -> dict[tuple[str, str], dict]:
    """The items of `numbers` reads, whose item check is a function in the loader."""
    from .datamodel import MAX_DEGREE, MAX_WIDTH

    return {
        ("optimizers", "betas"): {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        ("data", "split"): {"type": "number", "minimum": 0, "maximum": 1},
        ("validate", "degrees"): {"type": "integer", "minimum": 1, "maximum": MAX_DEGREE},
        ("validate", "widths"): {"type": "integer", "minimum": 1, "maximum": MAX_WIDTH},
        ("validate", "l2"): {"type": "number", "minimum": 0},
    }


# -- the JSON Schema -------------------------------------------------------------------------------------------

def _bounds(reads: list[Read]) -> dict:
    """minimum / maximum (exclusive where open) when every read agrees; a bound that moves with
    other keys (e.g. batch_size at most the train split) is left to the loader."""
    out: dict = {}
    for end, name, open_name in (("low", "minimum", "exclusiveMinimum"), ("high", "maximum", "exclusiveMaximum")):
        agreed, pair = same((r.args.get(end), bool(r.args.get(f"{end}_open"))) for r in reads)
        if agreed and pair and pair[0] is not None:
            out[open_name if pair[1] else name] = pair[0]
    return out


def _most(reads: list[Read]) -> dict:
    """maxItems of a list reader's `most` argument, when every read agrees."""
    agreed, most = same(r.args.get("most") for r in reads)
    return {"maxItems": most} if agreed and most is not None else {}


def value_schema(catalog: Catalog, path: str, key: str, reads: list[Read], where) -> dict:
    """The JSON Schema of one key's value, from its reads."""
    parts: list[dict] = []
    for reader in dict.fromkeys(r.reader for r in reads):
        these = [r for r in reads if r.reader == reader]
        if reader in ("number", "integer"):
            parts.append({"type": reader, **_bounds(these)})
        elif reader in ("boolean", "string"):
            parts.append({"type": reader})
        elif reader == "choice":
            names = list(dict.fromkeys(c for r in these for c in r.args["choices"]))
            parts.append({"type": "string", "enum": names})
        elif reader == "numbers":
            schema: dict = {"type": "array", "items": item_schemas().get((path, key), {"type": "number"})}
            agreed, length = same(r.args.get("length") for r in these)
            if agreed and length:
                schema.update(minItems=length, maxItems=length)
            else:
                schema.update(_most(these))
            parts.append(schema)
        elif reader == "section":
            parts.append(table_schema(catalog, f"{path}.{key}".lstrip("."), where))
        elif reader == "sections":
            schema = {"type": "array", "items": table_schema(catalog, f"{path}.{key}".lstrip("."), where),
                      **_most(these)}
            if all(r.args.get("required") for r in these):
                schema["minItems"] = 1
            parts.append(schema)
        else:   # raw reads, and any reader the generator does not know: the hand-written schema or anything
            parts.append(copy.deepcopy(raw_schemas().get((path, key), {})))
    if catalog.is_listable(path, key, reads):
        parts += [{"type": "array", "minItems": 1, "maxItems": MAX_LIST, "items": p}
                  for p in parts if p.get("type") in SCALAR_TYPES]
    schema = parts[0] if len(parts) == 1 else {"anyOf": parts}
    agreed, default = same(r.default for r in reads)
    if agreed and default is not _MISSING and default is not None and reads[0].reader not in ("section", "sections"):
        schema["default"] = default
    from .meanings import meaning

    if text := meaning(path, key, reads):
        schema["description"] = text
    return schema


SCALAR_TYPES = ("number", "integer", "boolean", "string")


def instances(catalog: Catalog, path: str, where) -> list[list[Read]]:
    """The reads of each table instance at `path` (each [[optimizers]] entry is one), in loads passing `where`."""
    out = []
    for load in catalog.loads:
        if not where(load):
            continue
        groups: dict[tuple, list[Read]] = {}
        for r in load:
            if r.path == path and not r.marker and not r.swept:
                groups.setdefault(r.concrete[:-1], []).append(r)
            elif r.path == path and r.swept:
                groups.setdefault(r.concrete[:-2], []).append(r)
        out += groups.values()
    return out


def dependencies(tables: list[list[Read]]) -> dict[str, dict[str, set]]:
    """{name key C: {key K: the values of C under which K is read}} for keys read under only some of C's values."""
    choices: dict[str, set] = {}
    for table in tables:
        for r in table:
            if r.reader == "choice" and not r.swept:
                choices.setdefault(r.key, set()).add(r.value)
    out: dict[str, dict[str, set]] = {}
    for c, every in choices.items():
        seen: dict[str, set] = {}
        for table in tables:
            value = next((r.value for r in table if r.key == c and r.reader == "choice"), _MISSING)
            if value is _MISSING:
                continue
            for r in table:
                if r.key != c:
                    seen.setdefault(r.key, set()).add(value)
        out[c] = {k: v for k, v in seen.items() if v != every}
    return out


def _key_order(tables: list[list[Read]]) -> list[str]:
    return list(dict.fromkeys(r.key for table in tables for r in table))


def table_schema(catalog: Catalog, path: str, where) -> dict:
    """An object schema for the table at `path`: oneOf its variants when a name key decides which keys exist."""
    tables = instances(catalog, path, where)
    deps = dependencies(tables)
    split = max(deps, key=lambda c: len(deps[c]), default=None)
    if split is None or not deps[split]:
        return _object(catalog, path, tables, where, deps)
    values = split_values(tables, split)
    variants = []
    for value in values:
        chosen = [t for t in tables if any(r.key == split and r.value == value for r in t)]
        ids = {id(r) for t in chosen for r in t}

        def inner(load, ids=ids):
            return where(load) and any(id(r) in ids for r in load)

        variant = _object(catalog, path, chosen, inner, {c: d for c, d in dependencies(chosen).items() if c != split})
        variant["properties"][split] = {"const": value, **{k: v for k, v in variant["properties"][split].items()
                                                           if k == "description"}}
        defaults = {r.default for t in chosen for r in t if r.key == split}
        if value not in defaults and split not in variant.setdefault("required", []):
            variant["required"].append(split)
        variant["title"] = f"{split} = {json.dumps(value)}"
        variants.append(variant)
    return {"type": "object", "oneOf": variants}


def is_required(catalog: Catalog, path: str, key: str, tables: list[list[Read]]) -> bool:
    """Required: every read of the key has no default, every instance of the table reads it, and no
    scenario without it loads."""
    return ((path, key) not in catalog.optional and all(r.required for t in tables for r in t if r.key == key)
            and all(any(r.key == key for r in t) for t in tables))


def split_values(tables: list[list[Read]], split: str) -> list:
    """The values of a name key seen in these tables, in the order the loader lists its choices."""
    reads = [r for t in tables for r in t if r.key == split and r.reader == "choice"]
    order = list(dict.fromkeys(c for r in reads for c in r.args["choices"]))
    return sorted(dict.fromkeys(r.value for r in reads), key=order.index)


def _object(catalog: Catalog, path: str, tables: list[list[Read]], where, deps: dict) -> dict:
    properties, required = {}, []
    for key in _key_order(tables):
        reads = [r for t in tables for r in t if r.key == key]
        properties[key] = value_schema(catalog, path, key, reads, where)
        if is_required(catalog, path, key, tables):
            required.append(key)
    schema: dict = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    dependent = {}
    for c, keys in deps.items():
        defaults = {json.dumps(r.default, default=str) for t in tables for r in t if r.key == c}
        for key, values in keys.items():
            rule: dict = {"properties": {c: {"enum": sorted(values, key=str)}}}
            if any(json.loads(d) not in values for d in defaults if d != "null"):
                rule["required"] = [c]
            dependent.setdefault(key, {"allOf": []})["allOf"].append(rule)
    if dependent:
        schema["dependentSchemas"] = {k: v["allOf"][0] if len(v["allOf"]) == 1 else v for k, v in dependent.items()}
    return schema


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    catalog = explore()
    root = table_schema(catalog, "", lambda load: True)
    definitions: dict[str, dict] = {}
    root = _share_tables(root, definitions, {})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "tui-lab scenario",
            "description": "A tui-lab scenario file (TOML). Generated by `tui-lab schema` from the loader's own reads.",
            **root, "$defs": definitions}


def _share_tables(schema: Any, definitions: dict, names: dict) -> Any:
    """A table that several kinds share word for word (e.g. [[optimizers]]) is written once, in $defs, and
    referred to: `names` maps each table's text to its definition's name."""
    if isinstance(schema, list):
        return [_share_tables(s, definitions, names) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            shared = {}
            for name, table in value.items():
                items = table.get("items") if isinstance(table, dict) and table.get("type") == "array" else None
                target = items if isinstance(items, dict) and items.get("type") == "object" else table
                if isinstance(target, dict) and target.get("type") == "object":
                    text = json.dumps(target, sort_keys=True)
                    if text not in names:
                        names[text] = name if name not in definitions else f"{name}_{len(definitions)}"
                        definitions[names[text]] = _share_tables(target, definitions, names)
                    ref = {"$ref": f"#/$defs/{names[text]}"}
                    table = {**table, "items": ref} if target is items else ref
                shared[name] = table
            out[key] = shared
        else:
            out[key] = _share_tables(value, definitions, names)
    return out


def schema_json() -> str:
    """The text `tui-lab schema` prints (cached: see cached_text)."""
    return cached_text("schema.json", lambda: json.dumps(scenario_schema(), indent=2) + "\n")


# -- a cache of generated texts ---------------------------------------------------------------------------------
# Exploring the loader takes seconds; its results change only when the package or the shipped scenarios do.

def source_fingerprint() -> str:
    """A hash of every file the loader's behaviour can depend on: the package (code and data) and the
    shipped scenarios."""
    from .shipped import shipped_dir

    digest = hashlib.sha256()
    for root in (Path(__file__).resolve().parents[1], shipped_dir()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tui-lab"


def cached_text(name: str, make: Callable[[], str]) -> str:
    """make(), kept in the user's cache folder under the sources' fingerprint; any cache trouble just recomputes."""
    folder = cache_dir()
    path = folder / f"{source_fingerprint()}-{name}"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    text = make()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"*-{name}"):     # texts of older sources
            old.unlink(missing_ok=True)
        temporary = folder / f".{name}.{os.getpid()}"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
    return text
