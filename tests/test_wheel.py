"""The wheel carries the gazetteer and works outside the repository.

Built offline (``--no-isolation``, hatchling comes with the test extras), installed
with ``pip --target`` into a folder put first on PYTHONPATH so that the wheel's
``mapgen`` wins over the editable install, then run from another directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel and install it (no dependencies) into a fresh folder."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(work / "dist"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = (work / "dist").glob("mapgen-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(work / "site"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return work


def _run(installed: Path, *args: str) -> subprocess.CompletedProcess[str]:
    elsewhere = installed / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(installed / "site")}
    return subprocess.run(
        [sys.executable, *args], cwd=elsewhere, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_wheel_holds_the_gazetteer(installed: Path) -> None:
    (wheel,) = (installed / "dist").glob("mapgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "comuni.csv",
        "names.csv",
        "provinces.csv",
        "regions.csv",
        "metadata.json",
        "comuni.fgb",
        "provinces.fgb",
        "regions.fgb",
        "sources/aliases.csv",
    ):
        assert f"mapgen/_data/gazetteer/{name}" in names


@pytest.mark.slow
def test_installed_package_is_the_one_that_runs(installed: Path) -> None:
    done = _run(installed, "-c", "import mapgen; print(mapgen.__file__)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed / "site")


@pytest.mark.slow
def test_help_and_lookup_from_another_directory(installed: Path) -> None:
    helped = _run(installed, "-m", "mapgen", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "gazetteer" in helped.stdout
    found = _run(installed, "-m", "mapgen", "gazetteer", "lookup", "Castro", "--provincia", "LE")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("075096  Castro (LE)  Puglia")


@pytest.mark.slow
def test_the_installed_package_speaks_italian(installed: Path) -> None:
    """The compiled catalogue ships in the wheel: an Italian system gets Italian lines (issue 27)."""
    (wheel,) = (installed / "dist").glob("mapgen-*.whl")
    assert "mapgen/locale/it/LC_MESSAGES/mapgen.mo" in zipfile.ZipFile(wheel).namelist()
    found = _run(installed, "-m", "mapgen", "--lingua", "it", "gazetteer", "lookup", "Castro", "--provincia", "LE")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("075096  Castro (LE)  Puglia") and " ab. " in found.stdout


@pytest.mark.slow
def test_data_comes_from_the_installed_package(installed: Path) -> None:
    info = _run(installed, "-m", "mapgen", "gazetteer", "info")
    assert info.returncode == 0, info.stderr
    folder = Path(info.stdout.splitlines()[0].removeprefix("Folder:").strip())
    assert folder == installed / "site" / "mapgen" / "_data" / "gazetteer"


#: Where each shipped folder of the source tree lives inside the wheel.
SHIPPED = {"mapgen": "mapgen", "gazetteer": "mapgen/_data/gazetteer", "templates": "mapgen/_data/templates",
           "examples": "mapgen/_data/examples"}


def _tracked_files() -> list[str]:
    """The files of the shipped folders that git tracks, and any compiled translation (``*.mo``)."""
    listed = subprocess.run(["git", "ls-files", *SHIPPED], cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    compiled = [str(p.relative_to(ROOT)) for p in (ROOT / "mapgen").rglob("*.mo")]
    return sorted({*listed.stdout.splitlines(), *compiled})


@pytest.mark.slow
def test_wheel_holds_every_shipped_file(installed: Path) -> None:
    """The package (vendored scripts, translations), the gazetteer, the templates and the example."""
    (wheel,) = (installed / "dist").glob("mapgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = []
    for path in _tracked_files():
        top, _, rest = path.partition("/")
        if (ROOT / path).is_file() and f"{SHIPPED[top]}/{rest}" not in names:
            missing.append(path)
    assert missing == []


@pytest.mark.slow
def test_the_installed_wheel_builds_the_example_from_another_directory(installed: Path) -> None:
    built = _run(installed, "-m", "mapgen", "build", "--out", "output")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("No input given: building the bundled example.")
    out = installed / "elsewhere" / "output"
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {"map.umap", "preview.html", "report.html", "initiatives.csv", "initiatives.gpkg"} <= written
    assert "Check: inputs = " in built.stdout and "(ok)" in built.stdout
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "survey_2020.csv" in report and "previous_2019.umap" in report  # the example's own inputs
