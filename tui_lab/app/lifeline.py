"""A process that ends with the one it serves, however that one ended (killed included): the
warm-up's compiler with its lab, a lab with the `tui-lab serve` that started it."""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

SERVER_PID = "TUI_LAB_SERVER_PID"     # set by `tui-lab serve` for the labs it starts


def end_with(alive: Callable[[], bool], period: float = 0.5) -> None:
    """Exit this process (at once: nothing is left to tell) as soon as alive() is False."""
    def watch() -> None:
        while alive():
            time.sleep(period)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def end_with_parent() -> None:
    parent = os.getppid()
    end_with(lambda: os.getppid() == parent)


def end_with_server() -> None:
    """A lab in a browser tab: when its server is gone nobody reads its screen or sends it keys
    (Ctrl-C in the server's terminal reaches the labs too, but a killed server left them running)."""
    pid = os.environ.get(SERVER_PID, "")
    if pid.isdigit():
        end_with(lambda: _running(int(pid)))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:       # alive, another user's (cannot be ours, but it is not gone)
        return True
    return True
