"""A Windows console that is not UTF-8: output redirected or piped is encoded with the ANSI code page.

``PYTHONIOENCODING`` gives a process here the stream Windows would give it (cp1252 for Italian,
cp850 in an old ``cmd`` window). Accented Italian names print as they are; a character the code
page lacks ("č" of "Sovodnje ob Soči", "→") becomes ``?`` instead of stopping the command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def mapgen(*args: str, encoding: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(REPO), **(env or {})}
    environment.pop("PYTHONUTF8", None)
    return subprocess.run(
        [sys.executable, "-m", "mapgen", *args], cwd=cwd, env=environment, capture_output=True,
        encoding=encoding, errors="strict", check=False,
    )  # fmt: skip


@pytest.mark.parametrize("encoding", ["cp1252", "cp850"])
def test_a_name_the_code_page_lacks_is_printed_with_a_question_mark(encoding: str, tmp_path: Path) -> None:
    done = mapgen("gazetteer", "lookup", "Sovodnje ob Soči", encoding=encoding, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("031022  Savogna d'Isonzo (GO)  Friuli-Venezia Giulia")
    assert "Sovodnje ob So?i (GO)" in done.stdout


def test_an_error_line_with_such_a_name_is_one_line_not_an_internal_error(tmp_path: Path) -> None:
    done = mapgen("gazetteer", "lookup", "Soči →", encoding="cp1252", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: ") and "'So?i ?'" in done.stderr
    assert "UnicodeEncodeError" not in done.stderr


@pytest.mark.slow
def test_a_build_in_a_cp1252_console_prints_the_italian_names(tmp_path: Path) -> None:
    """The bundled example with two corrections that name Comuni, progress bar drawn (TTY_COMPATIBLE)."""
    corrections = tmp_path / "correzioni.csv"
    corrections.write_text("record,codice_istat,azione,nota\n2020-R318-G1,Agliè (XX),,\n"
                           "2020-R169-G1,Soči → (GO),,\n", encoding="utf-8")
    done = mapgen("build", "--out", str(tmp_path / "output"), "--no-preview", "--corrections", str(corrections),
                  encoding="cp1252", cwd=tmp_path, env={"TTY_COMPATIBLE": "1"})
    assert done.returncode == 0, done.stderr
    assert "'Agliè (XX)'" in done.stdout  # decoded from cp1252: the accent arrived as one byte
    assert "'So?i ? (GO)'" in done.stdout
    assert "Check: inputs = " in done.stdout
