"""docs/reference.md: the scenario format, generated from the loader's own reads (see schema.py).

    python -m tui_lab.scenario.reference            print the reference
    python -m tui_lab.scenario.reference --write    rewrite docs/reference.md (run from the repository)

tests/test_docs.py fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import tomli_w

from .fields import _MISSING, _range_text
from .meanings import meaning
from .schema import (Catalog, Read, dependencies, explore, instances, is_required, item_schemas, kind_of, raw_schemas,
                     same, split_values)

REFERENCE = Path("docs") / "reference.md"
TYPES = {"number": "number", "integer": "integer", "boolean": "bool", "string": "string", "choice": "name",
         "numbers": "array of numbers", "section": "table", "sections": "array of tables"}


# -- one key ----------------------------------------------------------------------------------------------

def toml_value(value) -> str:
    """A value as written in a TOML file, on one line."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"x": value}).split("=", 1)[1].strip()


def type_text(catalog: Catalog, path: str, key: str, reads: list[Read]) -> str:
    kinds = []
    for r in reads:
        text = TYPES.get(r.reader) or schema_type(raw_schemas().get((path, key), {}))
        if r.reader == "numbers" and r.args.get("length"):
            text = f"array of {r.args['length']} numbers" if same(x.args.get("length") for x in reads)[0] \
                else "array of numbers"
        if text not in kinds:
            kinds.append(text)
    text = " or ".join(kinds)
    if catalog.is_listable(path, key, reads):
        text += ", or a list of them (one run each)"
    return text


def default_text(reads: list[Read], required: bool) -> str:
    if required:
        return "**required**"
    optional = [r.default for r in reads if not r.required]
    agreed, default = same(optional)
    if optional and not agreed:
        return "depends on other keys"
    if default is _MISSING or default is None or reads[0].reader in ("section", "sections"):
        return "none"
    return f"`{toml_value(default)}`"


def _range(reads: list[Read], base: str) -> str:
    low_agreed, low = same((r.args.get("low"), bool(r.args.get("low_open"))) for r in reads)
    high_agreed, high = same((r.args.get("high"), bool(r.args.get("high_open"))) for r in reads)
    low, low_open = low if low_agreed else (None, False)
    high, high_open = high if high_agreed else (None, False)
    text = _range_text(base, low, high, low_open, high_open)
    moving = [end for end, agreed in (("lower", low_agreed), ("upper", high_agreed)) if not agreed]
    if moving:
        text += f"; the {' and '.join(moving)} bound depends on other keys"
    return text


def allowed_text(path: str, key: str, reads: list[Read]) -> str:
    texts = []
    for reader in dict.fromkeys(r.reader for r in reads):
        these = [r for r in reads if r.reader == reader]
        if reader == "number":
            text = _range(these, "a number")
        elif reader == "integer":
            text = _range(these, "an integer")
        elif reader == "boolean":
            text = "`true` or `false`"
        elif reader == "string":
            text = "any text"
        elif reader == "choice":
            text = ", ".join(f"`{c}`" for c in dict.fromkeys(c for r in these for c in r.args["choices"]))
        elif reader == "section":
            text = "a table"
        elif reader == "sections":
            most = same(r.args.get("most") for r in these)
            text = f"at most {most[1]} entries" if most[0] and most[1] else "entries"
        elif reader == "numbers":
            agreed, expected = same(r.args.get("expected") for r in these)
            text = expected if agreed and expected else _items_text(path, key, these)
        else:   # checked by hand-written code: the loader's own words, else what its JSON Schema says
            said = [e for e in dict.fromkeys(r.args.get("expected") for r in these) if e and e != "a value"]
            text = "; or ".join(said) or schema_text(raw_schemas().get((path, key), {})) or "see meaning"
        if text not in texts:
            texts.append(text)
    return "; or ".join(texts)


