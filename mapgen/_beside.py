"""Two pieces of the build side by side: one in a forked process when the machine has two cores.

:mod:`mapgen.build` reads the previous maps beside the survey, and runs the writers in two
lanes. Each piece needs nothing from the other. On Linux with two cores or more, ``there``
runs in a child process made with ``fork``: it inherits what it needs as it is in memory
(nothing is pickled going in), and what comes back is its answer (pickled: the files a lane
wrote, an edition read), its log records, or its error. Elsewhere (Windows has no ``fork``;
macOS's system libraries are not safe after it) or on one core, the pieces run one after the
other here, as they also do where the memory for a copy of this process is not available. The
answers are the same either way (a test checks the build's files).

Nothing in the child writes to the terminal: its log records and warnings are sent back and
logged here, so that a lock held at the fork by another thread (the progress bar's) is never
waited for.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mapgen.errors import OutputError
from mapgen.i18n import _

__all__ = ["Ahead", "Handout", "Tickets", "can_fork", "run_beside"]

Here = TypeVar("Here")
There = TypeVar("There")
Item = TypeVar("Item")


def can_fork() -> bool:
    """True where a second process runs beside this one: Linux, two cores or more available, and
    free memory for it (the two together may hold up to twice what this one holds now)."""
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) > 1 and _room_for_a_copy()


def _room_for_a_copy() -> bool:
    """True when the system's available memory exceeds this process's resident memory.

    Each process copies the memory pages it writes into, so at worst the two hold twice this
    one (at 10,000 initiatives, about 390 MB together, 375 MB in one process, whose writers
    import geopandas): where that would not fit, the build takes longer rather than push the
    machine into swapping.
    """
    try:
        available = _kilobytes("/proc/meminfo", "MemAvailable")
        resident = _kilobytes("/proc/self/status", "VmRSS")
    except (OSError, ValueError, StopIteration):
        return False
    return available > resident


def _kilobytes(path: str, field: str) -> int:
    with open(path, encoding="ascii") as lines:
        return int(next(line for line in lines if line.startswith(f"{field}:")).split()[1])


class Tickets:
    """Numbered pieces of work that either side of :func:`run_beside` may take, each taken once,
    by whichever side asks first: made before the sides start, they are shared across the fork
    (one integer in shared memory, behind its lock)."""

    def __init__(self, count: int) -> None:
        import multiprocessing

        self._count = count
        self._next = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None).Value("i", 0)

    def take(self) -> int | None:
        """The next piece's number (0, 1...), or None when all are taken."""
        with self._next.get_lock():
            number: int = self._next.value
            if number >= self._count:
                return None
            self._next.value = number + 1
            return number


class Handout(Generic[Item]):
    """Work that ``here`` of :func:`run_beside` knows of only part-way, shared with ``there``.

    ``here`` hands its items out (:meth:`offer`) and works through them a chunk at a time
    (:meth:`chunks`); ``there``, once done with its own work, takes the chunks still left
    (:meth:`chunks_beside`), each chunk taken once (:class:`Tickets`). The items cross in a
    pipe, written by a thread, so that ``here`` never waits for ``there`` to read them. Made
    before :func:`run_beside` with ``beside`` as its ``fork``: one after the other, ``here``
    takes every chunk and nothing is sent. :meth:`close` once :func:`run_beside` is done.
    """

    def __init__(self, *, beside: bool, chunk: int) -> None:
        self.beside = beside
        self._chunk = chunk
        self._items: list[Item] | None = None
        self._tickets = Tickets(2**31 - 1)  # chunks past the items' end are found empty
        self._sender: threading.Thread | None = None
        if beside:
            import multiprocessing

            self._receive, self._send = multiprocessing.get_context("fork").Pipe(duplex=False)

    def offer(self, items: Sequence[Item]) -> None:
        """Hand ``items`` out (once, from ``here``)."""
        self._items = list(items)
        if self.beside:
            data = pickle.dumps(self._items, protocol=pickle.HIGHEST_PROTOCOL)
            self._sender = threading.Thread(target=self._write, args=(data,), name="mapgen-handout", daemon=True)
            self._sender.start()

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # the other side ended (its error is raised by run_beside)
            self._send.send_bytes(data)

    def chunks(self) -> Iterator[list[Item]]:
        """The chunks not taken yet, each taken as it is asked for."""
        items = self._items or []
        while (number := self._tickets.take()) is not None and number * self._chunk < len(items):
            yield items[number * self._chunk : (number + 1) * self._chunk]

    def chunks_beside(self) -> Iterator[list[Item]]:
        """:meth:`chunks` for ``there``: in another process, once ``here`` has offered the items."""
        if self.beside and self._items is None:
            self._items = pickle.loads(self._receive.recv_bytes())
        return self.chunks()

    def close(self) -> None:
        """Close the pipe (a write still waiting for a reader then fails) and wait for the writer."""
        if self.beside:
            self._receive.close()
            if self._sender is not None:
                self._sender.join()
            self._send.close()


