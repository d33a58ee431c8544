"""`tui-lab serve`: the lab in a web browser through textual-serve (one lab process per browser tab)."""

from __future__ import annotations

import shlex
import sys


def serve(scenario: str | None, host: str = "127.0.0.1", port: int = 8000) -> int:
    from textual_serve.server import Server

    command = [sys.executable, "-m", "tui_lab"] + ([scenario] if scenario else [])
    print(f"serving tui-lab on http://{host}:{port}  (ctrl+c stops)")
    Server(shlex.join(command), host=host, port=port, title="tui-lab").serve()
    return 0