def _ranks(schema: dict) -> tuple[list[int], dict] | None:
    """([ranks], leaf schema) when a schema is nested arrays of several ranks over one leaf type."""
    ranks, leaves = [], []
    for part in schema.get("anyOf", []):
        rank = 0
        while part.get("type") == "array":
            rank, part = rank + 1, part.get("items", {})
        ranks.append(rank)
        leaves.append(json.dumps(part, sort_keys=True))
    if len(ranks) > 1 and min(ranks) > 0 and len(set(leaves)) == 1:
        return ranks, json.loads(leaves[0])
    return None


def schema_type(schema: dict) -> str:
    """A short type name for a JSON Schema ("integer or array of integers")."""
    if nested := _ranks(schema):
        return f"array of {schema_type(nested[1])}s, nested {min(nested[0])} to {max(nested[0])} deep"
    if "anyOf" in schema:
        return " or ".join(dict.fromkeys(schema_type(s) for s in schema["anyOf"]))
    if schema.get("type") == "array":
        inner = schema_type(schema.get("items", {}))
        plural = inner.replace("array", "arrays", 1) if inner.startswith("array") else inner + "s"
        return "array of " + plural if inner else "array"
    return {"number": "number", "integer": "integer", "string": "string", "boolean": "bool"}.get(schema.get("type"), "")


def schema_text(schema: dict) -> str:
    """What a JSON Schema accepts, in words."""
    if nested := _ranks(schema):
        side = schema["anyOf"][0].get("maxItems")
        return (f"a rectangular array of {schema_type(nested[1])}s of rank {min(nested[0])} to {max(nested[0])}"
                + (f", at most {side} along an axis" if side else ""))
    if "anyOf" in schema:
        return "; or ".join(dict.fromkeys(t for t in (schema_text(s) for s in schema["anyOf"]) if t))
    if schema.get("type") in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        return _range_text("a number" if schema["type"] == "number" else "an integer", low, high,
                           "exclusiveMinimum" in schema, "exclusiveMaximum" in schema)
    if schema.get("type") == "array":
        least, most = schema.get("minItems"), schema.get("maxItems")
        count = (f"{least} to {most}" if least and most and least != most else f"{most}" if least == most and most
                 else f"at most {most}" if most else "")
        inner = schema_text(schema.get("items", {}))
        return f"an array of {count + ' ' if count else ''}items, each {inner}" if inner else "an array"
    return ""


def _items_text(path: str, key: str, reads: list[Read]) -> str:
    item = item_schemas().get((path, key))
    if item is None:
        return "see meaning"
    low = item.get("minimum", item.get("exclusiveMinimum"))
    high = item.get("maximum", item.get("exclusiveMaximum"))
    return "items: " + _range_text("an integer" if item.get("type") == "integer" else "a number", low, high,
                                   "exclusiveMinimum" in item, "exclusiveMaximum" in item)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def key_cells(catalog: Catalog, path: str, key: str, reads: list[Read], required: bool, note: str = "") -> list[str]:
    what = meaning(path, key, reads) or "(not yet described)"
    return [f"`{key}`", type_text(catalog, path, key, reads), default_text(reads, required),
            allowed_text(path, key, reads), what + note]


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cell(t) for t in cells) + " |"




HEADER = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]


# -- one table ----------------------------------------------------------------------------------------------

def _conditions(tables: list[list[Read]], exclude: str | None) -> dict[str, str]:
    """key -> " (only with `c` = `v`)" for keys read under some values of a name key other than `exclude`."""
    notes: dict[str, str] = {}
    for c, keys in dependencies(tables).items():
        if c == exclude:
            continue
        for key, values in keys.items():
            notes[key] = notes.get(key, "") + f" (only with `{c}` = " + ", ".join(f"`{v}`" for v in sorted(values)) + ")"
    return notes


def _cells(catalog: Catalog, path: str, tables: list[list[Read]], exclude: str | None) -> dict[str, list[str]]:
    notes = _conditions(tables, exclude)
    keys = list(dict.fromkeys(r.key for t in tables for r in t))
    return {key: key_cells(catalog, path, key, [r for t in tables for r in t if r.key == key],
                           is_required(catalog, path, key, tables), notes.get(key, "")) for key in keys}


