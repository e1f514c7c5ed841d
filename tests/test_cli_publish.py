"""``mapgen publish`` errors that need no server: one ``Error:`` line, exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.writers.umap import write_umap
from tests import factories

runner = CliRunner()


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    folder = tmp_path_factory.mktemp("built")
    write_umap(factories.sample_build(), folder, gazetteer=gazetteer, options=OutputOptions())
    return folder


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["publish", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Example: mapgen publish output --map https://" in result.output


def test_missing_map_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["publish", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --map URL is required: the address of the published map."


def test_no_build_in_the_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["publish", str(tmp_path), "--map", "https://example.org/it/map/x_1"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'map.umap'} not found")


def test_unreachable_server_is_one_line_and_keeps_the_secret(tmp_path: Path, sample_output: Path) -> None:
    secret = "do-not-print-this-session"
    result = runner.invoke(
        app,
        ["publish", str(sample_output), "--map", "http://127.0.0.1:9/it/map/x_1"],
        env={"MAPGEN_UMAP_SESSION": secret},
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in result.output and secret not in result.output
