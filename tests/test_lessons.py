"""Every shipped scenario is a lesson with a claim; each claim is checked on the numbers a
headless run of the scenario produces, so no lesson teaches something its numbers do not show."""

import time

import pytest

import claims_conv  # noqa: F401  (each module registers its claims)
import claims_surface  # noqa: F401
import claims_train  # noqa: F401
import claims_validate  # noqa: F401
import tui_lab
from claims import CLAIMS
from tui_lab.scenario.shipped import course_order, shipped_names

def test_every_shipped_scenario_has_a_claim_and_a_place_in_the_course():
    names = shipped_names()
    assert sorted(names) == sorted(course_order()), "course.txt and the shipped files differ"
    missing = [n for n in names if n not in CLAIMS]
    assert not missing, f"scenarios without a checked claim: {missing}"
    assert not set(CLAIMS) - set(names), "claims for scenarios that are not shipped"


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_lesson_claim_holds(name):
    scenario = tui_lab.load_scenario(name)
    assert scenario.lessons, "a shipped scenario is a guided lesson"
    assert any("claim" in lesson.text.lower() for lesson in scenario.lessons), "the lesson states its claim"
    t0 = time.process_time()
    result = tui_lab.run_scenario(name, trace=True)
    seconds = time.process_time() - t0
    if seconds >= 10:    # the first run of a kernel in this process includes Numba's compile: time another
        t0 = time.process_time()
        tui_lab.run_scenario(name, trace=True)
        seconds = time.process_time() - t0
    assert seconds < 10, f"a shipped scenario runs within a few seconds, not {seconds:.1f} s of CPU"
    CLAIMS[name](result)
