"""``mapgen validate``: every problem printed with row, column and fix; exit 1 when a row can't "
"be used."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app

DATA = Path(__file__).parents[1] / "data" / "survey"
EXAMPLES = Path(__file__).parents[2] / "examples"


def run(*args: str | Path) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, ["validate", *map(str, args)])
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_clean_file_exits_zero() -> None:
    code, lines, err = run(DATA / "codes_excel_cp1252.csv", "--config", DATA / "codes_mapping.toml")
    assert (code, err) == (0, "")
    assert lines == [
        "codes_excel_cp1252.csv: CSV, Windows-1252, separator ';', 5 rows; LimeSurvey export, "
        "question codes; "
        "mapping codes_mapping.toml",
        "Incomplete responses excluded (rows 4); use --include-incomplete to keep them.",
        "Duplicate: row 2 (2020-R11-G1, 'Centro per le famiglie') was sent again on row 5 "
        "(2020-R14-G1); "
        "the latest is kept.",
        "Places (offline gazetteer): 0 records need a person.",
        "5 responses: 4 initiatives, 1 excluded, 1 duplicate; 0 errors, 0 warnings.",
    ]


def test_include_incomplete() -> None:
    code, lines, _ = run(DATA / "tidy_canonical.csv", "--include-incomplete")
    assert code == 0
    assert (
        lines[-1] == "5 responses: 5 initiatives, 0 excluded, 1 duplicate; 0 errors, 1 warning."
    )


def test_rows_that_cannot_become_initiatives_exit_one() -> None:
    code, lines, err = run(EXAMPLES / "survey_2020.csv", "--config", EXAMPLES / "mapping.toml")
    assert (code, err) == (1, "")
    assert (
        'error: survey_2020.csv, row 182, column "G01Q03" (K): the response has no Comune, so '
        "its 2 "
        "practices cannot be placed on the map. Fill the Comune in the spreadsheet." in lines
    )
    assert (
        "warning: survey_2020.csv, row 5, column \"G02Q06\" (AL): 'da definire' is not an amount "
        "in euro; "
        "the amount is left empty. Write a number in euro such as 12.500,00 (the text stays in the "
        "record's properties)." in lines
    )
    assert (
        lines[-1]
        == "306 responses: 413 initiatives, 21 excluded, 18 duplicates; 2 errors, 17 warnings."
    )


@pytest.mark.slow
def test_every_example_variant_validates_the_same() -> None:
    summaries = {
        run(EXAMPLES / name, "--config", EXAMPLES / "mapping.toml")[1][-1]
        for name in ("survey_2020.csv", "survey_2020_excel.csv", "survey_2020.xlsx")
    }
    assert len(summaries) == 1


def test_sheet_option() -> None:
    code, lines, _ = run(
        DATA / "codes_excel.xlsx", "--config", DATA / "codes_mapping.toml", "--sheet", "1"
    )
    assert code == 0 and lines[0].startswith("codes_excel.xlsx: XLSX, sheet 'Risposte', 5 rows")
    code, _, err = run(DATA / "codes_excel.xlsx", "--sheet", "Risposta")
    assert (code, err) == (
        1,
        "Error: codes_excel.xlsx has no sheet 'Risposta'; closest 'Risposte'. "
        "Sheets: 'Risposte', 'Istruzioni'. Give one of them with --sheet.\n",
    )


def test_missing_column_stops_with_the_columns_there(tmp_path: Path) -> None:
    survey = tmp_path / "risposte.csv"
    survey.write_text("Citta,Titolo\nLecce,Nidi\n", encoding="utf-8")
    code, lines, err = run(survey)
    assert (code, lines) == (1, [])
    assert err == (
        "Error: risposte.csv has no column for 'Comune' (nothing close), which every initiative "
        "needs. "
        "Columns in the file: 'Citta', 'Titolo'. Rename the column, or map it in a mapping file "
        "(start one with: mapgen init-config risposte.csv).\n"
    )


def test_unreadable_file_is_one_line_never_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "risposte.xlsx"
    broken.write_bytes((DATA / "codes_excel.xlsx").read_bytes()[:2000])
    code, lines, err = run(broken)
    assert (code, lines) == (1, [])
    assert err == (
        "Error: risposte.xlsx is a damaged XLSX workbook (truncated or not fully downloaded). "
        "Download it again, or open it in Excel and save it again.\n"
    )
    assert "Traceback" not in err


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "vuoto.csv").write_bytes(b"")
    code, _, err = run(tmp_path / "vuoto.csv")
    assert (code, err) == (
        1,
        "Error: vuoto.csv is empty: it has no header row and no responses. "
        "Export the responses from LimeSurvey again as CSV or Excel (.xlsx).\n",
    )


def test_bad_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[survey.columns]\ntitlo = "G02Q01"\n', encoding="utf-8")
    code, _, err = run(DATA / "codes_limesurvey.csv", "--config", mapping)
    assert code == 1
    assert err.startswith(
        "Error: mapping.toml, [survey.columns]: unknown field 'titlo'; did you mean 'titolo'? "
        "Valid: regione,"
    )


def test_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(app, ["validate", "--help"])
    assert result.exit_code == 0
    assert "Example: mapgen validate examples/survey_2020.csv --config" in result.stdout


def test_places_that_need_a_person_are_listed_and_corrections_apply(tmp_path: Path) -> None:
    _, lines, _ = run(EXAMPLES / "survey_2020.csv", "--config", EXAMPLES / "mapping.toml")
    assert "Places (offline gazetteer): 39 records need a person." in lines
    aoste = ("  survey_2020.csv, row 135 (2020-R164-G1): 'Aoste (ss, SARDEGNA)': no Comune found; "
             "candidates: 007003 Aosta (AO)")
    assert aoste in lines
    corrections = tmp_path / "correzioni.csv"
    corrections.write_text("record;codice_istat;azione\r\n2020-R164-G1;007003;\r\n2020-R9999-G1;;escludi\r\n",
                           encoding="utf-8-sig")
    _, lines, _ = run(EXAMPLES / "survey_2020.csv", "--config", EXAMPLES / "mapping.toml",
                      "--corrections", corrections)
    assert "Places (offline gazetteer): 38 records need a person." in lines and aoste not in lines
    assert "Corrections applied: 1." in lines
    assert ("Correction not applied: correzioni.csv, line 3, column 'record': '2020-R9999-G1': unknown record: no "
            "record of this build has this id. Copy the id from the record column of da_correggere.csv or "
            "report.csv.") in lines
