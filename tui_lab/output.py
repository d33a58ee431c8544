"""Writing results: JSON (strict: non-finite numbers become null), CSV files and text tables.
Files are written whole or not at all (temporary file, then rename), by the rules of write_files."""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.cells import cell_len

from .i18n import N_, pad, tr
from .scenario.fields import one_line


def plain(value: Any) -> Any:
    """NumPy arrays and scalars -> lists and Python numbers; inf/nan -> None."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub":            # whole arrays at C speed: long runs have millions of values
            return value.tolist()
        if value.dtype.kind == "f":
            bad = ~np.isfinite(value)
            if bad.any():
                value = value.astype(object)
                value[bad] = None
            return value.tolist()
        return plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def to_json(result: dict) -> str:
    return json.dumps(plain(result), allow_nan=False)


# -- writing files ---------------------------------------------------------------------------------
# The rules, the same for `tui-lab run` and the app's save and export:
# - a regular file is written whole or not at all: a temporary file beside it, then a rename;
# - a symlink is followed (its target is written, the link stays); a FIFO or a device is written directly;
# - an existing file keeps its mode; a new file gets the mode the umask gives (as any program's would);
# - the scenario being run is never written over; a folder's existing files are replaced only when forced;
# - every output is checked before any is written, so an error leaves nothing behind;
# - errors name the path the user gave, never a temporary file.

_pending: set[str] = set()      # temporary files being written, removed if the process is interrupted
_pending_lock = threading.Lock()


class OutputError(OSError):
    """An output that cannot be written (bad input, exit 2). str() names the user's path."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(reason)
        self.filename = str(path)
        self.strerror = reason

    def __str__(self) -> str:
        return one_line(f"{self.filename}: {self.strerror}")


@dataclass
class Target:
    """One output file: the path as given, the file actually written, and how."""
    given: str
    real: Path
    direct: bool            # a FIFO or a device: written in place
    mode: int | None        # the existing file's mode to keep, None for a new file


def resolve_target(path: str | Path, protect: tuple[str | Path, ...] = ()) -> Target:
    """Check that `path` can be written, without writing anything; OutputError if not."""
    given = str(path)
    try:
        info = os.stat(path)          # through symlinks, also /dev/stdout's link to a pipe
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise OutputError(given, err.strerror or str(err)) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(given, tr("is a folder; give a file name"))
        if any(_same_file(path, other) for other in protect):
            raise OutputError(given, tr("is the scenario being run; it is never written over"))
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISSOCK(info.st_mode):
                raise OutputError(given, tr("is a socket"))
            if not os.access(path, os.W_OK):
                raise OutputError(given, tr("cannot be written (permission denied)"))
            return Target(given, Path(path), True, None)
        if not os.access(path, os.W_OK):
            raise OutputError(given, tr("permission denied"))
    real = Path(os.path.realpath(path))   # a regular (or new) file: its temporary file goes beside the target
    folder = real.parent
    if not folder.is_dir():
        raise OutputError(given, tr("no such folder {folder}", folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(given, tr("permission denied (cannot write in {folder})", folder=folder))
    return Target(given, real, False, None if info is None else stat.S_IMODE(info.st_mode))


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_folder(folder: str | Path, names: list[str], *, force: bool = False, protect: tuple[str | Path, ...] = (),
                 hint: str = N_("choose an empty folder")) -> list[Target]:
    """The files `names` inside `folder` (which may not exist yet), checked as resolve_target does.
    Existing files there are replaced only with force (`hint` says how to give it)."""
    given = str(folder)
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise OutputError(given, tr("is not a folder"))
    if path.is_dir():
        taken = [name for name in names if (path / name).exists() or (path / name).is_symlink()]
        if taken and not force:
            raise OutputError(given, tr("already holds {files}; {hint}", files=", ".join(taken), hint=tr(hint)))
        return [resolve_target(path / name, protect) for name in names]
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(given, tr("cannot make the folder (cannot write in {folder})", folder=parent))
    return [Target(str(path / name), Path(os.path.realpath(path)) / name, False, None) for name in names]


def write_files(files: list[tuple[Target, str]]) -> None:
    """Write checked targets all or nothing: every regular file goes to a temporary file first, and
    only when all are written are they renamed into place (FIFOs and devices are written last)."""
    staged: list[tuple[str, Target]] = []
    current = files[0][0] if files else None      # the output being written, for the error message
    try:
        for target, text in files:
            current = target
            if not target.direct:
                target.real.parent.mkdir(parents=True, exist_ok=True)
                staged.append((_stage(target, text), target))
        for tmp, target in staged:
            current = target
            os.replace(tmp, target.real)
            _forget(tmp)
        staged = []
        for target, text in files:
            if target.direct:
                current = target
                with open(target.real, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
    except OSError as err:
        raise OutputError(current.given, err.strerror or str(err)) from None
    finally:
        for tmp, _ in staged:
            _remove(tmp)


def write_atomic(path: str | Path, text: str, *, protect: tuple[str | Path, ...] = ()) -> None:
    """Write one file by the rules above (the app's save and export, bench --json)."""
    write_files([(resolve_target(path, protect), text)])


def _stage(target: Target, text: str) -> str:
    """A temporary file beside the target holding text, with the mode the target will have."""
    for _ in range(100):
        tmp = str(target.real.parent / f".{target.real.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)    # the umask applies
            break
        except FileExistsError:
            continue
    else:
        raise OSError(errno.EEXIST, "cannot make a temporary file", str(target.real))
    with _pending_lock:
        _pending.add(tmp)
    try:
        if target.mode is not None:
            os.fchmod(fd, target.mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _forget(tmp: str) -> None:
    with _pending_lock:
        _pending.discard(tmp)


def _remove(tmp: str) -> None:
    _forget(tmp)
    try:
        os.unlink(tmp)
    except OSError:
        pass


def remove_pending() -> None:
    """Delete the temporary files of writes still under way (on Ctrl-C, before the process exits)."""
    with _pending_lock:
        left = list(_pending)
    for tmp in left:
        _remove(tmp)


def csv_text(rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buf.getvalue()


def _cell(v: Any) -> Any:
    v = plain(v)
    return "" if v is None else v


def fmt(v: Any) -> str:
    """A number as a table shows it."""
    v = plain(v)
    if v is None:
        return "-"
    if isinstance(v, bool):
        return tr("yes") if v else tr("no")
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def table(header: list[str], rows: list[list]) -> str:
    """A text table: first column left-aligned, the others right-aligned, widths in terminal cells
    (a Korean header or label takes two cells per syllable)."""
    cells = [header] + [[fmt(v) for v in row] for row in rows]
    widths = [max(cell_len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(pad(c, w, right=i > 0) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
