"""pyogrio imported without pandas, geopandas and pyarrow (``import_pyogrio_alone``): the GIS files
are the same, and the libraries left out can still be imported after.

Each test runs in a fresh interpreter: an import is once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WRITE_GIS = """
import sys
from pathlib import Path
import mapgen._beside
mapgen._beside.can_fork = lambda: True  # the boundaries read in a child: none of the three imported here
from mapgen.build import example_request, run_pipeline
from mapgen.gazetteer import load_gazetteer
from mapgen.model import OutputOptions
from mapgen.writers.gis import import_pyogrio_alone, write_gis
gazetteer = load_gazetteer()
request = example_request(Path(sys.argv[1]))
result = run_pipeline(request, gazetteer=gazetteer, read_shapes=True)
if sys.argv[2] == "alone":
    import_pyogrio_alone()
out = Path(sys.argv[1])
out.mkdir()
write_gis(result, out, gazetteer=gazetteer, options=OutputOptions())
print(sorted(name for name in ("pandas", "geopandas", "pyarrow") if name in sys.modules))
"""


#: The start of a script whose build forks where it can (as on Linux with two cores).
FORKING = (
    "import sys\n"
    "from pathlib import Path\n"
    "import mapgen._beside\n"
    "mapgen._beside.can_fork = lambda: True\n"
)


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code, *args], env=environment, capture_output=True,
                          encoding="utf-8", check=False)


def test_pyogrio_alone_brings_none_of_the_dataframe_libraries_and_they_import_after() -> None:
    code = (
        "import sys\n"
        "from mapgen.writers.gis import import_pyogrio_alone\n"
        "import_pyogrio_alone()\n"
        "import pyogrio\n"
        "print(sorted(n for n in ('pandas', 'geopandas', 'pyarrow') if n in sys.modules))\n"
        "import pandas\n"
        "print(pandas.DataFrame({'a': [1, 2]}).shape)\n"
    )
    ended = run(code)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.splitlines() == ["[]", "(2, 1)"]


def test_pyogrio_alone_writes_the_same_gis_files(tmp_path: Path) -> None:
    written, imported = {}, {}
    for how in ("alone", "as usual"):
        out = tmp_path / how.replace(" ", "-")
        ended = run(WRITE_GIS, str(out), how)
        assert ended.returncode == 0, ended.stderr
        imported[how] = ended.stdout.strip()
        written[how] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert imported["alone"] == "[]"
    assert "pandas" in imported["as usual"]  # the test tells the two apart
    assert sorted(written["alone"]) == sorted(written["as usual"]) != []
    assert [name for name in written["alone"] if written["alone"][name] != written["as usual"][name]] == []


def test_a_library_caller_that_did_not_read_the_boundaries_beside_gets_its_gis_files(tmp_path: Path) -> None:
    """run_pipeline without read_shapes, then write_outputs, in a second process: the GIS lane reads
    the boundaries itself, with pyogrio alone."""
    code = (
        FORKING
        + "from mapgen.build import example_request, run_pipeline, write_outputs\n"
        "from mapgen.gazetteer import load_gazetteer\n"
        "from mapgen.model import OutputOptions\n"
        "gazetteer = load_gazetteer()\n"
        "result = run_pipeline(example_request(Path(sys.argv[1])), gazetteer=gazetteer)\n"
        "files = write_outputs(result, Path(sys.argv[1]), gazetteer=gazetteer, options=OutputOptions())\n"
        "print(sorted(str(f) for f in files if f.name.startswith('initiatives.')))\n"
    )
    ended = run(code, str(tmp_path / "out"))
    assert ended.returncode == 0, ended.stderr
    assert "initiatives.gpkg" in ended.stdout


def test_the_previous_maps_process_reads_and_places_without_the_dataframe_libraries(tmp_path: Path) -> None:
    """Point in polygon and the boundaries through shapely, pyproj and pyogrio alone: the process
    that reads the previous maps beside the survey never imports the three (0.5 s)."""
    code = (
        FORKING
        + "import logging\n"
        "import mapgen.build as build\n"
        "logging.basicConfig(stream=sys.stdout, format='%(message)s', level=logging.INFO)\n"
        "previous_part = build._previous_part\n"
        "def probed(*args, **kwargs):\n"
        "    done = previous_part(*args, **kwargs)\n"
        "    names = sorted(n for n in ('pandas', 'geopandas', 'pyarrow') if n in sys.modules)\n"
        "    logging.getLogger('probe').info('%s %s', 'previous maps process:', names)\n"  # sent back here
        "    return done\n"
        "build._previous_part = probed\n"
        "result = build.run_pipeline(build.example_request(Path(sys.argv[1])), read_shapes=True)\n"
        "print('placed:', sum(i.match.method in ('point-in-polygon', 'nearest') for i in result.initiatives))\n"
    )
    ended = run(code, str(tmp_path / "out"))
    assert ended.returncode == 0, ended.stderr
    assert "previous maps process: []" in ended.stdout.splitlines()
    placed = next(line for line in ended.stdout.splitlines() if line.startswith("placed:"))
    assert int(placed.removeprefix("placed: ")) > 100  # the example's previous map, placed by its points
