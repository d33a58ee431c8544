"""Time the lab's first start as a student sees it: launch `tui-lab` in a tmux pane and watch the
screen until the race's contour and runs are drawn, then press space and watch until it moves.

    python tools/first_start.py            # cold: an empty Numba cache (as after `pip install .`)
    python tools/first_start.py --warm     # warm: the cache filled first
    python tools/first_start.py --size 80x24
    python tools/first_start.py --cache DIR   # a given cache folder (kept), e.g. one filled before

Prints seconds from launch to: first contour drawn, first movement after space; then, for each
other tab in turn (its F key), the seconds from the key to its first content (`tab_<kind>_s`), and
for Train from space to its first epoch (`train_moves_s`). With --cache DIR on a filled cache this
times the warm start.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BRAILLE = re.compile("[\u2801-\u28ff]")
STEP = re.compile(r"step (\d+)/")
EPOCH = re.compile(r"epoch (\d+)/")
# what each tab shows once its first scenario is computed and drawn
CONTENT = {"train": re.compile(r"epoch\s+train"), "validate": re.compile(r"noise="),
           "conv": re.compile(r"term \d+/\d+")}


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def cpu_seconds(session: str) -> float | None:
    """CPU seconds (user + system) the lab's own process has used so far: unlike the wall clock,
    this hardly depends on what else the machine is doing (the compiling child is not counted)."""
    pid = subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], capture_output=True,
                         text=True).stdout.split()
    try:
        fields = Path(f"/proc/{pid[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(session: str, condition, timeout: float) -> float | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition(capture(session)):
            return time.perf_counter()
        time.sleep(0.02)
    return None


def time_tabs(session: str, timeout: float) -> dict:
    """Open each other tab by its key (as the lab declares them) and time its first content."""
    from tui_lab.app.lab import TAB_KEYS, registered_panels

    out = {}
    subprocess.run(["tmux", "send-keys", "-t", session, "space"], check=True)     # pause the race
    for key, kind in zip(TAB_KEYS, registered_panels()):
        if kind not in CONTENT:
            continue
        start = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", session, key.upper()], check=True)
        shown = wait_for(session, lambda s, kind=kind: bool(CONTENT[kind].search(s)), timeout)
        out[f"tab_{kind}_s"] = None if shown is None else shown - start
        if kind == "train" and shown is not None:
            start = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", session, "space"], check=True)
            moved = wait_for(session, lambda s: any(int(n) > 0 for n in EPOCH.findall(s)), timeout)
            out["train_moves_s"] = None if moved is None else moved - start
            subprocess.run(["tmux", "send-keys", "-t", session, "space"], check=True)
    out["cpu_tabs_s"] = cpu_seconds(session)
    return out


def launch(cache: Path, size: str, scenario: str | None, timeout: float, tabs: bool = False) -> dict:
    cols, rows = size.split("x")
    session = f"first-start-{int(time.time() * 1000)}"
    command = f"env NUMBA_CACHE_DIR={cache} TERM=xterm-256color {Path(sys.executable).parent / 'tui-lab'} {scenario or ''}"
    t0 = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", cols, "-y", rows, command], check=True)
    try:
        # drawn: many braille cells (the contour) and a run marker on screen
        drawn = wait_for(session, lambda s: len(BRAILLE.findall(s)) > 200 and "●" in s, timeout)
        if drawn is None:
            return {"contour_s": None, "moves_s": None, "screen": capture(session)}
        cpu_drawn = cpu_seconds(session)
        subprocess.run(["tmux", "send-keys", "-t", session, "space"], check=True)
        moved = wait_for(session, lambda s: any(int(n) > 0 for n in STEP.findall(s)), timeout)
        result = {"contour_s": drawn - t0, "moves_s": None if moved is None else moved - t0,
                  "cpu_contour_s": cpu_drawn, "cpu_moves_s": cpu_seconds(session)}
        if tabs:
            result.update(time_tabs(session, timeout))
        return {**result, "load": os.getloadavg()[0]}
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="fill the cache first, then launch")
    parser.add_argument("--cache", help="use this Numba cache folder (kept) instead of a new empty one")
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--scenario")
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--tabs", action="store_true", help="then open each other tab and time its content")
    args = parser.parse_args()
    cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="numba-cache-"))
    try:
        if args.warm:               # fill the cache the way the lab's background compile does, then launch
            subprocess.run([sys.executable, "-c", "from tui_lab.app.warm_up import run_jobs; run_jobs()"],
                           env={**os.environ, "NUMBA_CACHE_DIR": str(cache)}, check=True)
        result = launch(cache, args.size, args.scenario, args.timeout, args.tabs)
        print(result)
    finally:
        if not args.cache:
            shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
