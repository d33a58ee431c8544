"""The conv kind's panel, as a package: model (state, no Textual), drawing (Rich Text), panel
(the widget and its controller)."""

from .model import Stepper
from .panel import CONV_COMMANDS, ConvPanel

__all__ = ["CONV_COMMANDS", "ConvPanel", "Stepper"]
