"""mapgen build: the bundled example, the summary it prints, --strict and error lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.slow
def test_build_without_arguments_builds_the_example(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out"), "--no-preview"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "No input given: building the bundled example."
    assert any(line.startswith("Wrote ") and "files to" in line for line in lines)
    assert any(line.strip().startswith("map.umap") for line in lines)
    check = next(line for line in lines if line.startswith("Check: inputs = "))
    assert check.endswith("(ok)")
    assert "records need a person (9 unresolved, 28 placements to check, 3 excluded for missing data): open" \
        in result.output


def test_strict_fails_when_rows_are_unresolved(tmp_path: Path) -> None:
    args = ["build", str(EXAMPLES / "survey_2020.csv"), "--config", str(EXAMPLES / "mapping.toml"),
            "--out", str(tmp_path / "out"), "--no-preview", "--strict"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert (tmp_path / "out" / "report.html").exists()  # the outputs are still written


def test_missing_survey_file_is_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "nope.csv" in result.output
    assert "Traceback" not in result.output


def test_unknown_initiative_layer_lists_the_real_ones(tmp_path: Path) -> None:
    args = ["build", "--previous", str(EXAMPLES / "previous_2019.umap"), "--initiative-layer", "Nope",
            "--out", str(tmp_path / "o"), "--no-preview"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "Error: " in result.output and "Iniziative 2019" in result.output


def test_output_folder_with_foreign_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("x")
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path), "--no-preview"])
    assert result.exit_code == 1
    assert "mapgen did not write" in result.output
    assert (tmp_path / "thesis.docx").exists()


def test_an_unclosed_quote_stops_the_build_and_publishes_nothing(tmp_path: Path) -> None:
    # Issue 20: read leniently, rows 4-5 became row 3's description, contacts included, "(ok)".
    survey = Path(__file__).parents[1] / "data" / "bad" / "swallowed_rows.csv"
    result = CliRunner().invoke(app, ["build", str(survey), "--out", str(tmp_path / "o"), "--no-preview"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(
        "Error: swallowed_rows.csv, row 3 (line 3 of the file), column 'Descrizione': the quoted cell"
    )
    written = [p for p in (tmp_path / "o").rglob("*") if p.is_file()] if (tmp_path / "o").exists() else []
    assert not any("bari@example.org" in p.read_text(errors="replace") for p in written)
    assert not (tmp_path / "o" / "map.umap").exists()


def test_the_previous_map_given_as_the_survey_says_to_pass_it_with_previous(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(EXAMPLES / "previous_2019.umap"), "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.stderr) == (1, (
        "Error: previous_2019.umap is a uMap map, not a survey export (CSV or XLSX). A previous edition's map "
        "goes after --previous: mapgen build SURVEY.csv --previous previous_2019.umap\n"
    ))


def test_the_collector_runs_less_often_during_a_build_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keeps its objects to the end: the cyclic collector's thresholds are raised while it runs
    (about 10 % of a 10,000 build's CPU, benchmarks/README.md) and put back after, even on an error."""
    import gc

    from mapgen import build as build_module
    from mapgen.cli.build import BATCH_GC_THRESHOLDS

    seen = []

    def fake_build(*_args: object, **_kwargs: object) -> None:
        seen.append(gc.get_threshold())
        raise build_module.InputError("nothing to build")

    monkeypatch.setattr(build_module, "build", fake_build)
    before = gc.get_threshold()
    result = CliRunner().invoke(app, ["build", str(EXAMPLES / "survey_2020.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert seen == [BATCH_GC_THRESHOLDS] and before != BATCH_GC_THRESHOLDS
    assert gc.get_threshold() == before
