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
    # Words dropped: placed, but a person confirms it (issue 25: "Reno Galliera" BO is no Galliera).
    assert (match.status, match.name) == (MatchStatus.TO_CHECK, "Pisa")
    assert match.hint == "'Pisa Scalo': usato il Comune Pisa (PI), ignorata la località: verificare."


@pytest.mark.parametrize(
    ("comune", "provincia", "meant"),
    [
        # issue 25, free-typed names: "X di <capoluogo>" names the province, not a locality of it
        ("PONZANO DI TREVISO", "TV", {"Ponzano Veneto", "Treviso"}),
        ("AGLIANO D'ASTI", "AT", {"Agliano Terme", "Asti"}),
        ("GIULIANO DI LECCE", "LE", {"Lecce"}),
        # two places named, one by its old name: Trivero is now Valdilana (BI)
        ("Trivero - Ponzone", "", {"Ponzone", "Valdilana"}),
    ],
)
def test_a_reading_that_may_be_wrong_is_not_placed(
    locality: LocalityMatcher, comune: str, provincia: str, meant: set[str]
) -> None:
    match = locality.geocode(Place(comune, provincia))
    assert match is not None
    assert match.status is MatchStatus.AMBIGUOUS
    assert {c.name for c in match.candidates} == meant


@pytest.mark.parametrize(
    ("comune", "provincia", "placed", "others"),
    [
        ("Reno Galliera", "BO", "Galliera", set()),
        ("Marina di Pisa", "PI", "Pisa", set()),
        ("Frazione di Montecchio", "", "Montecchio", {"Montecchio Emilia", "Montecchio Maggiore",
                                                      "Montecchio Precalcino"}),
        ("Frazione San Leo Pellaro", "", "San Leo", set()),
        ("Loc. Fonti San Lorenzo", "", "San Lorenzo", set()),
        ("Frazione Torrazzo", "", "Torrazzo", set()),
        ("Ospedaletto - Palugana", "", "Ospedaletto", {"Ospedaletto Euganeo", "Ospedaletto Lodigiano",
                                                       "Ospedaletto d'Alpinolo"}),
    ],
)
def test_a_dropped_locality_goes_to_a_person(
    locality: LocalityMatcher, comune: str, provincia: str, placed: str, others: set[str]
) -> None:
    # issue 25: each was published as certain ("normalized") in another Comune than the one meant
    match = locality.geocode(Place(comune, provincia))
    assert match is not None
    assert (match.status, match.name) == (MatchStatus.TO_CHECK, placed)
    assert match.status.for_a_person
    assert {c.name for c in match.candidates} == others


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
