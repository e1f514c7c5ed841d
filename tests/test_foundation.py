"""The package installs, starts fast and finds its data."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

import mapgen
from fixtures import factories
from mapgen.cli import app


def test_public_api_names_resolve() -> None:
    for name in mapgen.__all__:
        assert getattr(mapgen, name) is not None


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "gazetteer" in result.output


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mapgen", "gazetteer", "lookup", "Castro", "--provincia", "LE"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("075096  Castro (LE)  Puglia")


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from mapgen.cli import app; "
        "CliRunner().invoke(app, ['--help']); "
        "print(sorted(m for m in ('pandas', 'geopandas', 'folium', 'shapely') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_sample_build_is_consistent() -> None:
    build = factories.sample_build()
    ids = {i.id for i in build.initiatives}
    assert all(o.initiative_id in ids for o in build.outcomes if o.initiative_id)


def test_all_lists_every_export() -> None:
    assert sorted(mapgen.__all__) == sorted(mapgen._EXPORTS)