def render_table(catalog: Catalog, path: str, where) -> list[str]:
    """The rows of a table. Where a name key decides which keys exist, a key every name has is one row (its
    default listed per name where they differ), and the other keys follow under the names that have them."""
    tables = instances(catalog, path, where)
    deps = dependencies(tables)
    split = max(deps, key=lambda c: len(deps[c]), default=None)
    if split is None or not deps[split]:
        return HEADER + [row(c) for c in _cells(catalog, path, tables, None).values()]
    values = split_values(tables, split)
    by_value = {v: _cells(catalog, path, [t for t in tables if any(r.key == split and r.value == v for r in t)],
                          split) for v in values}
    every = _cells(catalog, path, tables, split)
    out, common = list(HEADER), set()
    for key in dict.fromkeys(k for cells in by_value.values() for k in cells):
        rows = [cells.get(key) for cells in by_value.values()]
        if any(r is None for r in rows) or len({tuple(r[:2] + r[3:]) for r in rows}) > 1:
            continue
        common.add(key)
        merged = every[key] if key == split else list(rows[0])
        defaults: dict[str, list] = {}
        for v, r in zip(values, rows):
            defaults.setdefault(r[2], []).append(v)
        if len(defaults) > 1:
            merged[2] = "; ".join(", ".join(f"`{v}`" for v in names) + f": {d}" for d, names in defaults.items())
        out.append(row(merged))
    groups: dict[tuple, list] = {}
    for v, cells in by_value.items():
        groups.setdefault(tuple(row(c) for k, c in cells.items() if k not in common), []).append(v)
    bare = []
    for rows, names in groups.items():
        named = ", ".join(f"`{v}`" for v in names)
        if not rows:
            bare.append(named)
            continue
        out += ["", f"With `{split}` = {named}:", ""] + HEADER + list(rows)
    if bare:
        out += ["", f"With `{split}` = {', '.join(bare)}: no other keys."]
    return out


# -- the document -----------------------------------------------------------------------------------------------

def _top_tables(catalog: Catalog, kind: str) -> list[tuple[str, str]]:
    """(key, reader) of the tables of a kind's top level, in reading order."""
    return list(dict.fromkeys((r.key, r.reader) for load in catalog.loads if kind_of(load) == kind
                              for r in load if r.path == "" and r.reader in ("section", "sections")
                              and r.key != "lesson"))


def nested_tables(catalog: Catalog, path: str, where) -> list[str]:
    """Tables inside a table (e.g. [validate.space]), each after its parent's rows."""
    out = []
    inner = [r for t in instances(catalog, path, where) for r in t if r.reader in ("section", "sections")]
    for key, reader in dict.fromkeys((r.key, r.reader) for r in inner):
        out += ["", f"#### {table_heading(f'{path}.{key}', reader)}", "", sentence(meaning(path, key)), ""]
        out += render_table(catalog, f"{path}.{key}", where) + nested_tables(catalog, f"{path}.{key}", where)
    return out


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""


def anchor(heading: str, kind: str) -> str:
    """The GitHub-style anchor of a "### [name] (kind)" heading."""
    text = f"{heading} ({kind})".lower()
    return "#" + "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")


def table_heading(key: str, reader: str) -> str:
    return f"[[{key}]]" if reader == "sections" else f"[{key}]"


