"""mapgen.build on Windows: the output folder's replacement and the "still running" probe.

Run here with Windows' behaviour forced: ``Path.rename`` that refuses an existing target and a
folder holding a file open in another program (what ``MoveFileEx`` does), a fake ``kernel32``
for the process probe. What only a Windows machine can show (real locks held by Excel, the
real ``OpenProcess``) is listed in docs/windows.md.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapgen import build as build_module
from mapgen.errors import output_fix

ORIGINAL_RENAME = Path.rename


def sharing_violation(path: Path) -> PermissionError:
    """The error Windows raises for a file another program holds open (winerror 32)."""
    error = PermissionError(errno.EACCES, "The process cannot access the file because it is being used "
                            "by another process", str(path))
    error.winerror = 32  # type: ignore[attr-defined]  # set by CPython on Windows only
    return error


class WindowsRenames:
    """``Path.rename`` as on Windows: never over an existing path; busy while a file inside is locked."""

    def __init__(self) -> None:
        self.locked: dict[Path, int] = {}  # file -> how many more attempts find it locked (-1: always)
        self.calls: list[tuple[str, str]] = []

    def __call__(self, source: Path, target: Any) -> Path:
        target = Path(target)
        self.calls.append((source.name, target.name))
        if target.exists():
            error = FileExistsError(errno.EEXIST, "Cannot create a file when that file already exists",
                                    str(source))
            error.winerror = 183  # type: ignore[attr-defined]
            raise error
        for file, left in list(self.locked.items()):
            if file.is_relative_to(source) and left != 0:
                self.locked[file] = left - 1
                raise sharing_violation(file)
        return ORIGINAL_RENAME(source, target)


@pytest.fixture
def windows_renames(monkeypatch: pytest.MonkeyPatch) -> Iterator[WindowsRenames]:
    renames = WindowsRenames()
    monkeypatch.setattr(Path, "rename", lambda self, target: renames(self, target))
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    yield renames


def folder(path: Path, content: str) -> Path:
    path.mkdir()
    (path / "report.csv").write_text(content, encoding="utf-8")
    (path / build_module.OUTPUT_MARKER).write_text("mapgen\n", encoding="utf-8")
    return path


def test_an_existing_output_folder_is_replaced_on_windows(tmp_path: Path, windows_renames: WindowsRenames) -> None:
    target = folder(tmp_path / "output", "old")
    staging = folder(tmp_path / f".output.tmp-{os.getpid()}", "new")
    build_module._swap_into_place(staging, target)
    assert (target / "report.csv").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_a_file_held_for_a_moment_is_waited_for(tmp_path: Path, windows_renames: WindowsRenames) -> None:
    """A virus scanner or the search indexer holds a new file for a moment: try again, then go on."""
    target = folder(tmp_path / "output", "old")
    staging = folder(tmp_path / f".output.tmp-{os.getpid()}", "new")
    windows_renames.locked[target / "report.csv"] = 2
    build_module._swap_into_place(staging, target)
    assert (target / "report.csv").read_text(encoding="utf-8") == "new"
    assert len(windows_renames.calls) == 4  # two refused, then the old aside and the new in place


def test_a_file_open_in_excel_leaves_the_old_outputs_and_says_close_it(
    tmp_path: Path, windows_renames: WindowsRenames
) -> None:
    target = folder(tmp_path / "output", "old")
    staging = folder(tmp_path / f".output.tmp-{os.getpid()}", "new")
    windows_renames.locked[target / "report.csv"] = -1
    with pytest.raises(PermissionError) as raised:
        build_module._swap_into_place(staging, target)
    assert (target / "report.csv").read_text(encoding="utf-8") == "old"
    assert output_fix(raised.value) == (
        "A file there is open in another program (Excel, a browser, an editor): close it and try again."
    )


def test_the_old_outputs_come_back_when_the_new_folder_cannot_move(
    tmp_path: Path, windows_renames: WindowsRenames
) -> None:
    """The second rename fails (a file of the staging folder held open): no build leaves no outputs."""
    target = folder(tmp_path / "output", "old")
    staging = folder(tmp_path / f".output.tmp-{os.getpid()}", "new")
    windows_renames.locked[staging / "report.csv"] = -1
    with pytest.raises(PermissionError):
        build_module._swap_into_place(staging, target)
    assert (target / "report.csv").read_text(encoding="utf-8") == "old"
    assert not (tmp_path / f".output.old-{os.getpid()}").exists()


def test_access_denied_on_windows_names_open_files_too() -> None:
    error = PermissionError(errno.EACCES, "Access is denied", "C:\\Users\\anna\\output")
    error.winerror = 5  # type: ignore[attr-defined]
    assert output_fix(error) == ("If it or a file in it is open in another program (Excel, a browser), close "
                                 "it; else choose a folder you may write to with --out.")


# --- "is the build that left this folder still running?" ----------------------------------------


class FakeKernel32:
    """The three calls of kernel32 the probe makes, answering as Windows would for ``processes``."""

    def __init__(self, processes: dict[int, int | None]) -> None:
        self.processes = processes  # pid -> exit code (259 STILL_ACTIVE), None: another user's
        self.last_error = 0
        self.closed: list[int] = []

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:  # Windows API names
        assert access == 0x1000 and inherit is False
        if pid not in self.processes:
            self.last_error = 87  # ERROR_INVALID_PARAMETER: no such process
            return 0
        if self.processes[pid] is None:
            self.last_error = 5  # ERROR_ACCESS_DENIED
            return 0
        return pid + 10_000

    def GetLastError(self) -> int:
        return self.last_error

    def GetExitCodeProcess(self, handle: int, code: Any) -> int:
        code._obj.value = self.processes[handle - 10_000]
        return 1

    def CloseHandle(self, handle: int) -> int:
        self.closed.append(handle)
        return 1


@pytest.mark.parametrize(
    ("pid", "running"),
    [(4242, True), (4243, False), (4244, True), (9999, False)],
    ids=["running", "exited-but-held-open", "another-user", "no-such-process"],
)
def test_the_process_probe_asks_windows(pid: int, running: bool) -> None:
    kernel32 = FakeKernel32({4242: 259, 4243: 0, 4244: None})
    assert build_module._running_on_windows(pid, kernel32) is running
    assert kernel32.closed == ([pid + 10_000] if pid in (4242, 4243) else [])


def test_the_probe_never_signals_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows ``os.kill(pid, 0)`` is TerminateProcess: probing would kill the other build."""

    def kill(pid: int, sig: int) -> None:
        raise AssertionError(f"os.kill({pid}, {sig}) called on Windows")

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(ctypes, "windll", type("windll", (), {"kernel32": FakeKernel32({4242: 259})}),
                        raising=False)
    assert build_module._running(4242, windows=True) is True
    assert build_module._running(4243, windows=True) is False
