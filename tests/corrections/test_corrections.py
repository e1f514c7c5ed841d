"""A person's corrections: each action, each bad line, aliases across editions, stable rebuilds.

Most checks run on the bundled example with one corrections file that holds every action
(records chosen by reading the example's report by hand); bad files live in
tests/data/corrections/ with the expected message in EXPECTED.toml.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from mapgen import errors
from mapgen.build import BuildRequest, build, example_request, run_pipeline
from mapgen.corrections import apply_corrections, needs_person, read_corrections, settle_pairs
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, Initiative, Match, MatchStatus, Outcome, RowOutcome
from mapgen.writers.report import report_totals
from tests.corrections.files import ACTIONS, DATA, EXAMPLES, EXPECTED, by_id, read_csv, write_corrections


@pytest.fixture(scope="module")
def gazetteer_() -> Gazetteer:
    from mapgen.gazetteer import load_gazetteer

    return load_gazetteer()


@pytest.fixture(scope="module")
def baseline(gazetteer_: Gazetteer) -> BuildResult:
    return run_pipeline(example_request(), gazetteer=gazetteer_)


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory, gazetteer_: Gazetteer) -> BuildResult:
    path = write_corrections(tmp_path_factory.mktemp("c") / "correzioni.csv", ACTIONS)
    return run_pipeline(replace(example_request(), corrections=path), gazetteer=gazetteer_)


def test_the_baseline_is_what_the_actions_were_written_for(baseline: BuildResult) -> None:
    got = by_id(baseline)
    assert got["2020-R164-G1"].outcome is Outcome.UNRESOLVED
    assert got["2020-R131-G1"].outcome is Outcome.NOT_A_COMUNE
    assert got["2020-R17-G1"].match is not None and got["2020-R17-G1"].match.status is MatchStatus.FUZZY
    assert got["2020-R9-G1"].outcome is Outcome.EXCLUDED
    assert got["2020-R10-G1"].initiative_id != got["2020-R10-G2"].initiative_id
    assert got["2020-R79-G1"].initiative_id == got["2019-iniziative-2019-WvfEA"].initiative_id
    assert {got[r].outcome for r in ("2020-R230-G1", "2020-R230-G2")} == {Outcome.UNRESOLVED}
    # Excluded for missing data (no Comune, no title) needs a person; an incomplete response does not.
    assert needs_person(got["2020-R216-G1"]) and needs_person(got["2020-R169-G1"])
    assert not needs_person(got["2020-R9-G1"])


def _placed(outcome: RowOutcome, code: str, line: int) -> None:
    assert outcome.outcome is Outcome.MAPPED, outcome
    assert outcome.match is not None
    assert (outcome.match.istat_code, outcome.match.method, outcome.match.status) == (
        code, "correzione", MatchStatus.CORRECTED)
    assert (outcome.match.raw["file"], outcome.match.raw["line"]) == ("correzioni.csv", line)


def test_a_code_or_a_name_places_the_record(corrected: BuildResult) -> None:
    got = by_id(corrected)
    _placed(got["2020-R164-G1"], "007003", 2)
    _placed(got["2020-R131-G1"], "001270", 3)
    assert got["2020-R164-G1"].initiative_id.startswith("007003-")


def test_a_feature_of_a_previous_map_is_corrected_alike(corrected: BuildResult, baseline: BuildResult) -> None:
    before = by_id(baseline)["2019-iniziative-2019-pgX9A"]
    assert before.match is not None and before.match.istat_code == "001003"  # its point is in Ala di Stura
    _placed(by_id(corrected)["2019-iniziative-2019-pgX9A"], "001027", 11)
    moved = next(i for i in corrected.initiatives if i.record.record_id == "2019-iniziative-2019-pgX9A")
    assert moved.comune.name == "Bollengo" and moved.match.method == "correzione"


def test_a_confirmed_fuzzy_match_is_no_longer_listed(corrected: BuildResult, baseline: BuildResult) -> None:
    _placed(by_id(corrected)["2020-R17-G1"], "087008", 4)
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
        _placed(got[record], "040012", 10)
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
        _placed(got[record], "040012", 2)


# --- bad corrections ----------------------------------------------------------------------


def _pairs(result: BuildResult) -> tuple[list[tuple[Initiative, Match]], list[RowOutcome]]:
    """The baseline's placed records with their matches, and the other outcomes, as the pipeline has them."""
    match_of = {o.record_id: o.match for o in result.outcomes}
    pairs = [(r, m) for i in result.initiatives for r in i.records if (m := match_of[r.record_id]) is not None]
    placed = {r.record_id for r, _ in pairs}
    return pairs, [o for o in result.outcomes if o.record_id not in placed]


