"""A person teaches an association the register lacks (an Ambito): its name, its lead, its members (issue 26)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fixtures.factories import comune, initiative, match_for
from mapgen.build import example_request, run_pipeline
from mapgen.corrections import Corrections, read_corrections
from mapgen.corrections.apply import apply_corrections
from mapgen.errors import CorrectionsError
from mapgen.gazetteer import Gazetteer
from mapgen.model import Initiative, Match, MatchStatus, Place
from tests.corrections.files import write_corrections

AMBITO = "Ambito Sociale n. 4 Cittadella"
# Cittadella (PD) 028032 and three neighbours, written as da_correggere.csv writes candidates,
# by name and by code: every form a person may leave in the candidati column.
TEACH = {"comune_indicato": AMBITO, "provincia_indicata": "PD", "codice_istat": "Cittadella (PD)",
         "azione": "associazione", "candidati": "028038 Fontaniva (PD); Galliera Veneta (PD), 028091"}


def _read(tmp_path: Path, gazetteer: Gazetteer, *lines: dict[str, str]) -> Corrections:
    return read_corrections(write_corrections(tmp_path / "correzioni.csv", lines), gazetteer=gazetteer)


def test_the_line_is_read_with_its_lead_and_members(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    corrections = _read(tmp_path, gazetteer_, TEACH)
    assert not corrections.notices
    (d,) = corrections.decisions
    assert d.comune is not None and d.comune.name == "Cittadella"
    assert [c.name for c in d.members] == ["Cittadella", "Fontaniva", "Galliera Veneta", "Tombolo"]


def test_a_member_that_is_not_a_comune_is_one_clear_line(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    corrections = _read(tmp_path, gazetteer_, {**TEACH, "candidati": "Fontaniva (PD); Cittadela"})
    (notice,) = corrections.notices
    assert (notice.row, notice.column, corrections.decisions) == (2, "candidati", ())
    assert "Cittadela" in str(notice.message)


def test_the_same_name_taught_with_other_members_is_a_contradiction(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    with pytest.raises(CorrectionsError):
        _read(tmp_path, gazetteer_, TEACH, {**TEACH, "candidati": "Fontaniva (PD)"})


def _apply(tmp_path: Path, gazetteer_: Gazetteer, pairs: list[tuple[Initiative, Match]]) -> list[Match]:
    review = apply_corrections(_read(tmp_path, gazetteer_, TEACH), pairs, [])
    assert [a.line for a in review.applied] == [2]
    (taught,) = review.taught.values()
    assert (taught.name, taught.kind, taught.sigla) == (AMBITO, "insegnata", "PD")
    return [m for _r, m in review.pairs]


def test_named_as_the_place_the_practice_goes_to_the_lead_with_the_members(
    tmp_path: Path, gazetteer_: Gazetteer
) -> None:
    record = initiative("2020-R7-G1", place=Place(AMBITO, "PD"), denominazione_ente=AMBITO)
    unresolved = Match(status=MatchStatus.NOT_A_COMUNE, hint="non è un Comune")
    (match,) = _apply(tmp_path, gazetteer_, [(record, unresolved)])
    assert (match.status, match.istat_code) == (MatchStatus.CORRECTED, "028032")
    assert set(match.members) == {"028032", "028038", "028039", "028091"}
    assert match.association.startswith("CORR-")


def test_named_by_a_member_as_its_association_the_practice_stays_and_gets_the_members(
    tmp_path: Path, gazetteer_: Gazetteer
) -> None:
    fontaniva, padova = comune("028038"), comune("028060")
    member = initiative("2020-R8-G1", place=Place("Fontaniva", "PD"), denominazione_ente=AMBITO.upper())
    outsider = initiative("2020-R9-G1", place=Place("Padova", "PD"), denominazione_ente=AMBITO)
    got = _apply(tmp_path, gazetteer_, [(member, match_for(fontaniva)), (outsider, match_for(padova))])
    assert (got[0].istat_code, got[0].status, len(got[0].members)) == ("028038", MatchStatus.EXACT, 4)
    assert (got[1].association, got[1].members) == ("", ())  # Padova is not among the members taught


def test_a_taught_ambito_reaches_the_map_with_its_territory(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    """On the example: response 112's Ambito (members typed), taught once, becomes an association."""
    name = "Ambito territoriale sociale di Gifflenga"
    path = write_corrections(tmp_path / "correzioni.csv", [{
        "comune_indicato": name, "codice_istat": "Gifflenga (BI)", "azione": "associazione",
        "candidati": "Cerrione (BI); Zimone (BI); Salussola (BI)"}])
    result = run_pipeline(replace(example_request(), corrections=path), gazetteer=gazetteer_)
    (practice,) = [i for i in result.initiatives if i.record.record_id.startswith("2020-R112-")]
    assert practice.association is not None and practice.association.name == name
    assert {m.name for m in practice.members} == {"Gifflenga", "Cerrione", "Zimone", "Salussola"}
    from mapgen.writers._umap_territories import territories_layer

    layer = territories_layer(result, gazetteer=gazetteer_)
    assert layer is not None and name in [f["properties"]["name"] for f in layer["features"]]
