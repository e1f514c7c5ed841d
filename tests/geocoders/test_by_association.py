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
