"""mapgen.build: reproducible outputs, builds killed half way, and an output folder that stays put.

The bundled example (``example_request``) is the input throughout: the survey, the 2019 map and
their mapping, so every writer has something of every kind to write.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mapgen import build as build_module
from mapgen.build import (
    OUTPUT_MARKER,
    BuildRequest,
    build,
    check_output_folder,
    example_request,
    recover_interrupted,
)
from mapgen.cli import app
from mapgen.errors import OutputError

REPO = Path(__file__).resolve().parent.parent
EXPECTED_FILES = {
    "initiatives.csv", "initiatives.geojson", "initiatives.gpkg", "initiatives.xlsx", "map.umap", "preview.html",
    "report.csv", "report.html", OUTPUT_MARKER,
}  # fmt: skip


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def mapgen(*args: str | Path, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mapgen", *map(str, args)],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The bundled example built once, in its own process: every file and its bytes."""
    out = tmp_path_factory.mktemp("first") / "output"
    done = mapgen("build", "--out", out, env={"PYTHONHASHSEED": "1", "TZ": "Europe/Rome"})
    assert done.returncode == 0, done.stderr
    return files_of(out)


# --- reproducibility --------------------------------------------------------------------


@pytest.mark.slow
def test_two_builds_give_byte_identical_files(first_build: dict[str, bytes], tmp_path: Path) -> None:
    """Another process, hash seed, time zone, folder name and working folder: the same bytes."""
    out = tmp_path / "altra uscita"
    env = {"PYTHONHASHSEED": "2", "TZ": "America/Los_Angeles", "LC_ALL": "C"}
    done = mapgen("build", "--out", out, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    second = files_of(out)
    assert set(second) >= EXPECTED_FILES
    assert any(name.startswith("layers/") for name in second)
    assert sorted(second) == sorted(first_build)
    different = [name for name in second if second[name] != first_build[name]]
    assert different == []


def test_outputs_name_no_folder_of_the_build(first_build: dict[str, bytes]) -> None:
    """No staging name or absolute path leaks into a file (it would break reproducibility)."""
    for name, data in first_build.items():
        assert b".tmp-" not in data, name
        assert os.fsencode(REPO) not in data, name


# --- builds killed half way -------------------------------------------------------------

# Runs the bundled example build and blocks it, then waits to be killed:
# "writer": a writer between the uMap and the other writers writes half a file and blocks;
# "second lane": the same, first in the second lane (its own process on two cores);
# "swap": blocks between the two renames that swap the new folder in.
# The sentinel holds the id of the process that blocked.
_BLOCKED_BUILD = """
import os, sys, time
from pathlib import Path
import mapgen.build as b

out, sentinel, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def block(note):
    sentinel.write_text(str(os.getpid()))
    time.sleep(600)

if mode in ("writer", "second lane"):
    original = b._lanes_of_writers
    def lanes(options):
        first, second = original(options)
        def blocked(result, staging, **kw):
            (staging / "half.txt").write_text("half written")
            block(mode)
            return []
        if mode == "writer":
            return [first[0], ("blocked", blocked), *first[1:]], second
        return first, [("blocked", blocked), *second]
    b._lanes_of_writers = lanes
else:
    rename = Path.rename
    def blocking_rename(self, target):
        moved = rename(self, target)
        if ".old-" in Path(target).name:
            block("swap")
        return moved
    Path.rename = blocking_rename
b.build(b.example_request(out))
"""


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie no one has reaped yet counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def kill_blocked_build(out: Path, mode: str, tmp_path: Path) -> int:
    """Start a build that blocks at ``mode``, SIGKILL it once it is there; return its pid.

    Waits for the process that blocked to be gone too, if it was another (the second lane's).
    """
    sentinel = tmp_path / f"blocked-{mode}"
    process = subprocess.Popen([sys.executable, "-c", _BLOCKED_BUILD, str(out), str(sentinel), mode], cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not sentinel.exists() or not sentinel.read_text():
            assert process.poll() is None, "the build ended before reaching the blocking point"
            assert time.monotonic() < deadline, "the build never reached the blocking point"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    blocked = int(sentinel.read_text())
    deadline = time.monotonic() + 10
    while blocked != process.pid and _alive(blocked):
        assert time.monotonic() < deadline, "the second lane's process outlived the build it belonged to"
        time.sleep(0.05)
    return process.pid


@pytest.fixture
def built(tmp_path: Path, first_build: dict[str, bytes]) -> Path:
    """An output folder holding the bundled example's outputs (as ``first_build``)."""
    out = tmp_path / "output"
    for name, data in first_build.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["writer", "second lane"])
def test_build_killed_while_writing_leaves_the_previous_outputs(
    built: Path, first_build: dict[str, bytes], tmp_path: Path, mode: str
) -> None:
    """Killed while a writer writes, in either lane: the second lane's process dies with the build."""
    (built / "report.html").write_bytes(b"previous report")  # tell the old outputs from new ones
    before = files_of(built)
    pid = kill_blocked_build(built, mode, tmp_path)
    assert files_of(built) == before
    staging = tmp_path / f".output.tmp-{pid}"
    assert (staging / "half.txt").exists()  # the killed build's leftovers, until the next build

    build(example_request(built))
    assert not staging.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == []
    assert files_of(built) == first_build


@pytest.mark.slow
def test_build_killed_between_the_renames_is_restored(
    built: Path, first_build: dict[str, bytes], tmp_path: Path
) -> None:
    pid = kill_blocked_build(built, "swap", tmp_path)
    assert not built.exists()
    retired = tmp_path / f".output.old-{pid}"
    assert files_of(retired) == first_build

    assert recover_interrupted(built) == [retired, tmp_path / f".output.tmp-{pid}"]
    assert files_of(built) == first_build
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == []


def test_leftovers_of_a_running_build_are_kept(built: Path, tmp_path: Path) -> None:
    """Another build still writing (its process alive) keeps its staging folder; unmarked ones are kept."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        try:
            staging, dead, foreign = (tmp_path / f".output.tmp-{pid}" for pid in (alive.pid, 999999998, 999999999))
            for folder in (staging, dead, foreign):
                folder.mkdir()
            for folder in (staging, dead):
                (folder / OUTPUT_MARKER).touch()
            assert recover_interrupted(built) == [dead]
            assert staging.exists() and not dead.exists()
            assert foreign.exists()  # no marker: not known to be mapgen's, never removed
        finally:
            alive.kill()


# --- writers that fail ------------------------------------------------------------------


@pytest.fixture
def failing_writer(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Put a writer last whose behaviour the test chooses (append a callable to the list).

    It is last in the second lane: on a machine with two cores it fails in the writers' second
    process, whose error must reach this one as it was raised.
    """
    behaviour: list[Any] = []
    original = build_module._lanes_of_writers

    def lanes(options: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
        first, second = original(options)
        return first, [*second, ("failing", lambda result, staging, **kw: behaviour[0](staging))]

    monkeypatch.setattr(build_module, "_lanes_of_writers", lanes)
    yield behaviour


def test_disk_full_is_an_output_error_and_keeps_the_outputs(
    built: Path, failing_writer: list[Any], tmp_path: Path
) -> None:
    def disk_full(staging: Path) -> list[Path]:
        raise OSError(28, "No space left on device", str(staging / "initiatives.gpkg"))

    failing_writer.append(disk_full)
    before = files_of(built)
    with pytest.raises(OutputError, match=r"^cannot write the outputs into .*output \(No space left on device: .*"
                       r"initiatives\.gpkg\); the previous outputs are unchanged\. Free some disk space"):
        build(example_request(built))
    assert files_of(built) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == []


@pytest.mark.parametrize(("code", "fix"), [
    (36, r"Choose a shorter file or folder name with --out\."),  # ENAMETOOLONG
    (13, r"Choose a folder you may write to with --out, or ask for write permission\."),  # EACCES
    (30, r"The disk is read-only: choose another --out\."),  # EROFS
])
def test_each_write_error_gives_its_own_fix(
    built: Path, failing_writer: list[Any], code: int, fix: str
) -> None:
    """Issue 20: not "Free some disk space" for a name too long or a permission denied."""

    def fail(staging: Path) -> list[Path]:
        raise OSError(code, os.strerror(code), str(staging / "initiatives.gpkg"))

    failing_writer.append(fail)
    with pytest.raises(OutputError, match=r"the previous outputs are unchanged\. " + fix + "$"):
        build(example_request(built))


def test_a_writer_writing_outside_the_folder_is_refused(
    built: Path, failing_writer: list[Any], tmp_path: Path
) -> None:
    failing_writer.append(lambda staging: [staging / ".." / "fuori.txt"])
    before = files_of(built)
    with pytest.raises(OutputError, match="outside the output folder"):
        build(example_request(built))
    assert files_of(built) == before


# --- the output folder ------------------------------------------------------------------


def test_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "output").write_text("not a folder")
    with pytest.raises(OutputError, match=r"output is a file, not a folder; choose another --out\.$"):
        check_output_folder(tmp_path / "output")


def test_refuses_a_folder_mapgen_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "documenti").mkdir()
    (tmp_path / "documenti" / "tesi.docx").write_text("important")
    with pytest.raises(OutputError, match="already holds files that mapgen did not write"):
        check_output_folder(tmp_path / "documenti")


