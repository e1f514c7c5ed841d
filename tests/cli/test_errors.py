"""Every command: a bug (an exception that is not a MapgenError) is one line and exit status 70."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen import build as build_module
from mapgen.cli import app
from mapgen.errors import INTERNAL_ERROR_EXIT


def broken_build(*args: object, **kwargs: object) -> None:
    raise ZeroDivisionError("a bug in the pipeline")


def test_a_bug_is_one_line_exit_70_and_a_log_outside_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MAPGEN_DEBUG", raising=False)
    monkeypatch.setattr(build_module, "build", broken_build)
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out")])
    assert result.exit_code == INTERNAL_ERROR_EXIT == 70
    assert "Traceback" not in result.output
    found = re.fullmatch(r"mapgen internal error \(ZeroDivisionError\): this is a bug, please report it with "
                         r"the input files; details in (?P<log>\S+)\n", result.stderr)
    assert found, result.stderr
    log = Path(found["log"])
    assert log.parent == tmp_path / "cache" / "mapgen" / "errors"
    assert "Traceback" in log.read_text() and "a bug in the pipeline" in log.read_text()
    assert not (tmp_path / "out").exists()


def test_mapgen_debug_lets_the_exception_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPGEN_DEBUG", "1")
    monkeypatch.setattr(build_module, "build", broken_build)
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, ZeroDivisionError)


def test_a_mapgen_error_is_still_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")


LONG = "a" * 300  # longer than the 255 bytes a file name may have on Linux, macOS and Windows


@pytest.mark.parametrize("args", [
    ["validate", f"{LONG}.csv"],
    ["build", "--previous", f"{LONG}.umap", "--out", "{tmp}/out"],
    ["validate", "{survey}", "--config", f"{{tmp}}/{LONG}.toml"],
    ["init-config", "{survey}", "--out", f"{{tmp}}/{LONG}.toml"],
    ["build", "{survey}", "--out", f"{{tmp}}/{LONG}"],
])
def test_a_name_too_long_is_one_error_line(args: list[str], tmp_path: Path) -> None:
    survey = Path(__file__).parents[1] / "data" / "survey" / "tidy_canonical.csv"
    result = CliRunner().invoke(app, [a.format(tmp=tmp_path, survey=survey) for a in args])
    assert result.exit_code == 1, result.output
    # the survey reader words its own message (readers/table.py); the others come from os_error_line
    assert re.fullmatch(r"Error: [^\n]*(is longer than the file system allows\. Choose a shorter file or folder "
                        r"name|the file name is too long for the file system\. Rename the file)\.\n",
                        result.stderr), result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["build", "--previous", "{tmp}", "--out", "{tmp}/out"], "a folder, not a map file"),
    (["validate", "{survey}", "--config", "{tmp}"], "is a folder, not a mapping file"),
])
def test_a_folder_given_as_a_file_says_so(args: list[str], message: str, tmp_path: Path) -> None:
    survey = Path(__file__).parents[1] / "data" / "survey" / "tidy_canonical.csv"
    result = CliRunner().invoke(app, [a.format(tmp=tmp_path, survey=survey) for a in args])
    assert result.exit_code == 1 and message in result.stderr and "\n" not in result.stderr.rstrip("\n")
