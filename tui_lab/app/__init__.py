"""The Textual app: a thin layer over tui_lab.core and tui_lab.kinds."""