@pytest.mark.parametrize("out", [".", "..", "out/../..", "sub/.."])
def test_refuses_the_current_folder_or_an_ancestor(
    out: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "lavoro"
    (here / "sub").mkdir(parents=True)
    monkeypatch.chdir(here)
    with pytest.raises(OutputError, match=r"is the current folder or holds it; .* such as --out output\.$"):
        check_output_folder(Path(out))


def test_refuses_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "casa"))
    (tmp_path / "casa").mkdir()
    with pytest.raises(OutputError, match="is your home folder or holds it"):
        check_output_folder(Path("~"))
    with pytest.raises(OutputError, match=r"^--out / is the current folder or holds it"):
        check_output_folder(Path("/"))


def test_refuses_a_folder_holding_an_input(built: Path) -> None:
    survey = built / "risposte.csv"
    with pytest.raises(OutputError, match=r"the input .*risposte\.csv is inside the output folder"):
        check_output_folder(built, inputs=[survey])


def test_cli_prints_the_refusal_on_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["build", "--out", "."])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --out . is the current folder or holds it; mapgen replaces its output folder as a whole. "
        "Give a folder of its own, such as --out output.\n"
    )


def test_symlinks_never_lead_outside(built: Path, tmp_path: Path) -> None:
    """A link inside the old outputs, or planted where the staging folder goes, is not followed."""
    outside = tmp_path / "fuori"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (built / "collegamento").symlink_to(outside, target_is_directory=True)
    (tmp_path / f".output.tmp-{os.getpid()}").symlink_to(outside, target_is_directory=True)
    build(example_request(built))
    assert files_of(outside) == {"keep.txt": b"keep"}
    assert not (built / "collegamento").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fuori", "output"]


