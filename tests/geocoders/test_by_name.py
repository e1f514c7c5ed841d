"""NameMatcher: every way people write a Comune's name, homonyms, aliases, province hints."""

from __future__ import annotations

import pytest

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import NameMatcher
from mapgen.model import MatchStatus, Place


@pytest.fixture(scope="module")
def names(gazetteer: Gazetteer) -> NameMatcher:
    return NameMatcher(gazetteer)


@pytest.fixture(scope="module")
def alias_names(alias_gazetteer: Gazetteer) -> NameMatcher:
    return NameMatcher(alias_gazetteer)


def resolve(matcher: NameMatcher, comune: str, provincia: str = "", regione: str = "") -> str | None:
    match = matcher.geocode(Place(comune, provincia, regione))
    assert match is not None, comune
    assert match.status.resolved, (comune, match.status, match.hint)
    return match.istat_code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Cantù", "013041"),
        ("Cantu'", "013041"),
        ("CANTU", "013041"),
        ("  forli  ", "040012"),
        ("Forlì.", "040012"),
        ("Citta' di Castello", "054013"),  # "Città di" that is part of the name
        ("Comune di Città di Castello", "054013"),
        ("Città di Bari", "072006"),
        ("COMUNE DI MILANO", "015146"),
        ("S. Giovanni Rotondo", "071046"),
        ("S.Giovanni Rotondo", "071046"),
        ("S.ta Maria Capua Vetere", "061083"),
        ("Sant Agata di Puglia", "071052"),
        ("S. Agata di Puglia", "071052"),
        ("Santagata di Puglia", "071052"),
        ("SS. Cosma e Damiano", "059026"),
        ("Castelbello Ciardes", "021018"),
        ("Castelbello/Ciardes", "021018"),
        ("Castel San Giovanni", "033013"),
        ("Castelsangiovanni", "033013"),
        ("San Remo", "008055"),
        ("Bozen", "021008"),
        ("Bolzano - Bozen", "021008"),
        ("Bozen/Bolzano", "021008"),
        ("Kastelbell-Tschars", "021018"),
        ("Reggio Emilia", "035033"),
        ("Reggio nell'Emilia", "035033"),
        ("Reggio Calabria", "080063"),
        ("Montecchio nell'Emilia", "035027"),
        ("Jenne", "058048"),
        ("Ienne", "058048"),
        ("Voeran", "021112"),  # umlaut typed as "oe" (Vöran)
    ],
)
def test_spellings_people_type(names: NameMatcher, typed: str, code: str) -> None:
    assert resolve(names, typed) == code


def test_exact_only_for_the_official_name_as_typed(names: NameMatcher) -> None:
    exact = names.geocode(Place("cantù"))
    loose = names.geocode(Place("Cantu'"))
    assert exact is not None and exact.status is MatchStatus.EXACT and exact.score == 100.0
    assert loose is not None and loose.status is MatchStatus.NORMALIZED and loose.score < 100.0


def test_match_carries_the_gazetteer_record(names: NameMatcher, gazetteer: Gazetteer) -> None:
    match = names.geocode(Place("Castro", "LE"))
    castro = gazetteer.comuni["075096"]
    assert match is not None
    assert (match.istat_code, match.name, match.sigla, match.region) == (
        "075096",
        "Castro",
        "LE",
        "Puglia",
    )
    assert (match.lat, match.lon) == (castro.lat, castro.lon)
    assert match.method == "name"


@pytest.mark.parametrize("name", ["Castro", "Samone", "Livo", "Peglio", "San Teodoro", "castro"])
def test_homonyms_without_a_hint_are_ambiguous(names: NameMatcher, name: str) -> None:
    match = names.geocode(Place(name))
    assert match is not None
    assert match.status is MatchStatus.AMBIGUOUS
    assert match.istat_code is None
    assert len(match.candidates) == 2
    assert "indicare la provincia" in match.hint


