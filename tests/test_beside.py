"""Two pieces of the build side by side (:mod:`mapgen._beside`): the second in a forked process where it can be.

Each test runs the lanes forked (``fork=True``: a real child process, Linux) and, where the
answer must not depend on it, one after the other.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapgen._beside import Tickets, run_beside
from mapgen.errors import OutputError

log = logging.getLogger("mapgen.test_beside")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() does not exist on this system")


@pytest.mark.parametrize("fork", [True, False])
def test_both_write_and_their_answers_come_back(tmp_path: Path, fork: bool) -> None:
    def here() -> list[Path]:
        (tmp_path / "a.txt").write_text("a")
        return [Path("a.txt")]

    def there() -> list[Path]:
        (tmp_path / "b.txt").write_text(f"written by {os.getpid()}")
        return [Path("b.txt")]

    assert run_beside(here, there, fork=fork) == ([Path("a.txt")], [Path("b.txt")])
    written_by = int((tmp_path / "b.txt").read_text().removeprefix("written by "))
    assert (written_by != os.getpid()) is fork


def test_the_second_process_warnings_are_logged_here(caplog: pytest.LogCaptureFixture) -> None:
    def there() -> list[Path]:
        log.warning("no boundary for %s: written without geometry", ["099999"])
        return []

    with caplog.at_level(logging.WARNING):
        run_beside(list, there, fork=True)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("mapgen.test_beside", "no boundary for ['099999']: written without geometry")
    ]


def test_an_error_in_the_second_process_is_raised_here_as_it_was(tmp_path: Path) -> None:
    def there() -> list[Path]:
        raise OSError(28, "No space left on device", str(tmp_path / "initiatives.gpkg"))

    with pytest.raises(OSError) as raised:
        run_beside(list, there, fork=True)
    assert (raised.value.errno, raised.value.filename) == (28, str(tmp_path / "initiatives.gpkg"))
    assert "Raised in the build's second process" in "".join(raised.value.__notes__)


def test_an_error_that_does_not_pickle_still_arrives() -> None:
    class Odd(Exception):
        def __init__(self, a: int, *, b: int) -> None:  # keyword-only: pickle cannot make it again
            super().__init__(f"odd {a} {b}")

    def there() -> list[Path]:
        raise Odd(1, b=2)

    with pytest.raises(RuntimeError, match=r"^Odd: odd 1 2\n"):
        run_beside(list, there, fork=True)


def test_a_second_process_that_dies_is_an_output_error() -> None:
    def there() -> list[Path]:
        os._exit(9)

    with pytest.raises(OutputError, match=r"exit code 9\).*previous outputs are unchanged"):
        run_beside(list, there, fork=True)


def test_when_this_side_fails_the_other_is_stopped_before_the_error_leaves(tmp_path: Path) -> None:
    late = tmp_path / "late.txt"

    def here() -> list[Path]:
        time.sleep(0.2)  # the child is running
        raise KeyboardInterrupt

    def there() -> list[Path]:
        time.sleep(1.5)
        late.write_text("written into a folder the caller has removed")
        return []

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_beside(here, there, fork=True)
    assert time.monotonic() - started < 1.4  # not waited for: its 1.5 s sleep began after started
    time.sleep(2)
    assert not late.exists()


def test_waiting_is_said_once_between_the_two() -> None:
    said: list[str] = []

    def here() -> list[Path]:
        said.append("here")
        return []

    for fork in (True, False):
        said.clear()
        run_beside(here, list, waiting=lambda: said.append("waiting"), fork=fork)
        assert said == ["here", "waiting"]


def test_a_warning_in_the_second_process_comes_back_as_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    import warnings

    def there() -> list[Path]:
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # the suite turns warnings into errors
            warnings.warn("invalid value encountered in intersection", RuntimeWarning, stacklevel=1)
        return []

    with caplog.at_level(logging.WARNING):
        run_beside(list, there, fork=True)
    assert [r.name for r in caplog.records] == ["py.warnings"]
    assert "RuntimeWarning: invalid value encountered in intersection" in caplog.records[0].getMessage()


def test_without_memory_for_a_copy_the_two_run_here_one_after_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mapgen._beside as beside

    if not beside.can_fork():
        pytest.skip("this machine does not fork a second process (one core, or not Linux)")
    real = beside._kilobytes
    monkeypatch.setattr(beside, "_kilobytes",
                        lambda path, field: 1024 if field == "MemAvailable" else real(path, field))
    assert not beside.can_fork()

    def there() -> int:
        return os.getpid()

    assert run_beside(list, there) == ([], os.getpid())


# --- the build's second lane (mapgen.build._second_lane) ---------------------------------------


@pytest.mark.parametrize("fork", [True, False])
def test_pyogrio_comes_alone_only_in_a_process_of_its_own(monkeypatch: pytest.MonkeyPatch, fork: bool) -> None:
    """Left out of pyogrio's import, the DataFrame libraries would break geopandas.read_file for the
    rest of the process: only a second process, which ends with its lane, imports it so."""
    from mapgen import build
    from mapgen.gazetteer import load_gazetteer
    from mapgen.writers import gis

    started_in = os.getpid()

    def lane() -> bool:
        called: list[bool] = []
        monkeypatch.setattr(gis, "import_pyogrio_alone", lambda: called.append(True))
        build._second_lane(lambda writers, **_: [], [], gazetteer=load_gazetteer(), started_in=started_in, done=0)
        return bool(called)

    assert run_beside(lambda: None, lane, fork=fork)[1] is fork


@pytest.mark.parametrize("fork", [True, False])
def test_each_ticket_is_taken_once_by_either_side(fork: bool) -> None:
    import multiprocessing

    tickets = Tickets(200)
    context = multiprocessing.get_context("fork")
    here_took_one, there_took_one = context.Event(), context.Event()

    def take_all(mine: Any, theirs: Any) -> list[int]:
        taken: list[int] = []
        while (number := tickets.take()) is not None:
            if not taken and fork:  # each takes some, however loaded the machine (see the handout's test)
                mine.set()
                theirs.wait(timeout=20)
            taken.append(number)
            time.sleep(0.0005)  # both sides ask while the other does its piece
        return taken

    here, there = run_beside(
        lambda: take_all(here_took_one, there_took_one), lambda: take_all(there_took_one, here_took_one), fork=fork
    )
    assert sorted(here + there) == list(range(200))
    if fork:  # two processes asking at once: each took some (a lock-free counter would give doubles)
        assert here and there
    else:  # one after the other: the first takes them all
        assert (here, there) == (list(range(200)), [])


def test_the_lanes_done_first_write_each_half_of_the_report_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each half of the report is written once, by whichever lane asks first, and the build's files are whole."""
    import mapgen.build as build_module

    writers = tmp_path / "report-written-by.txt"  # a file: the writer may run in the other process
    original = build_module._writers_for_either_lane

    def counted_one(name: str, writer: Any) -> Any:
        def write(*args: object, **kwargs: object) -> list[Path]:
            with writers.open("a") as lines:
                lines.write(f"{name} {os.getpid()}\n")
            return writer(*args, **kwargs)  # type: ignore[no-any-return]

        return write

    def counted() -> list[tuple[str, object]]:
        return [(name, counted_one(name, writer)) for name, writer in original()]

    monkeypatch.setattr(build_module, "_writers_for_either_lane", counted)
    build_module.build(build_module.example_request(tmp_path / "out"))
    assert sorted(line.split()[0] for line in writers.read_text().splitlines()) == ["report.csv", "report.html"]
    for name in ("report.html", "report.csv", "initiatives.gpkg", "map.umap", "preview.html"):
        assert (tmp_path / "out" / name).is_file(), name


