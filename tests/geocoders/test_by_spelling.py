"""SpellingMatcher: repaired and completed spellings, with an Italian hint; abstains when two fit."""

from __future__ import annotations

import pytest

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import SpellingMatcher
from mapgen.model import MatchStatus, Place


@pytest.fixture(scope="module")
def spelling(gazetteer: Gazetteer) -> SpellingMatcher:
    return SpellingMatcher(gazetteer)


@pytest.mark.parametrize(
    ("place", "name", "hint"),
    [
        (Place("CantÃ¹"), "Cantù", "Testo 'CantÃ¹' riparato in 'Cantù' (codifica errata)."),
        (Place("Forl?"), "Forlì", "'Forl?': lettere perse ('?') completate."),
        (Place("APPIANO .EPPAN."), "Appiano sulla strada del vino", "letto come nome di registro"),
        (Place("Sesto", "MI"), "Sesto San Giovanni", "'Sesto' letto come nome abbreviato: verificare."),
    ],
)
def test_resolves_with_a_hint(spelling: SpellingMatcher, place: Place, name: str, hint: str) -> None:
    match = spelling.geocode(place)
    assert match is not None
    assert (match.status, match.name, match.method) == (MatchStatus.NORMALIZED, name, "spelling")
    assert hint in match.hint


def test_two_comuni_that_fit_are_both_candidates(spelling: SpellingMatcher) -> None:
    match = spelling.geocode(Place("Melicucc?", "RC"))  # Melicuccà or Melicucco
    assert match is not None
    assert match.status is MatchStatus.AMBIGUOUS
    assert {c.name for c in match.candidates} == {"Melicuccà", "Melicucco"}


def test_short_forms_can_be_switched_off(gazetteer: Gazetteer) -> None:
    assert SpellingMatcher(gazetteer, short_forms=False).geocode(Place("Sesto", "MI")) is None


def test_a_short_form_needs_a_province(spelling: SpellingMatcher) -> None:
    assert spelling.geocode(Place("Desenzano")) is None
