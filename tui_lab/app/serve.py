"""`tui-lab serve`: the lab in a web browser through textual-serve (one lab process per browser tab)."""

from __future__ import annotations

import html
import os
import shlex
import sys

# the words of textual-serve's web page (its start button, the end of a session), shown in the reader's language
PAGE_TEXTS = ("Start", "Session ended.", "Restart")


from .lifeline import SERVER_PID


def serve(scenario: str | None, host: str = "127.0.0.1", port: int = 8000) -> int:
    from textual_serve.server import LOGO, Server

    from ..i18n import language, tr

    class LabServer(Server):
        async def on_startup(self, app) -> None:
            """textual-serve's banner, its words in the reader's language (the logo is a picture)."""
            self.console.print(LOGO, highlight=False)
            self.console.print(tr("Serving {command} on {address}", command=repr(self.command), address=self.public_url))
            self.console.print("\n[cyan]" + tr("Press Ctrl+C to quit"))

        async def handle_index(self, request):
            """textual-serve's page for a browser tab, its few words (PAGE_TEXTS) in the reader's language."""
            page = await super().handle_index(request)
            for english in PAGE_TEXTS:
                page.text = page.text.replace(f">{english}<", f">{html.escape(tr(english))}<")
            return page

        def request_exit(self) -> None:
            """Ctrl-C (or a kill): stop at once (aiohttp's graceful shutdown takes seconds); exit 130 as every
            command does. The labs it started end with it (see lifeline)."""
            print(tr("interrupted"), file=sys.stderr, flush=True)
            os._exit(130)

    # each browser tab's lab reads in the language chosen here (--lang or the locale)
    command = [sys.executable, "-m", "tui_lab", "--lang", language()] + ([scenario] if scenario else [])
    os.environ[SERVER_PID] = str(os.getpid())        # each lab ends with this server (see lifeline)
    print(tr("serving tui-lab on {address}  (ctrl+c stops)", address=f"http://{host}:{port}"), flush=True)
    LabServer(shlex.join(command), host=host, port=port, title="tui-lab").serve()
    return 0
