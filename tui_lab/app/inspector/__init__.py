"""The Inspect step view: one optimizer step's arithmetic in the course's notation.

text.py turns a recorded step (tui_lab.core.step_inspector, numbers from the kernels) into
lines a person reads; overlay.py draws the step's pieces on the surface contour; host.py holds
the widget and what a panel mixes in to offer the view. The commands are declared here once,
and both the surface and the train panel list them.
"""

from ...i18n import N_
from ..commands import Command

INSPECT_VIEW = "inspect"       # the panel's view while the inspector is open (arrow keys move through steps)

INSPECT = Command("I", "inspect_step", N_("Inspect step"),
                  N_("show (or close) the selected run's optimizer step in the course's notation, with its numbers"))
INSPECT_BACK = Command("left", "inspect_move(-1)", N_("Earlier step"),
                       N_("inspector: the step before (kept steps only)"),
                       footer=False, view=INSPECT_VIEW)
INSPECT_FORWARD = Command("right", "inspect_move(1)", N_("Later step"), N_("inspector: the step after"), footer=False,
                          view=INSPECT_VIEW)
INSPECT_COMMANDS = [INSPECT, INSPECT_BACK, INSPECT_FORWARD]
# the train view inspects one parameter of the model at a time
TRAIN_INSPECT_COMMANDS = INSPECT_COMMANDS + [
    Command("up", "inspect_parameter(1)", N_("Next weight"), N_("inspector on the Train tab: the next parameter"),
            footer=False, view=INSPECT_VIEW),
    Command("down", "inspect_parameter(-1)", N_("Previous weight"),
            N_("inspector on the Train tab: the previous parameter"),
            footer=False, view=INSPECT_VIEW),
]

__all__ = ["INSPECT", "INSPECT_BACK", "INSPECT_COMMANDS", "INSPECT_FORWARD", "INSPECT_VIEW", "TRAIN_INSPECT_COMMANDS"]
