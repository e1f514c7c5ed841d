"""The gazetteer's boundaries as shapes (``Gazetteer.shapes``), and handed from one process to another.

The expected geometries are read here with pyogrio directly, not with the code under test.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
import shapely

from mapgen._beside import can_fork
from mapgen.gazetteer import load_gazetteer, shipped
from mapgen.gazetteer.shipped import BOUNDARY_FILES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", sorted(BOUNDARY_FILES))
def test_shapes_are_the_files_geometries_by_code_in_the_files_order(kind: str) -> None:
    gazetteer = load_gazetteer()
    file, column = BOUNDARY_FILES[kind]
    expected = pyogrio.read_dataframe(gazetteer.path / file)
    shapes = gazetteer.shapes(kind)
    assert list(shapes) == [str(code) for code in expected[column]]
    assert [shapely.to_wkb(g) for g in shapes.values()] == [shapely.to_wkb(g) for g in expected.geometry]


def test_shapes_handed_to_another_process_come_back_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    gazetteer = load_gazetteer()
    handed = pickle.loads(pickle.dumps(gazetteer.read_shapes()))  # as mapgen._beside sends an answer
    # The receiving process has read nothing: it must not need geopandas for these.
    monkeypatch.setattr(shipped, "_SHAPES", {})
    monkeypatch.setattr(shipped, "_read_boundaries", lambda path: pytest.fail(f"{path.name} read again"))
    handed.adopt()
    for kind, (file, _column) in BOUNDARY_FILES.items():
        original = handed.by_file[gazetteer.path / file]
        received = gazetteer.shapes(kind)
        assert list(received) == list(original)
        assert all(shapely.equals_exact(received[code], original[code], tolerance=0) for code in original)


def test_shapes_already_read_here_are_kept_over_those_handed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    gazetteer = load_gazetteer()
    here = gazetteer.shapes("regions")
    handed = pickle.loads(pickle.dumps(gazetteer.read_shapes()))
    handed.adopt()
    assert gazetteer.shapes("regions") is here


def test_a_build_beside_a_second_process_writes_its_first_lane_without_pandas(tmp_path: Path) -> None:
    """The boundaries read beside the survey: the uMap writer, the preview and the report import
    neither pandas nor geopandas (half a second and 100 MB each), not even through folium."""
    if not can_fork():
        pytest.skip("no second process on this machine: the writers read the boundaries themselves")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mapgen.build import build, example_request\n"
        "build(example_request(Path(sys.argv[1])))\n"
        "print(sorted(m for m in ('pandas', 'geopandas', 'pyogrio') if m in sys.modules))\n"
        # pandas left out of folium's import only: imported later, folium takes DataFrames as before
        "import folium.utilities, pandas\n"
        "print(folium.utilities.validate_location(pandas.DataFrame([[45.5, 9.25]])))\n"
    )
    ended = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], cwd=tmp_path,
                           env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                           capture_output=True, encoding="utf-8", check=False)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.splitlines() == ["[]", "[45.5, 9.25]"]
    assert (tmp_path / "out" / "preview.html").is_file()
