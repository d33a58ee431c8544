"""The `tui-lab` command (docs/index.md lists every sub-command). Bad input: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import traceback

from . import __version__
from .i18n import LANGUAGES, N_, set_language, tr
from .scenario.fields import ScenarioError, one_line

COMMANDS = ("run", "list", "check", "bench", "serve", "schema", "new")

DESCRIPTION = N_("""\
tui-lab: a terminal laboratory for learning how neural networks are optimized.

commands:
  tui-lab [SCENARIO]            open the lab (default scenario, or the one given)
  tui-lab run SCENARIO          run headless: summary table, or --json PATH / --csv DIR
  tui-lab list                  the shipped scenarios, in course order
  tui-lab check SCENARIO...     validate scenario files without running them
  tui-lab bench [--json PATH]   the performance benchmark
  tui-lab serve [SCENARIO]      serve the lab to a web browser (127.0.0.1 by default)
  tui-lab schema                the JSON Schema of scenario files (for editors and CI)
  tui-lab new KIND NAME         write NAME.toml, a commented starting scenario of KIND

SCENARIO is a path to a .toml file or the name of a shipped scenario (see `tui-lab list`).
--lang en|ko, before or after the command, chooses the language (default: the locale's).
Exit codes: 0 success, 2 bad input, 1 internal fault.""")


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, exit 2, like scenario errors."""

    def error(self, message: str):
        self.exit(2, tr("error: {message} (see `tui-lab --help`)", message=one_line(message, 160)) + "\n")


def build_parser(command: str | None) -> argparse.ArgumentParser:
    if command is None:
        p = OneLineParser(prog="tui-lab", description=tr(DESCRIPTION),
                          formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("scenario", nargs="?", help=tr("scenario to open (path or shipped name)"))
        p.add_argument("--version", action="version", version=f"tui-lab {__version__}",
                       help=tr("show the version and exit"))
        add_lang_help(p)
        return p
    p = OneLineParser(prog=f"tui-lab {command}")
    add_lang_help(p)
    if command == "run":
        p.add_argument("scenario")
        p.add_argument("--json", metavar="PATH", help=tr("write the results as JSON ('-' for stdout)"))
        p.add_argument("--csv", metavar="DIR", help=tr("write the results as CSV files into DIR"))
        p.add_argument("--trace", action="store_true", help=tr("conv: add the step-by-step trace"))
        p.add_argument("--include-data", action="store_true", help=tr("add the data sets to the JSON"))
        p.add_argument("--force", action="store_true", help=tr("let --csv replace files already in DIR"))
    elif command == "check":
        p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    elif command == "bench":
        p.add_argument("--json", metavar="PATH", help=tr("also write the figures as JSON ('-' for stdout)"))
        p.add_argument("--quick", action="store_true", help=tr("shorter measurements (for tests)"))
    elif command == "serve":
        p.add_argument("scenario", nargs="?")
        p.add_argument("--host", default="127.0.0.1", help=tr("address to bind (default 127.0.0.1)"))
        p.add_argument("--port", type=port_number, default=8000, help=tr("port to listen on (default 8000)"))
    elif command == "new":
        p.add_argument("kind", choices=("surface", "train", "validate", "conv"))
        p.add_argument("name", help=tr("the file to write (.toml is added when missing); never overwritten"))
    return p


def add_lang_help(p: argparse.ArgumentParser) -> None:
    """--lang in every command's help; main() takes it out of argv before parsing (see take_lang)."""
    p.add_argument("--lang", choices=LANGUAGES, help=tr("language of what you read (default: from the locale)"))


def take_lang(argv: list[str]) -> list[str]:
    """Apply `--lang CODE` / `--lang=CODE` from anywhere in argv (before or after the command) and
    return argv without it, so the command is still argv[0]. A bad code is a usage error."""
    rest: list[str] = []
    code = None
    items = iter(argv)
    for item in items:
        if item == "--":
            rest += [item, *items]
            break
        if item == "--lang" or item.startswith("--lang="):
            code = item.partition("=")[2] if "=" in item else next(items, "")
            if code not in LANGUAGES:
                raise UsageError(tr("--lang: expected one of {choices}, got {value}",
                                    choices=", ".join(LANGUAGES), value=one_line(code)[:40] or tr("nothing")))
        else:
            rest.append(item)
    set_language(code)
    return rest


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(tr("expected a port number in [1, 65535], got {value}",
                                            value=one_line(text)[:40]))
    return port


def scenario_files(source: str) -> tuple[str, ...]:
    """The file a scenario argument names, if it is one (outputs must never replace it)."""
    from .scenario.shipped import shipped_names, shipped_path

    if os.path.isfile(source):
        return (source,)
    return (str(shipped_path(source)),) if source in shipped_names() else ()


def cmd_run(args) -> int:
    from . import load_scenario, run_scenario
    from .kinds import KINDS
    from .output import check_folder, csv_text, resolve_target, to_json, write_files

    protect = scenario_files(args.scenario)
    scenario = load_scenario(args.scenario)
    to_file = args.json not in (None, "-")
    if to_file:                       # a path that cannot be written is reported before any work
        resolve_target(args.json, protect)
    if args.csv:
        check_folder(args.csv, [], protect=protect)
    result = run_scenario(scenario, trace=args.trace, include_data=args.include_data)
    kind = KINDS[result["kind"]]
    outputs = []
    if to_file:
        outputs.append((resolve_target(args.json, protect), to_json(result) + "\n"))
    if args.csv:
        tables = kind.csv_tables(result)
        targets = check_folder(args.csv, list(tables), force=args.force, protect=protect,
                               hint=N_("add --force to replace them, or choose another folder"))
        outputs += [(target, csv_text(rows)) for target, rows in zip(targets, tables.values())]
    write_files(outputs)              # all checked above: every file is written, or none
    if args.json == "-":
        sys.stdout.write(to_json(result) + "\n")
    elif not args.json:
        print(tr("{title}  ({kind}, seed {seed})", title=scenario.shown_title, kind=result["kind"],
                 seed=result["seed"]))
        print(kind.summary(result))
    return 0


def cmd_list(args) -> int:
    from . import load_scenario
    from .scenario.shipped import course_sections, shipped_names, shipped_path

    names = shipped_names()
    sections = course_sections()
    placed = {name for _, members in sections for name in members}
    sections.append((tr("More scenarios"), [name for name in names if name not in placed]))
    width = max((len(name) for name in names), default=0)
    for heading, members in sections:
        members = [name for name in members if name in names]
        if members:
            print(f"# {heading}")
        for name in members:
            sc = load_scenario(shipped_path(name))
            print(f"{name.ljust(width)}  {sc.kind.ljust(8)}  {sc.shown_title}")
    return 0


def cmd_check(args) -> int:
    from . import load_scenario

    status = 0
    for source in args.scenarios:
        try:
            sc = load_scenario(source)
            print(tr("ok: {source} ({kind}: {title})", source=source, kind=sc.kind, title=sc.shown_title))
        except ScenarioError as err:
            print(tr("error: {message}", message=err), file=sys.stderr)
            status = 2
    return status


def cmd_bench(args) -> int:
    from .bench import run_bench

    return run_bench(args.json, quick=args.quick)


def cmd_serve(args) -> int:
    from .app.serve import serve

    check_address(args.host, args.port)
    return serve(args.scenario, args.host, args.port)


def check_address(host: str, port: int) -> None:
    """A host that does not resolve or a port that cannot be bound is bad input, said before any
    banner; an address other than loopback gets a warning, since the lab reads and writes files."""
    import ipaddress
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise UsageError(tr("--host {host}: not an address this machine can serve on ({reason})",
                            host=host, reason=err)) from None
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as err:
        raise UsageError(tr("--host {host} --port {port}: cannot listen there ({reason})",
                            host=host, port=port, reason=err.strerror or err)) from None
    if not all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos):
        print(tr("warning: serving on {host}, not loopback: anyone who can reach this address can use the lab, "
                 "which reads and writes files as you", host=host), file=sys.stderr)


def cmd_schema(args) -> int:
    from .scenario.schema import schema_json

    sys.stdout.write(schema_json())
    return 0


def cmd_new(args) -> int:
    from .scenario.scaffold import write_new

    path = write_new(args.kind, args.name)
    print(tr("wrote {path}: edit it, then `tui-lab check {path}` and `tui-lab {path}`", path=path))
    return 0


def cmd_app(args) -> int:
    from .app.main import run_app

    return run_app(args.scenario)


class UsageError(Exception):
    """A bad command-line value found after parsing: one line, exit 2."""


BACKGROUND = ("run", "check", "list", "bench", "schema", "new")     # run in a worker thread so Ctrl-C always answers
PROGRESS_AFTER = 1.0                                # seconds before a progress bar appears (terminal only)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argparse._ = tr              # argparse's own texts (usage, its errors) in the reader's language
    try:
        argv = take_lang(argv)
    except UsageError as err:
        print(tr("error: {message}", message=err), file=sys.stderr)
        return 2
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(command).parse_args(argv[1:] if command else argv)
    handler = {"run": cmd_run, "list": cmd_list, "check": cmd_check, "bench": cmd_bench,
               "serve": cmd_serve, "schema": cmd_schema, "new": cmd_new, None: cmd_app}[command]
    try:
        if command in BACKGROUND:
            return run_in_background(handler, args)
        if command in (None, "serve") and args.scenario:
            from . import load_scenario

            load_scenario(args.scenario)   # bad input is reported before any screen opens
        return handler(args)
    except (ScenarioError, UsageError) as err:
        print(tr("error: {message}", message=one_line(err)), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as err:   # an output path that cannot be written is bad input too
        message = f"{err.filename}: {err.strerror}" if err.strerror and err.filename else (err.strerror or str(err))
        print(tr("error: {message}", message=one_line(message)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(tr("interrupted"), file=sys.stderr)
        return 130
    except Exception as err:  # an internal fault: one line, the traceback only on request
        if os.environ.get("TUI_LAB_DEBUG"):
            traceback.print_exc()
        print(tr("internal error: {message} (set TUI_LAB_DEBUG=1 for the traceback)",
                 message=one_line(f"{type(err).__name__}: {err}")), file=sys.stderr)
        return 1


def run_in_background(handler, args) -> int:
    """handler(args) in a worker thread while this (main) thread waits, showing progress on a terminal.
    Compiled kernels release the GIL, so Ctrl-C reaches this thread at once even mid-kernel; it then
    removes any output still being written and ends the process (exit 130): nothing partial is left."""
    from . import progress
    from .output import remove_pending

    outcome: dict = {}

    def work() -> None:
        try:
            outcome["value"] = handler(args)
        except BaseException as err:      # handed to the main thread, which reports it
            outcome["error"] = err

    progress.reset()
    worker = threading.Thread(target=work, name=f"tui-lab {handler.__name__}", daemon=True)
    bar = ProgressBar() if handler is cmd_run and sys.stderr.isatty() else None
    try:
        worker.start()
        started = time.monotonic()
        while worker.is_alive():
            worker.join(0.1)
            if bar is not None and time.monotonic() - started > PROGRESS_AFTER:
                bar.show(*progress.snapshot())
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        remove_pending()
        sys.stdout.flush()
        print(tr("interrupted"), file=sys.stderr, flush=True)
        os._exit(130)
    if bar is not None:
        bar.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class ProgressBar:
    """rich's progress bar on stderr, redrawn by the waiting main thread (it leaves no trace when done)."""

    def __init__(self):
        self.progress = None
        self.task = None

    def show(self, done: int, total: int, unit: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        unit = tr(unit)                   # "steps", "epochs": the summaries' column names
        if self.progress is None:
            self.progress = Progress(TextColumn(tr("running")), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
                                     console=Console(stderr=True), transient=True,
                                     auto_refresh=False)
            self.progress.start()
            self.task = self.progress.add_task("run", total=total or None, unit=unit)
        self.progress.update(self.task, completed=done, total=total or None, unit=unit)
        self.progress.refresh()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
