"""``mapgen gazetteer lookup | info | build``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app

ISTAT = Path(__file__).parents[1] / "data" / "gazetteer" / "istat"
runner = CliRunner()


def test_lookup_by_name_and_province() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Castro", "--provincia", "LE"])
    assert result.exit_code == 0
    assert result.output.startswith("075096  Castro (LE)  Puglia  ")


def test_lookup_by_other_language_name() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Bozen"])
    assert result.exit_code == 0
    assert result.output.startswith("021008  Bolzano (BZ)  Trentino-Alto Adige/Südtirol  ")
    assert result.output.rstrip().endswith("(other language name Bozen (BZ))")


def test_lookup_of_a_merged_comune_shows_where_it_went() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Ronago"])
    lines = result.output.splitlines()
    assert result.exit_code == 0
    assert lines[0].startswith("013199  Ronago (CO)") and lines[0].endswith(
        "(retired 2023-12-31, now 013256)"
    )
    assert lines[1].startswith("013256  Uggiate con Ronago (CO)")


def test_lookup_by_codes() -> None:
    by_istat = runner.invoke(app, ["gazetteer", "lookup", "1272"])
    by_cadastral = runner.invoke(app, ["gazetteer", "lookup", "l219"])
    assert by_istat.output.startswith("001272  Torino (TO)")
    assert by_cadastral.output == by_istat.output


def test_lookup_unknown_name_fails_with_one_line() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Atlantide", "-p", "LE"])
    assert result.exit_code == 1
    assert result.output == "Error: no Comune is called 'Atlantide' in LE.\n"


def test_lookup_of_a_common_spelling_is_an_answer_with_a_note() -> None:
    # A human types the common short form; the geocoder reads it as it would in a survey.
    result = runner.invoke(app, ["gazetteer", "lookup", "Reggio Calabria"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("080063  Reggio di Calabria (RC)  Calabria  ")
    assert lines[1] == (
        "Note: no Comune is officially called 'Reggio Calabria'; the geocoder reads it as "
        "Reggio di Calabria (RC) [normalized], as it does in a survey."
    )
    assert "Error" not in result.output


def test_lookup_of_a_short_form_answers_too() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "reggio emilia"])
    assert result.exit_code == 0
    assert result.output.startswith("035033  Reggio nell'Emilia (RE)  Emilia-Romagna  ")
    assert "Note: no Comune is officially called 'reggio emilia'" in result.output


def test_lookup_with_a_province_code_that_does_not_exist() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Castro", "--provincia", "XX"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: no province has the code 'XX'. Use the two-letter sigla of a province or "
        "metropolitan city, e.g. LE, TO, RM (see ISTAT's list).\n"
    )


def test_lookup_province_code_in_lower_case_is_accepted() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Castro", "-p", "le"])
    assert result.exit_code == 0
    assert result.output.startswith("075096  Castro (LE)")


def test_lookup_miss_of_a_homonym_lists_candidates_never_picks() -> None:
    result = runner.invoke(app, ["gazetteer", "lookup", "Samoone"])
    assert result.exit_code == 1
    assert "Did you mean: " in result.output
    assert "Samone (TO)" in result.output and "Samone (TN)" in result.output
    assert "reads it as" not in result.output


def test_info() -> None:
    result = runner.invoke(app, ["gazetteer", "info"])
    assert result.exit_code == 0
    assert "Comuni:    7896 current, 14 retired codes kept" in result.output
    assert "Valid:     ISTAT list with the changes up to 2024-01-22" in result.output
    assert "Attribution: Dati: ISTAT" in result.output


def test_build_help_names_both_sources() -> None:
    result = runner.invoke(app, ["gazetteer", "build", "--help"])
    assert result.exit_code == 0
    assert "--from-istat" in result.output and "--out" in result.output
    assert "mapgen[gazetteer]" in result.output


@pytest.mark.slow
def test_build_from_istat_downloads(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["gazetteer", "build", "--from-istat", str(ISTAT), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {tmp_path}: 17 Comuni, ")
    assert "comuni.fgb" in result.output and "Successor links: " in result.output
    assert (tmp_path / "comuni.csv").read_text(encoding="utf-8").count("\n") == 1 + 17 + 17


def test_build_from_a_folder_without_the_downloads(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["gazetteer", "build", "--from-istat", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {tmp_path}: expected one Elenco CSV (like Elenco-comuni-italiani.csv), "
    )
    assert result.output.rstrip().endswith("keep exactly one in the folder.")