def catalogue_lists() -> list[str]:
    """The names a scenario may use, with what each is: surfaces, optimizers, data sets."""
    from ..core.optim import OPTIMIZERS
    from ..core.surfaces import SURFACES

    out = ["## Names", "", "### Surfaces (`surface.name`)", "", "| name | formula | default start | parameters |",
           "|---|---|---|---|"]
    for s in SURFACES.values():
        params = ", ".join(f"`{k}` = {toml_value(v)}" for k, v in s.params.items()) or "none"
        out.append(f"| `{s.name}` | {cell(s.formula)} | `{toml_value(list(s.start))}` | {params} |")
    out += ["", "### Optimizers (`optimizers.name`)", "", "| name | what it is |", "|---|---|"]
    out += [f"| `{name}` | {cell(spec.summary) or name} |" for name, spec in OPTIMIZERS.items()]
    from ..core import datasets

    formulas = getattr(datasets, "FORMULAS", {})
    out += ["", "### Data sets (`data.name`)", "", "| name | task | generating process |", "|---|---|---|"]
    for name in datasets.DATASETS:
        task = "regression" if name in datasets.REGRESSION else "classification"
        out.append(f"| `{name}` | {task} | {cell(formulas.get(name, '')) or 'see the Train tab'} |")
    return out


def bounds_table(catalog: Catalog) -> list[str]:
    """Every key with an upper bound or a maximum count, in one place."""
    rows = {}
    for load in catalog.loads:
        for r in load:
            high = (r.args.get("high") if r.reader in ("number", "integer")
                    else None if r.args.get("length") else r.args.get("most"))
            if high is not None and not r.marker:
                name = f"`{r.path + '.' if r.path else ''}{r.key}`"
                rows.setdefault(name, set()).add(high)
    out = ["## Upper bounds", "", "Every size a scenario can ask for is bounded; a bound that depends on other keys "
           "(e.g. a batch no larger than the training split) is checked when the file is loaded.", "",
           "| key | at most |", "|---|---|"]
    for name in sorted(rows):
        highs = sorted(rows[name])
        most = toml_value(highs[0]) if len(highs) == 1 else "depends on other keys (see its table)"
        out.append(f"| {name} | {most} |")
    return out


def reference() -> str:
    from ..kinds import KINDS

    catalog = explore()
    out = ["# Scenario format reference", "",
           "<!-- Generated by `python -m tui_lab.scenario.reference --write` from the scenario loader itself; "
           "do not edit by hand. -->", "",
           "Every key a scenario file may hold, as the loader reads it: its type, its default, what values it "
           "accepts and what it means. A key not listed here is an error (with a \"did you mean\" when one is "
           "close). A key marked \"or a list of them\" takes several values, one run each (runs take the i-th "
           "value of every listed key, so the lists must be equally long). This page is generated from the "
           "loader, so it cannot fall behind it: after changing the loader, run "
           "`python -m tui_lab.scenario.reference --write` from the repository root "
           "(`tests/test_docs.py` fails until you do).", "",
           "## Every scenario", ""]
    out += HEADER
    tops = instances(catalog, "", lambda load: True)
    for key in dict.fromkeys(r.key for t in tops for r in t if r.reader not in ("section", "sections")):
        out.append(row(key_cells(catalog, "", key, [r for t in tops for r in t if r.key == key],
                                 is_required(catalog, "", key, tops))))
    out += ["", "### [[lesson]]", "", sentence(meaning("", "lesson")), ""]
    out += render_table(catalog, "lesson", lambda load: True)
    shown: dict[str, str] = {}
    for kind in KINDS:
        if kind not in catalog.kinds():
            continue
        out += ["", f"## kind = \"{kind}\"", "", sentence(meaning("kind", kind)), ""]
        for key, reader in _top_tables(catalog, kind):
            where = (lambda kind: lambda load: kind_of(load) == kind)(kind)
            heading = table_heading(key, reader)
            rows = "\n".join(render_table(catalog, key, where) + nested_tables(catalog, key, where))
            out += [f"### {heading} ({kind})", "", sentence(meaning("", key)), ""]
            if rows in shown:
                out += [f"As in kind `{shown[rows]}`: see [{heading} ({shown[rows]})]({anchor(heading, shown[rows])}).", ""]
            else:
                shown[rows] = kind
                out += [rows, ""]
    out += [""] + catalogue_lists() + [""] + bounds_table(catalog)
    return "\n".join(line.rstrip() for line in out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = reference()
    if "--write" in argv:
        REFERENCE.write_text(text, encoding="utf-8")
        print(f"wrote {REFERENCE}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

