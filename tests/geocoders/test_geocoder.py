"""Geocoder: the chain of matchers, the not-a-Comune screen, whole tables, invariants."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapgen.errors import InputError, OutputError
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.geocoders import (
    RESULT_COLUMNS,
    FuzzyMatcher,
    Geocoder,
    NameMatcher,
    geocode_file,
    geocode_table,
)
from mapgen.model import MatchStatus, Place
from mapgen.readers.table import read_table
from mapgen.text import strip_accents

ACTIVE = sorted(load_gazetteer().active(), key=lambda c: c.istat_code)


def test_every_official_name_with_its_province_resolves_to_its_own_code(
    shipped_geocoder: Geocoder,
) -> None:
    wrong = {}
    for comune in ACTIVE:
        match = shipped_geocoder.geocode(Place(comune.name, comune.sigla))
        if match.istat_code != comune.istat_code or match.status is not MatchStatus.EXACT:
            wrong[comune.label] = (match.status, match.istat_code)
    assert wrong == {}


@settings(max_examples=200, deadline=None)
@given(
    comune=st.sampled_from(ACTIVE),
    case=st.sampled_from([str.upper, str.lower, str.title, strip_accents, lambda s: f" {s}. "]),
    hint=st.sampled_from(["sigla", "province", "region", "in the name"]),
)
def test_official_names_resolve_however_typed(comune, case, hint, shipped_geocoder: Geocoder) -> None:  # type: ignore[no-untyped-def]
    place = {
        "sigla": Place(case(comune.name), comune.sigla.lower()),
        "province": Place(case(comune.name), comune.province.split("/")[0]),
        "region": Place(case(comune.name), regione=comune.region),
        "in the name": Place(f"{case(comune.name)} ({comune.sigla})"),
    }[hint]
    match = shipped_geocoder.geocode(place)
    if match.status is MatchStatus.AMBIGUOUS:  # two homonyms in one region
        assert hint == "region"
        assert comune.istat_code in {c.istat_code for c in match.candidates}
    else:
        assert match.istat_code == comune.istat_code, (place, match)


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("", "Cella vuota: indicare il Comune."),
        ("   ", "Cella vuota: indicare il Comune."),
        ("N/A", "'N/A' non è il nome di un Comune: indicare il Comune."),
        ("-", "'-' non è il nome di un Comune: indicare il Comune."),
        ("73030", "'73030' sembra un CAP, non un Comune: indicare il nome del Comune."),
        ("LE", "'LE' sembra la sigla di una provincia, non un Comune: indicare il Comune."),
        # Unioni the register does not hold (those it holds: test below).
        ("Unione dei Comuni della Valle Immaginaria", "sembra un'Unione di Comuni"),
        ("Unione Montana Valle Immaginaria", "sembra un'Unione di Comuni"),
        ("Ambito territoriale di Lecce", "sembra un Ambito territoriale"),
        ("Ambito Sociale n. 3", "sembra un Ambito territoriale"),
        ("Distretto socio sanitario 12", "sembra un Ambito/Distretto"),
        ("Comunità Montana del Gran Nulla", "sembra una Comunità montana"),
        ("Provincia di Lecce", "è il nome di una provincia"),
        ("Città metropolitana di Roma", "è il nome di una provincia"),
        ("Città metropolitana di Roma Capitale", "è il nome di una provincia"),
        ("Città metropolitana di Atlantide", "sembra una Città metropolitana"),
        ("Monza e Brianza", "è il nome di una provincia"),
        ("Lombardia", "è il nome di una regione"),
        ("Regione Emilia-Romagna", "è il nome di una regione"),
    ],
)
def test_not_a_comune(shipped_geocoder: Geocoder, typed: str, hint: str) -> None:
    match = shipped_geocoder.geocode(Place(typed))
    assert match.status is MatchStatus.NOT_A_COMUNE
    assert match.istat_code is None
    assert hint in match.hint


@pytest.mark.parametrize(
    ("typed", "association"),
    [
        ("Unione dei Comuni della Grecia Salentina", "UC4160416050"),
        ("Unione Montana Valle Susa", "UC1010816180"),
        # The Unione that took over the Comunità montana in 2014, with the same words.
        ("Comunità Montana del Frignano", "UC2080506070"),
    ],
)
def test_registered_unioni_go_to_a_person_with_their_members(
    shipped_geocoder: Geocoder, typed: str, association: str
) -> None:
    # Before the register these were "not a Comune" with no members (issue 26).
    match = shipped_geocoder.geocode(Place(typed))
    assert match.status is MatchStatus.AMBIGUOUS
    assert match.istat_code is None
    assert match.association == association
    assert "è un'Unione di Comuni" in match.hint
    assert len(match.candidates) == len(match.members) > 1


@pytest.mark.parametrize("typed", ["Lecce", "Aosta", "Bolzano", "None", "Castro (provincia di Lecce)"])
def test_comuni_named_like_areas_or_placeholders_are_comuni(shipped_geocoder: Geocoder, typed: str) -> None:
    assert shipped_geocoder.geocode(Place(typed)).status.resolved


def test_a_cell_listing_several_comuni_is_ambiguous(shipped_geocoder: Geocoder) -> None:
    match = shipped_geocoder.geocode(Place("Tricase, Andrano e Castro", "LE"))
    assert match.status is MatchStatus.AMBIGUOUS
    assert sorted(c.name for c in match.candidates) == ["Andrano", "Castro", "Tricase"]
    assert match.hint.startswith("La cella nomina più Comuni")


def test_a_name_elsewhere_is_not_called_a_province(shipped_geocoder: Geocoder) -> None:
    # "Lecce" is also a province, but typed with RM it is a Comune in the wrong place.
    match = shipped_geocoder.geocode(Place("Lecce", "RM"))
    assert match.status is MatchStatus.UNRESOLVED
    assert [c.istat_code for c in match.candidates] == ["075035"]


def test_nothing_found_is_unresolved(shipped_geocoder: Geocoder) -> None:
    match = shipped_geocoder.geocode(Place("Qwxz"))
    assert match.status is MatchStatus.UNRESOLVED
    assert match.hint


def test_strings_are_places(shipped_geocoder: Geocoder) -> None:
    assert shipped_geocoder.geocode("Tricase").istat_code == "075088"


def test_matchers_by_name_or_instance(gazetteer: Gazetteer) -> None:
    names_only = Geocoder(gazetteer, matchers=["name"])
    assert names_only.geocode(Place("Tricsae", "LE")).status is MatchStatus.UNRESOLVED
    strict = Geocoder(gazetteer, matchers=[FuzzyMatcher(gazetteer, chars_per_edit=4), NameMatcher(gazetteer)])
    assert strict.geocode(Place("Tricsae", "LE")).status is MatchStatus.FUZZY


def test_geocode_many_resolves_each_distinct_place_once(shipped_geocoder: Geocoder) -> None:
    places = [Place("Castro", "LE"), Place("Castro"), Place("Castro", "LE")]
    found = shipped_geocoder.geocode_many(places)
    assert [m.status for m in found] == [
        MatchStatus.EXACT,
        MatchStatus.AMBIGUOUS,
        MatchStatus.EXACT,
    ]
    assert found[0] is found[2]


# --- tables -------------------------------------------------------------------------------


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_table_keeps_every_row_and_column(tmp_path: Path, shipped_geocoder: Geocoder) -> None:
    source = write_csv(tmp_path / "in.csv", "Comune;Prov;Note\nCastro;LE;a\nCastro;;b\nN/A;;\nTricase;;\n")
    result = geocode_table(read_table(source), comune_col="Comune", provincia_col="Prov", geocoder=shipped_geocoder)
    assert result.columns == ["Comune", "Prov", "Note"]
    assert result.rows == [
        ["Castro", "LE", "a"],
        ["Castro", "", "b"],
        ["N/A", "", ""],
        ["Tricase", "", ""],
    ]
    assert result.detected == "CSV, UTF-8, separator ';', 4 rows"
    assert [m.status.value for m in result.matches] == [
        "exact",
        "ambiguous",
        "not_a_comune",
        "exact",
    ]
    assert result.counts() == {
        MatchStatus.EXACT: 2,
        MatchStatus.AMBIGUOUS: 1,
        MatchStatus.NOT_A_COMUNE: 1,
    }


def test_missing_columns_are_reported_together(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "in.csv", "Comune;Provincia\nCastro;LE\n"))
    with pytest.raises(InputError) as error:
        geocode_table(table, comune_col="comune ", provincia_col="Prov", regione_col="Regione")
    assert str(error.value) == (
        "in.csv has no column 'Prov' (--provincia-col). Columns present: 'Comune', 'Provincia'. "
        "Closest: 'Provincia'; use --provincia-col 'Provincia'. "
        "in.csv has no column 'Regione' (--regione-col). Columns present: 'Comune', 'Provincia'."
    )


def test_geocode_file_writes_utf8_csv(tmp_path: Path, shipped_geocoder: Geocoder, gazetteer: Gazetteer) -> None:
    source = write_csv(tmp_path / "in.csv", "Comune,x\nForlì,1\nCastro,2\n")
    out = tmp_path / "sub" / "out.csv"
    geocode_file(source, out, comune_col="Comune", geocoder=shipped_geocoder)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    forli = gazetteer.comuni["040012"]
    assert lines[0] == "Comune,x," + ",".join(RESULT_COLUMNS)
    assert lines[1] == (f"Forlì,1,040012,Forlì,FC,Emilia-Romagna,{forli.lat:.6f},{forli.lon:.6f},exact,100.0,,")
    assert lines[2].startswith("Castro,2,,,,,,,ambiguous,100.0,Castro (BG) 016065; Castro (LE) 075096,")


def test_geocode_file_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", "Comune\nCastro\n")
    with pytest.raises(OutputError, match="is the input file"):
        geocode_file(source, source, comune_col="Comune")


def test_reader_warnings_are_passed_on(tmp_path: Path, shipped_geocoder: Geocoder) -> None:
    source = write_csv(tmp_path / "in.csv", "Comune,Note\nCastro,a,extra\nTricase\n")
    result = geocode_table(read_table(source), comune_col="Comune", geocoder=shipped_geocoder)
    assert result.rows == [["Castro", "a"], ["Tricase", ""]]
    (warning,) = result.warnings
    assert "the row has 3 cells but the header has 2" in warning


def test_result_columns_of_an_earlier_run_are_replaced(tmp_path: Path, shipped_geocoder: Geocoder) -> None:
    source = write_csv(tmp_path / "in.csv", "Comune\nTricase\n")
    first = geocode_file(source, tmp_path / "one.csv", comune_col="Comune", geocoder=shipped_geocoder)
    second = geocode_file(tmp_path / "one.csv", tmp_path / "two.csv", comune_col="Comune", geocoder=shipped_geocoder)
    assert first.replaced == ()
    assert second.replaced == RESULT_COLUMNS
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
