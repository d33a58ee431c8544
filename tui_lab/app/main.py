"""`tui-lab [SCENARIO]`: open the lab."""

from __future__ import annotations

import os
import sys


def run_app(scenario: str | None) -> int:
    from .warm_up import use_keyed_cache, warm_up

    use_keyed_cache()     # before anything imports Numba: a changed core never meets a stale kernel
    from .lifeline import end_with_server

    end_with_server()     # a lab in a browser tab ends with its `tui-lab serve`
    from .lab import LabApp

    warm_up()             # kernels compile in the background; the lab animates with interpreted ones meanwhile
    app = LabApp(scenario)
    app.run()
    if app.return_code == 130:       # Ctrl-C: end now, without waiting for compile or run threads to finish
        sys.stdout.flush()
        from ..i18n import tr

        print(tr("interrupted"), file=sys.stderr, flush=True)
        os._exit(130)
    return app.return_code or 0