@pytest.mark.parametrize("case", sorted(k for k, v in EXPECTED.items() if "error" not in v))
def test_a_bad_line_is_reported_with_line_value_and_fix(case: str, baseline: BuildResult,
                                                        gazetteer_: Gazetteer) -> None:
    expected = EXPECTED[case]
    corrections = read_corrections(DATA / f"{case}.csv", gazetteer=gazetteer_)
    review = apply_corrections(corrections, *_pairs(baseline))
    settle_pairs(review, {o.record_id: o.initiative_id for o in baseline.outcomes})  # as the build does
    assert [(n.file, n.row, n.column, n.value, n.message) for n in review.notices] == [
        (f"{case}.csv", expected["line"], expected["column"], expected["value"], expected["message"])]
    assert review.notices[0].fix  # always says what to do
    assert review.applied == []


@pytest.mark.parametrize("case", sorted(k for k, v in EXPECTED.items() if "error" in v))
def test_a_contradiction_stops_the_build_before_writing(case: str, tmp_path: Path) -> None:
    expected = EXPECTED[case]
    out = tmp_path / "out"
    with pytest.raises(getattr(errors, expected["error"]), match=re.escape(expected["message"])):
        build(replace(example_request(out), corrections=DATA / f"{case}.csv", preview=False))
    assert not out.exists()


