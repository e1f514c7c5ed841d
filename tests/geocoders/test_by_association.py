"""Association names: strict matching within the typed area, lead Comuni, never a silent member."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from mapgen.gazetteer import load_gazetteer
from mapgen.geocoders import Geocoder
from mapgen.geocoders.by_association import AssociationMatcher, distinctive_words
from mapgen.model import Match, MatchStatus, Place

NAMES = Path(__file__).parents[1] / "data" / "associations" / "names.csv"
LEADS = Path(__file__).parents[1] / "data" / "associations" / "leads.csv"


def _labelled() -> list[dict[str, str]]:
    with NAMES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder(load_gazetteer())


def _outcome(match: Match, row: dict[str, str]) -> str:
    """right / assoc / person / wrong for one labelled name."""
    if match.status.resolved:
        placed_right = match.istat_code == row["comune"]
        return "right" if placed_right and match.association == row["association"] else "wrong"
    if not match.association:
        return "person"
    return "assoc" if match.association == row["association"] else "wrong"


def test_labelled_names(geocoder: Geocoder) -> None:
    rows = _labelled()
    got = {}
    for row in rows:
        match = geocoder.geocode(Place(row["typed"], row["provincia"], row["regione"]), online=False)
        got[row["typed"], row["provincia"]] = (_outcome(match, row), match)
    wrong = {k: (m.status.value, m.name, m.association) for k, (o, m) in got.items() if o == "wrong"}
    assert wrong == {}
    differ = {k: (o, r["expect"]) for r in rows for k in [(r["typed"], r["provincia"])]
              for o, _m in [got[k]] if o != r["expect"]}
    assert differ == {}
    counts = Counter(o for o, _m in got.values())
    assert counts == Counter(r["expect"] for r in rows)
    # Every association the register holds and the set names is recognised or left to a person.
    named = [r for r in rows if r["association"]]
    assert all(got[r["typed"], r["provincia"]][0] in ("right", "assoc", "person") for r in named)


def test_labelled_associations_named_by_their_lead(geocoder: Geocoder) -> None:
    """A lead Comune's ``denominazione_ente``: the right Unione or none, never another one."""
    with LEADS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    got = {}
    for row in rows:
        placed = geocoder.geocode(Place(row["comune"], row["provincia"]), online=False)
        assert placed.status.resolved, row["comune"]
        associated = geocoder.associate(placed, row["ente"])
        # The practice stays where the respondent put it, whatever the association.
        assert associated.istat_code == placed.istat_code
        got[row["comune"], row["ente"]] = associated.association
    assert got == {(r["comune"], r["ente"]): r["association"] for r in rows}
    assert sum(bool(r["association"]) for r in rows) == 29  # the rest name no registered Unione of theirs


def test_an_associated_practice_gets_the_register_members(geocoder: Geocoder) -> None:
    lugo = geocoder.geocode(Place("Lugo", "RA"), online=False)
    match = geocoder.associate(lugo, "Unione dei Comuni della Bassa Romagna")
    assert match.association == "UC2080666010"
    names = {geocoder.gazetteer.comuni[c].name for c in match.members}
    assert {"Lugo", "Bagnacavallo", "Massa Lombarda", "Cotignola"} <= names and len(names) == 9
    assert "capofila" in match.hint


def test_a_registered_unione_without_the_lead_is_said_not_attached(geocoder: Geocoder) -> None:
    carpi = geocoder.geocode(Place("Carpi", "MO"), online=False)
    match = geocoder.associate(carpi, "Unione Terre di Castelli")
    assert (match.association, match.members, match.istat_code) == ("", (), carpi.istat_code)
    assert "Carpi (MO) non è tra i Comuni di Terre di Castelli" in match.hint


def test_no_association_for_an_unplaced_row_or_an_empty_name(geocoder: Geocoder) -> None:
    castro = geocoder.geocode(Place("Castro"), online=False)  # two Comuni: not placed
    assert geocoder.associate(castro, "Unione Costa Orientale") is castro
    lugo = geocoder.geocode(Place("Lugo", "RA"), online=False)
    assert geocoder.associate(lugo, "  ") is lugo


def test_the_association_alone_goes_to_a_person_with_the_members(geocoder: Geocoder) -> None:
    match = geocoder.geocode(Place("Reno Galliera", "BO"), online=False)
    # Before this matcher, the locality rule placed it at Galliera, one of eight members.
    assert match.status is MatchStatus.AMBIGUOUS
    assert match.istat_code is None
    assert match.association == "UC2080136040"
    assert len(match.members) == 8 and "037028" in match.members
    assert {c.istat_code for c in match.candidates} == set(match.members)
    assert "indicare il Comune capofila" in match.hint


def test_the_lead_named_with_its_association_is_placed_there(geocoder: Geocoder) -> None:
    match = geocoder.geocode(Place("Lugo (capofila Unione Bassa Romagna)", "RA"), online=False)
    assert (match.status, match.name, match.association) == (
        MatchStatus.NORMALIZED, "Lugo", "UC2080666010")
    assert len(match.members) == 9
    assert match.method == "association"


def test_a_lead_that_is_not_a_member_goes_to_a_person(geocoder: Geocoder) -> None:
    match = geocoder.geocode(Place("Modena - Unione Terre d'Argine", "MO"), online=False)
    assert match.status is MatchStatus.AMBIGUOUS
    assert "Modena (MO) non è tra i Comuni" in match.hint
    assert match.candidates[0].name == "Modena"


def test_only_in_the_typed_area() -> None:
    matcher = AssociationMatcher(load_gazetteer())
    assert matcher.geocode(Place("Unione Terre di Castelli", "MO")) is not None
    assert matcher.geocode(Place("Unione Terre di Castelli", "BO")) is None
    assert matcher.geocode(Place("Unione Terre di Castelli", regione="Toscana")) is None


def test_generic_words_only_never_match() -> None:
    assert distinctive_words("Unione dei Comuni montani") == frozenset()
    assert distinctive_words("U.C. Com. Mont. della Bassa Romagna") == {"bassa", "romagna"}
    assert AssociationMatcher(load_gazetteer()).geocode(Place("Unione Montana", "CN")) is None


def test_no_loose_words() -> None:
    matcher = AssociationMatcher(load_gazetteer())
    # The examples of issue 26 where token-set fuzzy matching went wrong.
    assert matcher.geocode(Place("Consorzio Monviso Solidale", "CN")) is None
    assert matcher.geocode(Place("Garda", "VR")) is None
