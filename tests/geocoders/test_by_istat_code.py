"""IstatCodeMatcher: ISTAT and cadastral codes typed in the Comune field."""

from __future__ import annotations

import pytest

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import IstatCodeMatcher
from mapgen.model import MatchStatus, Place


@pytest.fixture(scope="module")
def codes(gazetteer: Gazetteer) -> IstatCodeMatcher:
    return IstatCodeMatcher(gazetteer)


@pytest.mark.parametrize("typed", ["075096", " 075096 ", "M261", "m261"])
def test_codes_resolve_exactly(codes: IstatCodeMatcher, typed: str) -> None:
    match = codes.geocode(Place(typed))
    assert match is not None
    assert (match.status, match.istat_code, match.name, match.method) == (
        MatchStatus.EXACT,
        "075096",
        "Castro",
        "istat_code",
    )


@pytest.mark.parametrize("typed", ["Castro", "73030", "75096", "0750961", "A12", ""])
def test_other_text_is_left_to_other_matchers(codes: IstatCodeMatcher, typed: str) -> None:
    # Five digits are a postal code (CAP), not a short ISTAT code.
    assert codes.geocode(Place(typed)) is None


def test_cadastral_codes_can_be_turned_off(gazetteer: Gazetteer) -> None:
    assert IstatCodeMatcher(gazetteer, cadastral=False).geocode(Place("M261")) is None


def test_unknown_code_is_unresolved_with_a_hint(codes: IstatCodeMatcher) -> None:
    match = codes.geocode(Place("999999"))
    assert match is not None
    assert match.status is MatchStatus.UNRESOLVED
    assert match.hint == "'999999' sembra un codice ISTAT ma nessun Comune lo ha: verificare."


def test_code_outside_the_typed_province_is_not_trusted(codes: IstatCodeMatcher) -> None:
    match = codes.geocode(Place("075096", "BG"))
    assert match is not None
    assert match.status is MatchStatus.UNRESOLVED
    assert [c.istat_code for c in match.candidates] == ["075096"]
    assert "fuori da BG" in match.hint


def test_retired_code_leads_to_its_successor(alias_gazetteer: Gazetteer) -> None:
    match = IstatCodeMatcher(alias_gazetteer).geocode(Place("038020"))
    assert match is not None
    assert (match.status, match.istat_code) == (MatchStatus.ALIAS, "038029")
    assert match.hint == "Il codice '038020' era di Ro (FE), confluito in Riva del Po (FE)."


def test_retired_code_without_successor_is_not_resolved(alias_gazetteer: Gazetteer) -> None:
    match = IstatCodeMatcher(alias_gazetteer).geocode(Place("075900"))
    assert match is not None
    assert match.status is MatchStatus.UNRESOLVED
    assert [c.istat_code for c in match.candidates] == ["075900"]