# --- a handout: items known part-way, shared in chunks ---------------------------------------


@pytest.mark.parametrize("fork", [True, False])
def test_each_handed_out_item_is_taken_once_by_either_side(fork: bool) -> None:
    import multiprocessing

    from mapgen._beside import Handout

    handout: Handout[int] = Handout(beside=fork, chunk=3)
    context = multiprocessing.get_context("fork")
    here_took_one, there_took_one = context.Event(), context.Event()

    def take_after_the_other(chunks: Iterator[list[int]], mine: Any, theirs: Any) -> list[int]:
        """Both sides take some, however loaded the machine: each, holding its first chunk,
        waits until the other holds one (the other cannot find the handout empty meanwhile)."""
        taken: list[int] = []
        for chunk in chunks:
            if not taken and fork:
                mine.set()
                theirs.wait(timeout=20)
            taken += chunk
        return taken

    def here() -> list[int]:
        time.sleep(0.05)  # the items are known part-way, as the survey's places are
        handout.offer(range(600))
        return take_after_the_other(handout.chunks(), here_took_one, there_took_one)

    def there() -> list[int]:
        return take_after_the_other(handout.chunks_beside(), there_took_one, here_took_one)

    try:
        mine, theirs = run_beside(here, there, fork=fork)
    finally:
        handout.close()
    assert sorted(mine + theirs) == list(range(600))
    assert len(set(mine + theirs)) == 600
    if fork:  # the other process took a share
        assert mine and theirs
    else:  # one after the other: here took them all, and nothing was sent
        assert theirs == []


def test_handing_out_never_waits_for_the_other_side_to_read() -> None:
    """Items beyond the pipe's buffer (64 KB) are written from a thread: here goes on working
    while there is still busy with its own part (at 10,000 initiatives, the previous maps)."""
    import multiprocessing

    from mapgen._beside import Handout

    handout: Handout[str] = Handout(beside=True, chunk=1_000)
    here_went_on = multiprocessing.get_context("fork").Event()

    def here() -> int:
        handout.offer([f"place {n}" for n in range(50_000)])  # about 700 KB pickled
        here_went_on.set()
        return sum(len(chunk) for chunk in handout.chunks())

    def there() -> tuple[bool, int]:
        went_on = here_went_on.wait(timeout=20)  # only then read what here handed out
        return went_on, sum(len(chunk) for chunk in handout.chunks_beside())

    try:
        mine, (went_on, theirs) = run_beside(here, there, fork=True)
    finally:
        handout.close()
    assert went_on
    assert mine + theirs == 50_000


def test_an_error_before_handing_out_stops_the_other_side_waiting_for_the_items() -> None:
    from mapgen._beside import Handout

    handout: Handout[int] = Handout(beside=True, chunk=10)

    def here() -> None:
        raise ValueError("the survey is unreadable")

    def there() -> int:
        return sum(len(chunk) for chunk in handout.chunks_beside())  # waits for items that never come

    started = time.monotonic()
    with pytest.raises(ValueError, match="unreadable"):
        try:
            run_beside(here, there, fork=True)
        finally:
            handout.close()
    assert time.monotonic() - started < 10