class Ahead(Generic[Item]):
    """A part of ``there``'s answer pickled ahead of the rest, while ``here`` is still busy: a
    side that takes a :class:`Handout`'s chunks once done with its own work pickles that work's
    answer first (at 100,000 initiatives, the previous maps: 2 s), so that ``here``, done with
    its share, does not wait for it. Kept as it is where nothing is pickled (``beside`` false)."""

    def __init__(self, value: Item, *, beside: bool) -> None:
        self._value: Item | None = None if beside else value
        self._data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) if beside else b""

    def value(self) -> Item:
        if self._value is None:
            self._value = _kept(pickle.loads, self._data)
            self._data = b""
        return self._value


def run_beside(here: Callable[[], Here], there: Callable[[], There], *, waiting: Callable[[], None] = lambda: None,
               fork: bool | None = None) -> tuple[Here, There]:
    """``(here(), there())``: ``there`` beside this process (one after the other where it cannot fork).

    ``waiting`` is called when ``there`` starts here or is waited for. The first error raised
    by either is raised here, ``here``'s first; when this process fails or is interrupted,
    the child is stopped before the error leaves, so that nothing writes into a staging folder
    the caller removes.
    """
    if not (can_fork() if fork is None else fork):
        done = here()
        waiting()
        return done, there()
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(there, send, os.getpid()), name="mapgen-beside", daemon=True)
    # The two processes share their memory pages until one of them writes into one: then it is
    # copied. Frozen until the child ends, the objects from before the fork are scanned by
    # neither garbage collector, whose writes into them would copy most pages of the build.
    gc.freeze()
    try:
        child.start()
        send.close()
        done = here()
        waiting()
        answer = _answer_of(receive, child)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        receive.close()
        gc.unfreeze()
    for record in answer.records:
        logging.getLogger(record.name).handle(record)
    if answer.error is not None:
        raise answer.error
    return done, answer.value


@dataclass
class _Answer:
    value: Any = None
    records: list[logging.LogRecord] = field(default_factory=list)
    error: BaseException | None = None


class _Collector(logging.Handler):
    """Keeps the child's log records, their message made (arguments may not pickle)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info, record.exc_text = None, None
        self.records.append(record)


def _child(work: Callable[[], Any], send: Any, parent: int) -> None:
    _die_with(parent)
    # Nothing reaches the terminal from here: the progress bar may have held the terminal's
    # lock at the fork (its streams stand in for sys.stdout/stderr), and would hold it forever.
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    collector = _Collector()
    logging.root.handlers = [collector]
    logging.captureWarnings(True)  # a library's warning comes back as a log record
    answer = _Answer(records=collector.records)
    try:
        answer.value = work()
    except BaseException as exc:  # every error goes back to the parent, which raises it
        answer.error = _picklable(exc)
    send.send(answer)
    send.close()


def _die_with(parent: int) -> None:
    """Have Linux kill this process when ``parent`` ends: a build killed leaves no writer behind
    (still writing into a staging folder the next build removes)."""
    import ctypes

    set_parent_death_signal = 1  # PR_SET_PDEATHSIG, <linux/prctl.h>
    ctypes.CDLL(None).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that says what it was; its traceback noted."""
    where = "".join(traceback.format_exception(exc))
    try:
        exc = pickle.loads(pickle.dumps(exc))
    except Exception:  # an exception class whose arguments do not pickle
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    exc.add_note(f"Raised in the build's second process:\n{where}")
    return exc


def _answer_of(receive: Any, child: Any) -> _Answer:
    try:
        answer: _Answer = _kept(receive.recv)
    except EOFError:  # the child died without a word (killed, out of memory)
        child.join()
        raise OutputError(_("the build's second process stopped without finishing (exit code {code}); "
                            "the previous outputs are unchanged. Run the build again; if it stops again, close "
                            "other programs (it may have run out of memory).", code=child.exitcode)) from None
    return answer


def _kept(unpickle: Callable[..., Item], *args: Any) -> Item:
    """``unpickle(*args)``, its objects kept out of the cyclic collector's passes: they all live
    to the end of the build, and each pass over them finds nothing (at 100,000 initiatives the
    previous maps' records: a pass of 0.1 s, then one of 0.4 s, each time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        value = unpickle(*args)
    finally:
        if collecting:
            gc.enable()
    gc.freeze()  # everything here into the oldest generation, without a pass: frozen, then let go
    gc.unfreeze()
    return value
