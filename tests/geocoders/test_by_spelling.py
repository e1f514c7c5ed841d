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
    ],
)
def test_resolves_with_a_hint(spelling: SpellingMatcher, place: Place, name: str, hint: str) -> None:
    match = spelling.geocode(place)
    assert match is not None
    assert (match.status, match.name, match.method) == (MatchStatus.NORMALIZED, name, "spelling")
    assert hint in match.hint
    assert "verificare" not in match.hint  # a sure reading asks nobody to check


@pytest.mark.parametrize(
    ("place", "name", "hint"),
    [
        (Place("Sesto", "MI"), "Sesto San Giovanni", "'Sesto' letto come nome abbreviato: verificare."),
        (Place("Quarto", "VE"), "Quarto d'Altino", "'Quarto' letto come nome abbreviato: verificare."),
        (Place("Castelfranco", "TV"), "Castelfranco Veneto", "letto come nome abbreviato: verificare."),
        # a registry's cut at 30 characters: completed, so a person confirms it
        (Place("CASTROCARO TERME E TERRA DEL S"), "Castrocaro Terme e Terra del Sole", "troncato: verificare."),
    ],
)
def test_a_completed_name_goes_to_a_person(spelling: SpellingMatcher, place: Place, name: str, hint: str) -> None:
    # Issue 25: "verificare" in a hint must reach "Da correggere": the status says so.
    match = spelling.geocode(place)
    assert match is not None
    assert (match.status, match.name, match.method) == (MatchStatus.TO_CHECK, name, "spelling")
    assert match.status.resolved and match.status.for_a_person
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
