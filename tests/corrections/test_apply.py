"""Applying a person's corrections: each action on the bundled example, aliases across editions.

One corrections file holds every action (``ACTIONS``, records chosen by reading the example's
report by hand); the ``baseline`` and ``corrected`` builds are in conftest.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mapgen.build import BuildRequest, example_request, run_pipeline
from mapgen.corrections import needs_person
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, MatchStatus, Outcome
from mapgen.writers.report import report_totals
from tests.corrections.files import ACTIONS, DATA, EXAMPLES, EXPECTED, by_id, placed, write_corrections


def test_the_baseline_is_what_the_actions_were_written_for(baseline: BuildResult) -> None:
    got = by_id(baseline)
    assert got["2020-R164-G1"].outcome is Outcome.UNRESOLVED
    # "Unione Montana Valle Susa": a registered Unione, the person picks the lead (issue 26).
    assert got["2020-R131-G1"].outcome is Outcome.AMBIGUOUS
    assert got["2020-R17-G1"].match is not None and got["2020-R17-G1"].match.status is MatchStatus.FUZZY
    assert got["2020-R9-G1"].outcome is Outcome.EXCLUDED
    assert got["2020-R10-G1"].initiative_id != got["2020-R10-G2"].initiative_id
    assert got["2020-R79-G1"].initiative_id == got["2019-iniziative-2019-WvfEA"].initiative_id
    assert {got[r].outcome for r in ("2020-R230-G1", "2020-R230-G2")} == {Outcome.UNRESOLVED}
    # Excluded for missing data (no Comune, no title) needs a person; an incomplete response does not.
    assert needs_person(got["2020-R216-G1"]) and needs_person(got["2020-R169-G1"])
    assert not needs_person(got["2020-R9-G1"])


def test_a_code_or_a_name_places_the_record(corrected: BuildResult) -> None:
    got = by_id(corrected)
    placed(got["2020-R164-G1"], "007003", 2)
    placed(got["2020-R131-G1"], "001270", 3)
    assert got["2020-R164-G1"].initiative_id.startswith("007003-")


def test_the_lead_a_person_picks_keeps_the_association_members(corrected: BuildResult) -> None:
    # Line 3 places "Unione Montana Valle Susa" at Susa: the practice gets the Unione's 22 Comuni.
    placed(by_id(corrected)["2020-R131-G1"], "001270", 3)
    item = next(i for i in corrected.initiatives if i.record.record_id == "2020-R131-G1")
    assert item.match.association == "UC1010816180"
    assert len(item.members) == 22 and "Susa" in {m.name for m in item.members}


def test_a_feature_of_a_previous_map_is_corrected_alike(corrected: BuildResult, baseline: BuildResult) -> None:
    before = by_id(baseline)["2019-iniziative-2019-pgX9A"]
    assert before.match is not None and before.match.istat_code == "001003"  # its point is in Ala di Stura
    placed(by_id(corrected)["2019-iniziative-2019-pgX9A"], "001027", 11)
    moved = next(i for i in corrected.initiatives if i.record.record_id == "2019-iniziative-2019-pgX9A")
    assert moved.comune.name == "Bollengo" and moved.match.method == "correzione"


def test_a_confirmed_fuzzy_match_is_no_longer_listed(corrected: BuildResult, baseline: BuildResult) -> None:
    placed(by_id(corrected)["2020-R17-G1"], "087008", 4)
    assert needs_person(by_id(baseline)["2020-R17-G1"])
    assert not needs_person(by_id(corrected)["2020-R17-G1"])


def test_escludi_keeps_the_record_off_the_map(corrected: BuildResult) -> None:
    got = by_id(corrected)
    assert got["2020-R131-G2"].outcome is Outcome.EXCLUDED
    assert got["2020-R131-G2"].reason == "Esclusa da una persona (correzioni.csv, riga 5). Nota: non è una pratica"
    assert not any("2020-R131-G2" in [r.record_id for r in i.records] for i in corrected.initiatives)
    assert got["2020-R216-G1"].outcome is Outcome.EXCLUDED and not needs_person(got["2020-R216-G1"])


def test_includi_puts_back_an_incomplete_response(corrected: BuildResult) -> None:
    got = by_id(corrected)["2020-R9-G1"]
    assert got.outcome is Outcome.MAPPED and got.initiative_id


def test_includi_puts_back_a_duplicate_as_its_own_practice(corrected: BuildResult, baseline: BuildResult) -> None:
    before = by_id(baseline)["2020-R42-G1"]
    assert before.outcome is Outcome.DUPLICATE
    got = by_id(corrected)
    kept = next(o.record_id for o in baseline.outcomes
                if o.initiative_id == before.initiative_id and o.outcome is Outcome.MAPPED)
    twin = got[kept]
    assert got["2020-R42-G1"].outcome is Outcome.MAPPED and twin.outcome is Outcome.MAPPED
    assert got["2020-R42-G1"].initiative_id != twin.initiative_id


def test_unisci_joins_and_separa_splits(corrected: BuildResult, baseline: BuildResult) -> None:
    got = by_id(corrected)
    assert got["2020-R10-G1"].initiative_id == got["2020-R10-G2"].initiative_id
    assert {got["2020-R10-G1"].outcome, got["2020-R10-G2"].outcome} == {Outcome.MAPPED, Outcome.DUPLICATE}
    assert got["2020-R79-G1"].initiative_id != got["2019-iniziative-2019-WvfEA"].initiative_id
    assert got["2019-iniziative-2019-WvfEA"].outcome is Outcome.MAPPED
    before = {i.id for i in baseline.initiatives}
    assert got["2020-R10-G2"].initiative_id in before or got["2020-R10-G1"].initiative_id in before


def test_an_alias_places_every_record_that_typed_it(corrected: BuildResult) -> None:
    got = by_id(corrected)
    for record in ("2020-R230-G1", "2020-R230-G2"):
        placed(got[record], "040012", 10)
    alias = [a for a in corrected.corrections if a.action == "alias"]
    assert [(a.line, a.effect) for a in alias] == [(10, "2 record con 'Forli' in Forlì (FC) (040012)")]


def test_every_line_is_in_correzioni_applicate(corrected: BuildResult) -> None:
    assert [(a.line, a.action) for a in corrected.corrections] == [
        (2, "comune"), (3, "comune"), (4, "conferma"), (5, "escludi"), (6, "escludi"), (7, "includi"),
        (8, "unisci"), (9, "separa"), (10, "alias"), (11, "comune"), (12, "includi"),
    ]
    assert [n for n in corrected.notices if n.kind == "correzione"] == []


def test_counts_still_add_up(corrected: BuildResult, baseline: BuildResult) -> None:
    assert len(corrected.outcomes) == len(baseline.outcomes)
    assert report_totals(corrected).adds_up


def test_the_alias_of_one_edition_applies_to_the_next(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    """Taught on the 2020 export, used on a 2021 export that typed the same text (new record ids)."""
    config = tmp_path / "mapping.toml"
    text = (EXAMPLES / "mapping.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("edition = 2020", "edition = 2021", 1), encoding="utf-8")
    alias = next(line for line in ACTIONS if not line.get("record"))
    path = write_corrections(tmp_path / "correzioni.csv", [alias])
    result = run_pipeline(BuildRequest(survey=EXAMPLES / "survey_2020.csv", config=config, corrections=path),
                          gazetteer=gazetteer_)
    got = by_id(result)
    assert "2020-R230-G1" not in got
    for record in ("2021-R230-G1", "2021-R230-G2"):
        placed(got[record], "040012", 2)


def test_the_build_reports_a_join_it_already_makes(gazetteer_: Gazetteer) -> None:
    request = replace(example_request(), corrections=DATA / "join_no_change.csv")
    result = run_pipeline(request, gazetteer=gazetteer_)
    assert [(n.row, n.staff_message) for n in result.notices if n.kind == "correzione"] == [
        (2, EXPECTED["join_no_change"]["message"])]
    assert result.corrections == ()
    # The inputs line counts the line as the two files do: not applied (it once said "1 applied").
    assert result.inputs[-1].render("en") == "join_no_change.csv — 1 correction, 0 applied, 1 not applied"
    assert result.inputs[-1].render("it") == "join_no_change.csv — 1 correzione, 0 applicate, 1 non applicata"


def test_an_alias_teaches_the_lead_of_an_unione_once(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    """Issue 26: "Unione dei Comuni della Bassa Romagna" -> Lugo, every record and edition, with its members."""
    alias = {"comune_indicato": "Unione dei Comuni della Bassa Romagna", "codice_istat": "039012"}
    path = write_corrections(tmp_path / "correzioni.csv", [alias])
    result = run_pipeline(replace(example_request(), corrections=path), gazetteer=gazetteer_)
    placed(by_id(result)["2020-R310-G1"], "039012", 2)
    item = next(i for i in result.initiatives if i.record.record_id == "2020-R310-G1")
    assert item.association is not None and item.association.id == "UC2080666010"
    assert len(item.members) == 9
