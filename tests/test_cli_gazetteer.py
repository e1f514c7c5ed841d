"""``mapgen gazetteer lookup | info | build``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mapgen.cli import app

ISTAT = Path(__file__).parent / "data" / "gazetteer" / "istat"
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
        "(soppresso 2023-12-31, ora 013256)"
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


def test_lookup_miss_names_what_the_geocoder_reads() -> None:
    # A human types the common short form; the exact lookup misses, the hint leads to the name.
    result = runner.invoke(app, ["gazetteer", "lookup", "reggio emilia"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: no Comune is called 'reggio emilia'. "
        "The geocoder reads it as Reggio nell'Emilia (RE) [normalized]: try that name.\n"
    )


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