@pytest.mark.parametrize(
    ("place", "code"),
    [
        (Place("Castro", "LE"), "075096"),
        (Place("Castro", "le"), "075096"),
        (Place("Castro", "Lecce"), "075096"),
        (Place("Castro", "Provincia di Lecce"), "075096"),
        (Place("Castro", "(BG)"), "016065"),
        (Place("Castro", regione="Puglia"), "075096"),
        (Place("Castro", regione="Lombardia"), "016065"),
        (Place("Castro (LE)"), "075096"),
        (Place("Castro (Lecce)"), "075096"),
        (Place("Castro, BG"), "016065"),
        (Place("Castro - Bergamo"), "016065"),
        (Place("Samone TN"), "022165"),
        (Place("Samone TO"), "001235"),
        (Place("Samone", "Città metropolitana di Torino"), "001235"),
        (Place("Samone", regione="Trentino-Alto Adige"), "022165"),
        (Place("San Teodoro", regione="Sardegna"), "090092"),
        (Place("San Teodoro", regione="Sicilia"), "083090"),
        (Place("Livo", "Trento"), "022106"),
        (Place("Peglio", "Pesaro-Urbino"), "041041"),
        (Place("Peglio", "Pesaro e Urbino"), "041041"),
        (Place("Roma", "Roma Capitale"), "058091"),
        # "Ne" is also an article: with "Comune di" in front it must still split off "(GE)"
        # (found by hypothesis in test_variants).
        (Place("Comune di Ne (GE)"), "010040"),
        (Place("Città di Ne GE"), "010040"),
        (Place("Comune di Castro (LE)"), "075096"),
        # ... and a prefix that is part of the name stays (also found by hypothesis).
        (Place("Città di Castello (PG)"), "054013"),
        (Place("Citta di Castello PG"), "054013"),
        # A Comune named like an article, then its province: not the province's chief town
        # (found by geocoding every Comune as "Name - Province"; both were wrong codes).
        (Place("Ne - Genova"), "010040"),
        (Place("Dello - Brescia"), "017066"),
    ],
)
def test_homonyms_decided_by_province_or_region(names: NameMatcher, place: Place, code: str) -> None:
    assert resolve(names, place.comune, place.provincia, place.regione) == code


def test_a_comune_named_like_a_region_needs_a_hint(names: NameMatcher) -> None:
    match = names.geocode(Place("Molise"))
    assert match is not None and match.status is MatchStatus.AMBIGUOUS
    assert [c.istat_code for c in match.candidates] == ["070039"]
    assert resolve(names, "Molise", "CB") == "070039"
    assert resolve(names, "Molise", regione="Molise") == "070039"


def test_province_written_into_a_name_that_ends_like_a_sigla(names: NameMatcher) -> None:
    # "Po" is Prato's sigla, but "Riva del Po" is a whole name.
    assert resolve(names, "Riva del Po") == "038029"


def test_a_province_name_is_not_split_into_comune_and_province(names: NameMatcher) -> None:
    assert names.geocode(Place("Monza e Brianza")) is None


def test_unknown_province_is_ignored_and_noted(names: NameMatcher) -> None:
    match = names.geocode(Place("Tricase", "Salento"))
    assert match is not None and match.istat_code == "075088"
    assert "Provincia 'Salento' non riconosciuta" in match.hint


def test_outdated_province_in_the_same_region_is_accepted_with_a_hint(names: NameMatcher) -> None:
    # Corato (BA) is next to Andria (BT), and still in Bari.
    match = names.geocode(Place("Corato", "BT"))
    assert match is not None and match.istat_code == "072020"
    assert match.score < 100.0
    assert "stessa regione" in match.hint


def test_former_province_from_the_gazetteer(names: NameMatcher) -> None:
    # Andria was in the province of Bari until 2009 (names.csv: "Andria, BA").
    match = names.geocode(Place("Andria", "BA"))
    assert match is not None
    assert (match.status, match.istat_code) == (MatchStatus.NORMALIZED, "110001")
    assert match.hint == "Andria (BT) ha cambiato provincia."


def test_name_only_in_another_region_is_not_trusted(names: NameMatcher) -> None:
    match = names.geocode(Place("Tricase", "Roma"))
    assert match is not None
    assert match.status is MatchStatus.UNRESOLVED
    assert [c.istat_code for c in match.candidates] == ["075088"]
    assert "non è in RM" in match.hint


