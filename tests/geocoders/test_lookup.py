"""A person's lookup (``mapgen gazetteer lookup``): exact names first, the geocoder's reading once."""

from __future__ import annotations

import pytest

from mapgen.errors import MapgenError
from mapgen.gazetteer import Gazetteer
from mapgen.geocoders.chain import Geocoder
from mapgen.geocoders.lookup import LookupAnswer, check_provincia, lookup_comune, suggestion
from mapgen.model import Candidate, Match, MatchStatus, Place


@pytest.fixture
def geocoder_calls(monkeypatch: pytest.MonkeyPatch) -> list[Place | str]:
    """Every place the offline geocoder is asked for during the test."""
    calls: list[Place | str] = []
    original = Geocoder.geocode

    def counted(self: Geocoder, place: Place | str, *, online: bool = True) -> Match:
        calls.append(place)
        return original(self, place, online=online)

    monkeypatch.setattr(Geocoder, "geocode", counted)
    return calls


def test_an_exact_name_is_the_answer_without_asking_the_geocoder(
    gazetteer: Gazetteer, geocoder_calls: list[Place | str]
) -> None:
    answer = lookup_comune("Castro", provincia="LE", gazetteer=gazetteer)
    assert [(c.istat_code, e) for c, e in answer.found] == [("075096", None)]
    assert answer.note == ""
    assert answer.lines()[0].startswith("075096  Castro (LE)  Puglia  40.01044,18.42589  pop. ")
    assert geocoder_calls == []


def test_an_ambiguous_exact_name_lists_every_comune(gazetteer: Gazetteer) -> None:
    answer = lookup_comune("Castro", gazetteer=gazetteer)
    assert [c.istat_code for c, _e in answer.found] == ["016065", "075096"]


def test_an_other_language_name_says_which_entry_led_there(gazetteer: Gazetteer) -> None:
    (line,) = lookup_comune("Bozen", gazetteer=gazetteer).lines()
    assert line.startswith("021008  Bolzano (BZ)  ")
    assert line.endswith("  (other language name Bozen (BZ))")


def test_a_retired_comune_says_where_it_went(gazetteer: Gazetteer) -> None:
    lines = lookup_comune("Ronago", gazetteer=gazetteer).lines()
    assert lines[0].endswith("(retired 2023-12-31, now 013256)")


def test_a_common_spelling_is_the_geocoders_reading_with_a_note_asked_once(
    gazetteer: Gazetteer, geocoder_calls: list[Place | str]
) -> None:
    answer = lookup_comune("Reggio Calabria", gazetteer=gazetteer)
    assert [c.istat_code for c, _e in answer.found] == ["080063"]
    assert answer.note == ("Note: no Comune is officially called 'Reggio Calabria'; the geocoder reads it as "
                           "Reggio di Calabria (RC) [normalized], as it does in a survey.")
    assert answer.lines()[-1] == answer.note
    assert geocoder_calls == [Place(comune="Reggio Calabria", provincia="")]


def test_a_name_nobody_reads_is_an_error_with_the_suggestion_asked_once(
    gazetteer: Gazetteer, geocoder_calls: list[Place | str]
) -> None:
    with pytest.raises(MapgenError, match=r"^no Comune is called 'San Giovani'\. Did you mean: ") as raised:
        lookup_comune("San Giovani", gazetteer=gazetteer)
    assert str(raised.value).endswith("?")
    assert len(geocoder_calls) == 1


def test_an_unknown_name_in_a_province_names_the_province(gazetteer: Gazetteer) -> None:
    with pytest.raises(MapgenError, match=r"^no Comune is called 'Atlantide' in LE\.$"):
        lookup_comune("Atlantide", provincia="LE", gazetteer=gazetteer)


def test_an_unknown_province_is_refused_before_any_lookup(
    gazetteer: Gazetteer, geocoder_calls: list[Place | str]
) -> None:
    with pytest.raises(MapgenError, match=r"^no province has the code 'XX'\. Use the two-letter sigla"):
        lookup_comune("Castro", provincia="XX", gazetteer=gazetteer)
    assert geocoder_calls == []


@pytest.mark.parametrize("provincia", [None, "LE", "le", " Le "])
def test_a_known_province_in_any_case_passes(gazetteer: Gazetteer, provincia: str | None) -> None:
    check_provincia(gazetteer, provincia)


def test_the_suggestion_follows_the_geocoders_reading() -> None:
    resolved = Match(MatchStatus.FUZZY, istat_code="075096", name="Castro", sigla="LE")
    ambiguous = Match(MatchStatus.AMBIGUOUS, candidates=(Candidate("016065", "Castro", "BG", 90),
                                                         Candidate("075096", "Castro", "LE", 90)))
    assert suggestion(resolved) == " The geocoder reads it as Castro (LE) [fuzzy]: try that name."
    assert suggestion(ambiguous) == " Did you mean: Castro (BG), Castro (LE)?"
    assert suggestion(Match(MatchStatus.UNRESOLVED)) == ""


def test_an_answer_without_note_has_only_comune_lines() -> None:
    assert LookupAnswer(()).lines() == []


def test_names_that_start_with_the_typed_words_come_first(gazetteer: Gazetteer) -> None:
    """Six Comuni are called "Monteleone ..."; the geocoder's spelling neighbours come after them."""
    with pytest.raises(MapgenError) as raised:
        lookup_comune("Monteleone", gazetteer=gazetteer)
    assert str(raised.value) == (
        "no Comune is called 'Monteleone'. Did you mean: Monteleone d'Orvieto (TR), Monteleone di Fermo (FM), "
        "Monteleone di Puglia (FG), Monteleone di Spoleto (PG), Monteleone Rocca Doria (SS), "
        "Monteleone Sabino (RI), Montelupone (MC), Montepaone (CZ)?"
    )


def test_a_spelling_guess_does_not_hide_the_comuni_that_start_with_the_name(gazetteer: Gazetteer) -> None:
    """"Reggio" is Greggio by spelling, but two Comuni are called "Reggio ...": the person chooses."""
    with pytest.raises(MapgenError) as raised:
        lookup_comune("reggio", gazetteer=gazetteer)
    assert str(raised.value) == ("no Comune is called 'reggio'. Did you mean: Reggio di Calabria (RC), "
                                 "Reggio nell'Emilia (RE), Greggio (VC)?")


def test_a_long_list_says_how_many_more(gazetteer: Gazetteer) -> None:
    with pytest.raises(MapgenError, match=r"Did you mean: Monte Argentario \(GR\), .* and 24 more\?$"):
        lookup_comune("Monte", gazetteer=gazetteer)


def test_in_a_province_the_one_comune_that_starts_with_the_name_is_the_answer(gazetteer: Gazetteer) -> None:
    answer = lookup_comune("Monteleone", provincia="FG", gazetteer=gazetteer)
    assert [c.label for c, _entry in answer.found] == ["Monteleone di Puglia (FG)"]
