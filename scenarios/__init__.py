"""Shipped scenario files, installed as the package data of tui_lab.scenarios."""