def test_no_opinion_on_unknown_names(names: NameMatcher) -> None:
    assert names.geocode(Place("Xyzzy")) is None
    assert names.geocode(Place("")) is None


# --- aliases from the gazetteer's data ----------------------------------------------------


def test_merged_comune_leads_to_its_successor(alias_names: NameMatcher) -> None:
    match = alias_names.geocode(Place("Ro", "FE"))
    assert match is not None
    assert match.status is MatchStatus.ALIAS
    assert match.istat_code == "038029"
    assert match.hint == "Ro non esiste più (soppresso il 2019-02-21): è confluito in Riva del Po (FE)."


def test_retired_comune_without_successor_is_not_resolved(alias_names: NameMatcher) -> None:
    match = alias_names.geocode(Place("Borgo Perduto"))
    assert match is not None
    assert match.status is MatchStatus.UNRESOLVED
    assert [c.istat_code for c in match.candidates] == ["075900"]
    assert "soppresso" in match.hint


def test_old_name_competes_with_a_current_homonym(alias_names: NameMatcher) -> None:
    # Calliano (AT) is now Calliano Monferrato; Calliano (TN) still exists.
    match = alias_names.geocode(Place("Calliano"))
    assert match is not None and match.status is MatchStatus.AMBIGUOUS
    assert {c.istat_code for c in match.candidates} == {"005014", "022035"}
    assert resolve(alias_names, "Calliano", "AT") == "005014"
    assert resolve(alias_names, "Calliano", "TN") == "022035"


def test_variant_from_names_csv(alias_names: NameMatcher) -> None:
    match = alias_names.geocode(Place("Reggio Emilia"))
    assert match is not None and match.istat_code == "035033"


@pytest.mark.parametrize(
    ("place", "code"),
    [
        (Place("Villacidro", "VS"), "111096"),
        (Place("Carbonia", "Carbonia-Iglesias"), "111009"),
        (Place("Olbia", "OT"), "090047"),
        (Place("Olbia (Olbia-Tempio)"), "090047"),
        (Place("Samone", regione="Trentino Alto Adige"), "022165"),
        (Place("Samone", regione="Alto Adige"), "022165"),
    ],
)
def test_old_province_and_region_spellings_from_the_gazetteer(
    alias_names: NameMatcher, place: Place, code: str
) -> None:
    assert resolve(alias_names, place.comune, place.provincia, place.regione) == code


def test_an_old_name_without_a_province_goes_to_a_person(gazetteer: Gazetteer) -> None:
    # Issue 25: "Fiumicello" alone was placed as certain in Fiumicello Villa Vicentina (UD);
    # a frazione of Campodarsego (PD) carries the name too. With its province it is sure.
    names = NameMatcher(gazetteer)
    alone = names.geocode(Place("Fiumicello"))
    assert alone is not None and (alone.status, alone.name) == (MatchStatus.TO_CHECK, "Fiumicello Villa Vicentina")
    assert "verificare" in alone.hint
    with_province = names.geocode(Place("Fiumicello", "UD"))
    assert with_province is not None and with_province.status is MatchStatus.ALIAS


def test_a_comune_outside_the_typed_province_goes_to_a_person(gazetteer: Gazetteer) -> None:
    # The typed province is set aside: a reinterpretation, so a person checks it.
    match = NameMatcher(gazetteer).geocode(Place("Cantu'", "LC"))
    assert match is not None and (match.status, match.name) == (MatchStatus.TO_CHECK, "Cantù")


def test_a_merged_name_linked_by_dates_alone_goes_to_a_person(gazetteer: Gazetteer) -> None:
    names = NameMatcher(gazetteer)
    dates = names.geocode(Place("Ramponio Verna", "CO"))  # ended the day Alta Valle Intelvi began
    assert dates is not None and (dates.status, dates.name) == (MatchStatus.TO_CHECK, "Alta Valle Intelvi")
    sure = names.geocode(Place("Cavallasca", "CO"))  # ISTAT: incorporated into San Fermo della Battaglia
    assert sure is not None and (sure.status, sure.name) == (MatchStatus.ALIAS, "San Fermo della Battaglia")
