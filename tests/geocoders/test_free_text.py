"""Real typed names (issue 25): no rule that publishes without a person's review places one wrongly.

The labelled files and their origin: ``tests/data/geocoding/README.md``; the per-rule table:
``python -m benchmarks.free_text`` and ``docs/geocoding.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.free_text import ISSUE_CASES, LABELLED, SURE, labelled, tally
from mapgen.geocoders import Geocoder


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder()


@pytest.mark.parametrize("path", [LABELLED, ISSUE_CASES], ids=["fuel-register", "issue-25"])
def test_no_sure_placement_is_wrong(geocoder: Geocoder, path: Path) -> None:
    cases = labelled(path)
    assert len(cases) >= (2900 if path == LABELLED else 12)
    tallies = tally(cases, geocoder)
    sure = {rule: t for rule, t in tallies.items() if any(f"[{s.value}]" in rule for s in SURE)}
    assert sure, "the set must exercise the rules that place without review"
    wrong = {rule: t.wrong_examples for rule, t in sure.items() if t.counts["wrong"]}
    assert wrong == {}


def test_every_wrong_reading_of_the_issue_goes_to_a_person(geocoder: Geocoder) -> None:
    tallies = tally(labelled(ISSUE_CASES), geocoder)
    wrong = sum(t.counts["wrong"] for t in tallies.values())
    assert wrong == sum(t.counts["wrong"] for rule, t in tallies.items() if "[to_check]" in rule) > 0
    # every one of the twelve is placed for a person to check, left to a person, or right
    assert all(t.counts["to a person"] + t.counts["right"] >= t.counts["seen"] for t in tallies.values())