def test_the_cli_summary_lists_bad_lines(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mapgen.cli import app

    result = CliRunner().invoke(app, ["build", "--no-preview", "--out", str(tmp_path / "out"),
                                      "--corrections", str(DATA / "unknown_record.csv")])
    assert result.exit_code == 0, result.output
    assert ("Correction not applied: unknown_record.csv, riga 2, colonna 'record': '2020-R9999-G1': record "
            "sconosciuto: nessun record di questa costruzione ha questo identificativo.") in result.output


# --- the loop, end to end -----------------------------------------------------------------


def _filled_as_a_person(review: Path, target: Path) -> Path:
    """Each waiting line decided: the first candidate when there is one, else escludi with a note."""
    lines = []
    for row in read_csv(review):
        if row["candidati"]:
            row["codice_istat"] = row["candidati"].split()[0]
        else:
            row["azione"], row["nota"] = "escludi", "controllato in ufficio"
        lines.append(row)
    return write_corrections(target, lines)


def test_filled_example_leaves_nobody_waiting_and_rebuilds_byte_identical(tmp_path: Path) -> None:
    first = build(replace(example_request(tmp_path / "first"), preview=False))
    waiting = read_csv(first.out_dir / "da_correggere.csv")
    assert len(waiting) == sum(needs_person(o) for o in first.result.outcomes) > 30
    path = _filled_as_a_person(first.out_dir / "da_correggere.csv", tmp_path / "correzioni.csv")
    second = build(replace(example_request(tmp_path / "second"), preview=False, corrections=path))
    assert read_csv(second.out_dir / "da_correggere.csv") == []
    assert sum(needs_person(o) for o in second.result.outcomes) == 0
    totals = report_totals(second.result)
    assert totals.adds_up and totals.inputs == report_totals(first.result).inputs
    applied = read_csv(second.out_dir / "correzioni_applicate.csv")
    assert len(applied) == len(waiting)
    third = build(replace(example_request(tmp_path / "third"), preview=False, corrections=path))
    assert second.files == third.files
    for name in second.files:
        assert (second.out_dir / name).read_bytes() == (third.out_dir / name).read_bytes(), name


def test_the_config_names_the_corrections_file(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    """``corrections = "FILE"`` at the top of the config, relative to the config file."""
    folder = tmp_path / "config"
    folder.mkdir()
    write_corrections(folder / "correzioni.csv", [ACTIONS[0]])
    text = (EXAMPLES / "mapping.toml").read_text(encoding="utf-8")
    (folder / "mapping.toml").write_text('corrections = "correzioni.csv"\n' + text, encoding="utf-8")
    request = BuildRequest(survey=EXAMPLES / "survey_2020.csv", config=folder / "mapping.toml")
    _placed(by_id(run_pipeline(request, gazetteer=gazetteer_))["2020-R164-G1"], "007003", 2)


# --- the reader's warnings ------------------------------------------------------------------


def test_every_reader_warning_is_in_the_report(tmp_path: Path) -> None:
    summary = build(replace(example_request(tmp_path / "out"), preview=False))
    readings = [n for n in summary.result.notices if n.kind == "lettura"]
    assert len(readings) == 19  # mapgen validate: "2 errors, 17 warnings" on the same export
    rows = {r["record_id"]: r for r in read_csv(summary.out_dir / "report.csv")}
    amount = [r for r in rows.values() if r["riga"] == "5" and "'da definire'" in r["avvisi"]]
    assert amount and "G02Q06: 'da definire': 'da definire' non è un importo in euro" in amount[0]["avvisi"]
    html = (summary.out_dir / "report.html").read_text(encoding="utf-8")
    section = html.split('<section id="avvisi">')[1].split("</section>")[0]
    assert section.count('<tr class="notice-lettura"') == 19
    assert "<h2>Avvisi (19)</h2>" in section


def test_a_corrections_file_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    """The output folder is replaced at each build: the person's file must live elsewhere."""
    out = tmp_path / "output"
    first = build(replace(example_request(out), preview=False))
    inside = first.out_dir / "da_correggere.csv"
    with pytest.raises(errors.OutputError, match="is inside the output folder"):
        build(replace(example_request(out), preview=False, corrections=inside))
    assert inside.exists()  # the previous outputs are untouched


def test_the_cli_exits_with_the_contradiction_and_writes_nothing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mapgen.cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", "--no-preview", "--out", str(out),
                                      "--corrections", str(DATA / "contradiction.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the corrections file contradicts itself, nothing was built: "
                                    "contradiction.csv, line 4 and line 2: record 2020-R230-G1 gets")
    assert not out.exists()


def test_the_build_reports_a_join_it_already_makes(gazetteer_: Gazetteer) -> None:
    request = replace(example_request(), corrections=DATA / "join_no_change.csv")
    result = run_pipeline(request, gazetteer=gazetteer_)
    assert [(n.row, n.message) for n in result.notices if n.kind == "correzione"] == [
        (2, EXPECTED["join_no_change"]["message"])]
    assert result.corrections == ()


def test_a_hostile_note_stays_text_in_the_report(corrected: BuildResult, tmp_path: Path,
                                                 gazetteer_: Gazetteer) -> None:
    """A note or value typed in the corrections file reaches the page escaped (table) or as JSON data."""
    from mapgen.model import OutputOptions
    from mapgen.writers.report import write_report
    from tests.factories import HOSTILE_TEXT

    spoiled = replace(
        corrected,
        corrections=tuple(replace(a, note=HOSTILE_TEXT, value=HOSTILE_TEXT) for a in corrected.corrections),
        corrections_rows=tuple((*row[:-1], HOSTILE_TEXT) for row in corrected.corrections_rows),
    )
    _, html_path = write_report(spoiled, tmp_path, gazetteer=gazetteer_, options=OutputOptions())
    page = html_path.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S)
    assert data is not None and "<" not in data.group(1)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert page.count("<script") == 2  # the review data and the review code, nothing from the note
