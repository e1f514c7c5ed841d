"""Reading a corrections file: each bad line reported with line, value and fix; contradictions stop the build.

Bad files live in tests/data/corrections/ with the expected message in EXPECTED.toml.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from mapgen import errors
from mapgen.build import BuildRequest, build, example_request, run_pipeline
from mapgen.corrections import apply_corrections, read_corrections, settle_pairs
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, Initiative, Match, RowOutcome
from tests.corrections.files import ACTIONS, DATA, EXAMPLES, EXPECTED, by_id, placed, write_corrections


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
    assert [(n.file, n.row, n.column, n.value, n.staff_message) for n in review.notices] == [
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


@pytest.mark.slow
def test_the_cli_summary_lists_bad_lines(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mapgen.cli import app

    result = CliRunner().invoke(app, ["build", "--no-preview", "--out", str(tmp_path / "out"),
                                      "--corrections", str(DATA / "unknown_record.csv")])
    assert result.exit_code == 0, result.output
    assert ("Correction not applied: unknown_record.csv, line 2, column 'record': '2020-R9999-G1': unknown "
            "record: no record of this build has this id. Copy the id from the record column of "
            "da_correggere.csv or report.csv.") in result.output
    # one language per line (issue 27): the same line for staff whose system speaks Italian
    result = CliRunner().invoke(app, ["--lingua", "it", "build", "--no-preview", "--out", str(tmp_path / "it"),
                                      "--corrections", str(DATA / "unknown_record.csv")])
    assert ("Correzione non applicata: unknown_record.csv, riga 2, colonna 'record': '2020-R9999-G1': record "
            "sconosciuto: nessun record di questa costruzione ha questo identificativo.") in result.output


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


def test_the_config_names_the_corrections_file(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    """``corrections = "FILE"`` at the top of the config, relative to the config file."""
    folder = tmp_path / "config"
    folder.mkdir()
    write_corrections(folder / "correzioni.csv", [ACTIONS[0]])
    text = (EXAMPLES / "mapping.toml").read_text(encoding="utf-8")
    (folder / "mapping.toml").write_text('corrections = "correzioni.csv"\n' + text, encoding="utf-8")
    request = BuildRequest(survey=EXAMPLES / "survey_2020.csv", config=folder / "mapping.toml")
    placed(by_id(run_pipeline(request, gazetteer=gazetteer_))["2020-R164-G1"], "007003", 2)


@pytest.mark.slow
def test_a_corrections_file_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    """The output folder is replaced at each build: the person's file must live elsewhere."""
    out = tmp_path / "output"
    first = build(replace(example_request(out), preview=False))
    inside = first.out_dir / "da_correggere.csv"
    with pytest.raises(errors.OutputError, match="is inside the output folder"):
        build(replace(example_request(out), preview=False, corrections=inside))
    assert inside.exists()  # the previous outputs are untouched


@pytest.mark.parametrize(("written", "code"), [
    ("Savignone", "010057"),  # issue 27: a real Comune written without its province
    ("savignone ", "010057"),
    ("Cantu'", "013041"),  # the accent typed as an apostrophe, as on keyboards without à-ù
    ("Paternò", "087033"),  # written with its accent: not Paterno (PZ)
])
def test_a_bare_name_of_one_current_comune_is_that_comune(written: str, code: str, tmp_path: Path,
                                                          gazetteer_: Gazetteer) -> None:
    path = write_corrections(tmp_path / "correzioni.csv", [{"record": "2020-R164-G1", "codice_istat": written}])
    corrections = read_corrections(path, gazetteer=gazetteer_)
    assert corrections.notices == ()
    assert [(d.action, d.comune.istat_code if d.comune else None) for d in corrections.decisions] == [
        ("comune", code)]


def test_a_bare_name_shared_by_several_comuni_lists_them(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    path = write_corrections(tmp_path / "correzioni.csv", [{"record": "2020-R164-G1", "codice_istat": "Paterno"}])
    [notice] = read_corrections(path, gazetteer=gazetteer_).notices
    assert notice.staff_message == "più Comuni si chiamano «Paterno»: Paterno (PZ), Paternò (CT)."
    assert notice.staff_fix == "Aggiungere la provincia, come «Paterno (PZ)», o scrivere il codice ISTAT."
