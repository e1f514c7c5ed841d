"""``mapgen init-config``: a starter mapping from a real export, that validate then accepts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mapgen.cli import app
from mapgen.config import load_config

DATA = Path(__file__).parents[1] / "data" / "survey"


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_writes_a_mapping_that_validates(tmp_path: Path) -> None:
    out = tmp_path / "mapping.toml"
    code, stdout, _ = invoke("init-config", DATA / "fulltext_limesurvey.xlsx", "--out", out)
    assert code == 0
    assert stdout.splitlines() == [
        f"Wrote {out}: 18 fields placed, 2 practice groups, 0 columns not used; nothing left "
        "to do.",
        f"Edit it, then run: mapgen validate {DATA / 'fulltext_limesurvey.xlsx'} --config {out}",
    ]
    assert load_config(out).survey.sheet == "Risposte"
    code, stdout, _ = invoke("validate", DATA / "fulltext_limesurvey.xlsx", "--config", out)
    assert code == 0
    assert (
        stdout.splitlines()[-1]
        == "5 responses: 4 initiatives, 1 excluded, 1 duplicate; 0 errors, 0 warnings."
    )


def test_marks_what_it_could_not_place(tmp_path: Path) -> None:
    out = tmp_path / "mapping.toml"
    code, stdout, _ = invoke("init-config", DATA / "codes_limesurvey.csv", "-o", out)
    assert code == 0
    assert "TODO: tipo_ente, denominazione_ente, destinatari, referente." in stdout
    text = out.read_text(encoding="utf-8")
    assert 'tipo_ente = ""  # TODO (optional): not found; write the column\'s header' in text
    assert "#   'G01Q04': e.g. 'A1'" in text


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mapping.toml"
    out.write_text("# mine\n", encoding="utf-8")
    code, _, err = invoke("init-config", DATA / "tidy_canonical.csv", "--out", out)
    assert (code, err) == (
        1,
        f"Error: {out} already exists; choose another --out or add --force.\n",
    )
    assert out.read_text(encoding="utf-8") == "# mine\n"
    code, _, _ = invoke("init-config", DATA / "tidy_canonical.csv", "--out", out, "--force")
    assert code == 0 and out.read_text(encoding="utf-8").startswith(
        "# mapgen mapping for tidy_canonical.csv"
    )


def test_unreadable_survey(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_bytes(b"%PDF-1.7")
    code, _, err = invoke("init-config", tmp_path / "export.csv", "--out", tmp_path / "m.toml")
    assert (code, err) == (
        1,
        "Error: export.csv is a PDF document, not a CSV or XLSX file. "
        "Export the responses from LimeSurvey again as CSV or Excel (.xlsx).\n",
    )
    assert not (tmp_path / "m.toml").exists()


def test_help_ends_with_an_example() -> None:
    code, stdout, _ = invoke("init-config", "--help")
    assert code == 0 and "Example: mapgen init-config survey_2020.csv --out mapping.toml" in stdout


def test_refuses_to_write_over_the_survey_even_with_force(tmp_path: Path) -> None:
    survey = tmp_path / "risposte.csv"
    survey.write_bytes((DATA / "tidy_canonical.csv").read_bytes())
    code, _, err = invoke("init-config", survey, "--out", survey, "--force")
    assert (code, err) == (1, f"Error: --out {survey} is the survey export itself; write the mapping to another "
                              "file, such as --out mapping.toml.\n")
    assert survey.read_bytes() == (DATA / "tidy_canonical.csv").read_bytes()


@pytest.mark.parametrize(("code", "fix"), [
    (28, "Free some disk space or choose another --out on another disk."),
    (30, "The disk is read-only: choose another --out."),
    (13, "Choose a folder you may write to with --out, or ask for write permission."),
])
def test_a_failed_write_leaves_no_mapping_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, fix: str
) -> None:
    """Simulated (tests run as root, where permissions do not stop a write): the write fails half-way."""
    real = Path.write_text

    def failing(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        real(self, text[:10], *args, **kwargs)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(Path, "write_text", failing)
    out = tmp_path / "mapping.toml"
    exit_code, _, err = invoke("init-config", DATA / "tidy_canonical.csv", "--out", out)
    assert (exit_code, err) == (1, f"Error: cannot write {out}: {os.strerror(code)}. {fix}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
