"""The registry of lesson claims: one function per shipped scenario, taking the result of a
headless run (with trace) and asserting what the lesson says its numbers show.
The claims live in claims_<kind>.py; test_lessons.py checks that every shipped scenario has one."""

import copy

import numpy as np

import tui_lab

CLAIMS = {}


def claim(name):
    def register(fn):
        CLAIMS[name] = fn
        return fn
    return register


def runs_by_label(result):
    return {r["label"]: r for r in result["runs"]}


def step_lengths(run):
    return np.linalg.norm(np.diff(np.asarray(run["trajectory"]), axis=0), axis=1)


def scenario_raw(name):
    """A shipped scenario's parsed TOML, to change as a lesson tells the student to."""
    return copy.deepcopy(tui_lab.load_scenario(name).raw)


def rerun(name, table, **changes):
    """The scenario run again with some keys of one table changed."""
    raw = scenario_raw(name)
    raw[table] = {**raw.get(table, {}), **changes}
    return tui_lab.run_scenario(raw, trace=True)
