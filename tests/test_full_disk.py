"""Writing on a really full disk: a 64 KB tmpfs, mounted only where the tests may (root on Linux).

Elsewhere these tests are skipped with the reason; the same paths are covered by simulated
``ENOSPC`` errors (monkeypatched writes) in ``cli/test_geocode.py``, ``cli/test_init_config.py``
and ``test_build_safety.py``.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app

DATA = Path(__file__).parent / "data" / "survey"


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KB file system, nearly filled: about 4 KB are left."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: the simulated ENOSPC tests cover this")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode(errors='replace').strip()}); "
                    "the simulated ENOSPC tests cover this")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def fill(folder: Path, leave: int = 4096) -> None:
    with (folder / "filler.bin").open("wb") as handle, contextlib.suppress(OSError):
        handle.write(b"\0" * (64 * 1024 - leave))


def test_geocode_keeps_the_previous_output(full_disk: Path, tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("Comune;Titolo\n" + "Castro;Bonus bebè per le famiglie del territorio\n" * 2000,
                      encoding="utf-8")
    out = full_disk / "out.csv"
    out.write_text("the good output of an earlier run\n", encoding="utf-8")
    fill(full_disk)
    result = CliRunner().invoke(app, ["geocode", str(survey), "--comune-col", "Comune", "-o", str(out)])
    assert (result.exit_code, result.stderr) == (1, f"Error: cannot write {out}: No space left on device. "
                                                    "Free some disk space or choose another --out on another disk.\n")
    assert out.read_text(encoding="utf-8") == "the good output of an earlier run\n"
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler.bin", "out.csv"]


def test_init_config_leaves_no_empty_mapping(full_disk: Path) -> None:
    fill(full_disk, leave=0)
    out = full_disk / "mapping.toml"
    result = CliRunner().invoke(app, ["init-config", str(DATA / "tidy_canonical.csv"), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.endswith("No space left on device. Free some disk space or choose another --out on "
                                  "another disk.\n")
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler.bin"]
