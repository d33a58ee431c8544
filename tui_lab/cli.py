"""The `tui-lab` command (SPEC section 1). Bad input: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from . import __version__
from .scenario.fields import ScenarioError

COMMANDS = ("run", "list", "check", "bench", "serve")

DESCRIPTION = """\
tui-lab: a terminal laboratory for learning how neural networks are optimized.

commands:
  tui-lab [SCENARIO]            open the lab (default scenario, or the one given)
  tui-lab run SCENARIO          run headless: summary table, or --json PATH / --csv DIR
  tui-lab list                  the shipped scenarios, in course order
  tui-lab check SCENARIO...     validate scenario files without running them
  tui-lab bench [--json PATH]   the performance benchmark
  tui-lab serve [SCENARIO]      serve the lab to a web browser (127.0.0.1 by default)

SCENARIO is a path to a .toml file or the name of a shipped scenario (see `tui-lab list`).
Exit codes: 0 success, 2 bad input, 1 internal fault."""


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, exit 2, like scenario errors."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `tui-lab --help`)\n")


def build_parser(command: str | None) -> argparse.ArgumentParser:
    if command is None:
        p = OneLineParser(prog="tui-lab", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("scenario", nargs="?", help="scenario to open (path or shipped name)")
        p.add_argument("--version", action="version", version=f"tui-lab {__version__}")
        return p
    p = OneLineParser(prog=f"tui-lab {command}")
    if command == "run":
        p.add_argument("scenario")
        p.add_argument("--json", metavar="PATH", help="write the results as JSON ('-' for stdout)")
        p.add_argument("--csv", metavar="DIR", help="write the results as CSV files into DIR")
        p.add_argument("--trace", action="store_true", help="conv: add the step-by-step trace")
        p.add_argument("--include-data", action="store_true", help="add the data sets to the JSON")
    elif command == "check":
        p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    elif command == "bench":
        p.add_argument("--json", metavar="PATH", help="also write the figures as JSON ('-' for stdout)")
        p.add_argument("--quick", action="store_true", help="shorter measurements (for tests)")
    elif command == "serve":
        p.add_argument("scenario", nargs="?")
        p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        p.add_argument("--port", type=int, default=8000)
    return p


def cmd_run(args) -> int:
    from . import run_scenario
    from .kinds import KINDS
    from .output import csv_text, to_json, write_atomic

    result = run_scenario(args.scenario, trace=args.trace, include_data=args.include_data)
    kind = KINDS[result["kind"]]
    if args.json == "-":
        sys.stdout.write(to_json(result) + "\n")
    elif args.json:
        write_atomic(Path(args.json), to_json(result) + "\n")
    if args.csv:
        folder = Path(args.csv)
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in kind.csv_tables(result).items():
            write_atomic(folder / name, csv_text(rows))
    if not args.json:
        print(f"{result['title']}  ({result['kind']}, seed {result['seed']})")
        print(kind.summary(result))
    return 0


def cmd_list(args) -> int:
    from . import load_scenario
    from .scenario.shipped import shipped_names, shipped_path

    rows = []
    for name in shipped_names():
        sc = load_scenario(shipped_path(name))
        rows.append((name, sc.kind, sc.title))
    width = max((len(r[0]) for r in rows), default=0)
    for name, kind, title in rows:
        print(f"{name.ljust(width)}  {kind.ljust(8)}  {title}")
    return 0


def cmd_check(args) -> int:
    from . import load_scenario

    status = 0
    for source in args.scenarios:
        try:
            sc = load_scenario(source)
            print(f"ok: {source} ({sc.kind}: {sc.title})")
        except ScenarioError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 2
    return status


def cmd_bench(args) -> int:
    from .bench import run_bench

    return run_bench(args.json, quick=args.quick)


def cmd_serve(args) -> int:
    from .app.serve import serve

    return serve(args.scenario, args.host, args.port)


def cmd_app(args) -> int:
    from .app.main import run_app

    return run_app(args.scenario)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(command).parse_args(argv[1:] if command else argv)
    handler = {"run": cmd_run, "list": cmd_list, "check": cmd_check, "bench": cmd_bench,
               "serve": cmd_serve, None: cmd_app}[command]
    try:
        if command in (None, "serve") and args.scenario:
            from . import load_scenario

            load_scenario(args.scenario)   # bad input is reported before any screen opens
        return handler(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as err:   # an output path that cannot be written is bad input too
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # an internal fault: one line, the traceback only on request
        if os.environ.get("TUI_LAB_DEBUG"):
            traceback.print_exc()
        print(f"internal error: {type(err).__name__}: {err} (set TUI_LAB_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1
