"""FuzzyMatcher: typos accepted only when unique and clearly better; otherwise abstain."""

from __future__ import annotations

import pytest

from mapgen.errors import GeocoderError
from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import FuzzyMatcher
from mapgen.model import MatchStatus, Place


@pytest.fixture(scope="module")
def fuzzy(gazetteer: Gazetteer) -> FuzzyMatcher:
    return FuzzyMatcher(gazetteer)


@pytest.mark.parametrize(
    ("place", "code"),
    [
        (Place("Tricsae", "LE"), "075088"),  # transposed letters
        (Place("Trcase", "LE"), "075088"),  # missing letter
        (Place("Tricasse", "LE"), "075088"),  # extra letter
        (Place("Castor", "LE"), "075096"),  # a homonym, decided by the province
        (Place("Sjn Giovanni Rotondo", "FG"), "071046"),  # typo inside "San"
        (Place("Castor (LE)"), "075096"),
        (Place("Galatinna"), "075029"),  # no province: unique in all Italy
        (Place("Rocaraso", regione="Abruzzo"), "066084"),
    ],
)
def test_typos_are_corrected(fuzzy: FuzzyMatcher, place: Place, code: str) -> None:
    match = fuzzy.geocode(place)
    assert match is not None
    assert match.status is MatchStatus.FUZZY, match.hint
    assert match.istat_code == code
    assert 50.0 < match.score < 100.0
    assert match.hint.startswith("Nome corretto da ")


def test_equally_close_comuni_are_not_picked(fuzzy: FuzzyMatcher) -> None:
    # "Castor" is one edit from Castro (BG), Castro (LE) and Casto (BS).
    match = fuzzy.geocode(Place("Castor"))
    assert match is not None
    assert match.status is MatchStatus.UNRESOLVED
    assert match.istat_code is None
    assert {c.istat_code for c in match.candidates} >= {"016065", "075096"}


def test_misspelt_homonym_is_ambiguous(fuzzy: FuzzyMatcher) -> None:
    match = fuzzy.geocode(Place("Samonne"))
    assert match is not None
    assert match.status is MatchStatus.AMBIGUOUS
    assert {c.istat_code for c in match.candidates} >= {"001235", "022165"}


def test_search_is_restricted_to_the_province(fuzzy: FuzzyMatcher) -> None:
    # One edit from Tricase (LE), but the province says Bergamo.
    match = fuzzy.geocode(Place("Tricasse", "BG"))
    assert match is not None and match.status is MatchStatus.UNRESOLVED


def test_short_names_need_more_than_one_edit_of_evidence(fuzzy: FuzzyMatcher) -> None:
    match = fuzzy.geocode(Place("Bta", "CN"))  # Bra? or something else?
    assert match is None or not match.status.resolved


def test_an_exact_name_elsewhere_is_not_corrected_into_the_province(fuzzy: FuzzyMatcher) -> None:
    # "Castro" exists (BG, LE): with province BS a wrong province is likelier than a typo.
    assert fuzzy.geocode(Place("Castro", "BS")) is None


def test_an_exact_name_in_the_province_is_distance_zero(fuzzy: FuzzyMatcher) -> None:
    match = fuzzy.geocode(Place("Tricase", "LE"))
    assert match is not None and match.istat_code == "075088"


def test_candidates_for_staff_when_nothing_is_close(fuzzy: FuzzyMatcher) -> None:
    match = fuzzy.geocode(Place("Tricasino", "LE"))
    assert match is not None and match.status is MatchStatus.UNRESOLVED
    assert 1 <= len(match.candidates) <= 3
    assert match.candidates[0].istat_code == "075088"


@pytest.mark.parametrize(
    "options",
    [{"chars_per_edit": 0}, {"nationwide_chars_per_edit": 0}, {"margin": 0}, {"max_edits": -1}],
)
def test_options_out_of_range(gazetteer: Gazetteer, options: dict[str, int]) -> None:
    with pytest.raises(GeocoderError, match="fuzzy options out of range"):
        FuzzyMatcher(gazetteer, **options)


def test_stricter_options_abstain_more(gazetteer: Gazetteer) -> None:
    strict = FuzzyMatcher(gazetteer, chars_per_edit=20, nationwide_chars_per_edit=20)
    match = strict.geocode(Place("Tricsae", "LE"))
    assert match is not None and match.status is MatchStatus.UNRESOLVED


def test_one_wrong_letter_without_a_province_only_in_a_long_name_far_from_the_others(gazetteer: Gazetteer) -> None:
    """Castelfranco Veneto has no other Comune within 3 edits; Ostia is 1 from Ostra (and short)."""
    alone, strict = FuzzyMatcher(gazetteer), FuzzyMatcher(gazetteer, alone_letters=99)
    typed = Place("Castelfrsnco Veneto")
    match = alone.geocode(typed)
    assert match is not None
    assert (match.status, match.name) == (MatchStatus.FUZZY, "Castelfranco Veneto")
    refused = strict.geocode(typed)
    assert refused is None or not refused.status.resolved
    ostia = alone.geocode(Place("Ostia"))
    assert ostia is None or not ostia.status.resolved
