"""LocalityMatcher: a Comune named with one of its localities; the locality is dropped with a hint."""

from __future__ import annotations

import pytest

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import LocalityMatcher
from mapgen.model import MatchStatus, Place


@pytest.fixture(scope="module")
def locality(gazetteer: Gazetteer) -> LocalityMatcher:
    return LocalityMatcher(gazetteer)


def test_the_comune_of_the_province_named_in_the_words(locality: LocalityMatcher) -> None:
    match = locality.geocode(Place("Pisa Scalo", "PI"))
    assert match is not None
    assert (match.status, match.name) == (MatchStatus.NORMALIZED, "Pisa")
    assert match.hint == "'Pisa Scalo': usato il Comune Pisa (PI), ignorata la località."


def test_without_a_province_the_text_must_mark_a_locality(locality: LocalityMatcher) -> None:
    marked = locality.geocode(Place("Cesenatico, frazione Villamarina"))
    assert marked is not None
    assert marked.name == "Cesenatico"
    assert locality.geocode(Place("Villamarina Cesenatico")) is None


def test_a_homonym_without_a_province_is_not_picked(locality: LocalityMatcher) -> None:
    match = locality.geocode(Place("Marina di Castro"))  # Castro (BG) or Castro (LE)
    assert match is None or not match.status.resolved


def test_a_name_that_exists_elsewhere_is_not_a_locality(locality: LocalityMatcher) -> None:
    # Villa San Giovanni is a Comune of RC: typed with ME, the province is the mistake.
    assert locality.geocode(Place("Villa San Giovanni", "ME")) is None