def test_refuses_a_link_to_a_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "foto"
    foreign.mkdir()
    (foreign / "mare.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "output").symlink_to(foreign, target_is_directory=True)
    with pytest.raises(OutputError, match="already holds files that mapgen did not write"):
        check_output_folder(tmp_path / "output")


def test_layer_names_from_the_inputs_stay_inside(tmp_path: Path) -> None:
    """Names that become file names (carried layers, their groups) cannot lead out of the folder."""
    point = {"type": "Point", "coordinates": [12.4964, 41.9028]}
    feature = {"type": "Feature", "geometry": point, "properties": {"name": "Pratica", "comune": "Roma"}}
    layers = [
        {"type": "FeatureCollection", "_umap_options": {"name": name}, "features": [feature]}
        for name in ("Iniziative", "../../fuori", "/etc/passwd", "..", "C:\\Windows\\system32")
    ]
    previous = tmp_path / "input" / "mappa.umap"
    previous.parent.mkdir()
    previous.write_text(json.dumps({"type": "umap", "properties": {"name": "../.."}, "layers": layers}))
    out = tmp_path / "deep" / "output"
    build(BuildRequest(survey=None, previous=(previous,), out_dir=out, initiative_layers=("Iniziative",)))
    everything = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert [p for p in everything if not p.startswith(("input", "deep/output"))] == ["deep"]
    assert len(list((out / "layers").glob("precedente-*.geojson"))) == 4
