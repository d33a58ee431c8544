"""The validate kind's tab: a pure state model (model.py), its pictures (drawing.py) and the
Textual panel that shows them and edits the scenario (panel.py)."""

from .panel import VALIDATE_COMMANDS, ValidatePanel

__all__ = ["VALIDATE_COMMANDS", "ValidatePanel"]
