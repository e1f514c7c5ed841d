"""Bounds on what a server may cost: the size of an answer and the whole time of a request.

A per-read timeout does not bound a server that sends one byte every few seconds, nor one
that drips its headers; a size check after reading does not bound an endless answer. These
helpers give the two bounds that do: :func:`within` runs a request against a deadline for
the whole of it, and :func:`read_bounded` stops reading past a size (and past the deadline).
Shared by ``mapgen fetch`` and ``mapgen publish``; no other mapgen module is imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Final, TypeVar

__all__ = ["MAX_ANSWER", "TOTAL_TIME", "AnswerTooLarge", "DeadlinePassed", "read_bounded", "within"]

T = TypeVar("T")

#: Largest answer read from a server (a map, a layer, a survey export), in bytes.
MAX_ANSWER: Final = 64 * 1024 * 1024
#: Longest time one request may take, connection, upload and answer included, in seconds.
TOTAL_TIME: Final = 300.0


class AnswerTooLarge(Exception):
    """The server's answer grew past the size limit; reading stopped there."""


class DeadlinePassed(Exception):
    """The request took longer than its whole time allows; waiting stopped there."""


def within(seconds: float, work: Callable[[], T]) -> T:
    """Run ``work`` (one request) and give its result, or stop waiting after ``seconds``.

    The request runs in a daemon thread, because no socket timeout bounds the whole of it
    (name resolution, headers dripped a byte at a time). When time is up the thread is left
    to end by itself: :func:`read_bounded` ends it at the next chunk, the client's read
    timeout at the latest.

    Raises
    ------
    DeadlinePassed
        ``work`` did not finish in time.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the waiting thread, which raises it
            failure.append(exc)

    worker = threading.Thread(target=run, name="mapgen-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlinePassed
    if failure:
        raise failure[0]
    return outcome[0]


def read_bounded(chunks: Iterable[bytes], *, limit: int, deadline: float) -> bytes:
    """Join ``chunks`` (an answer read as it arrives) up to ``limit`` bytes, before ``deadline``.

    ``deadline`` is a :func:`time.monotonic` time.

    Raises
    ------
    AnswerTooLarge
        The answer holds more than ``limit`` bytes.
    DeadlinePassed
        The answer was still arriving at ``deadline``.
    """
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise AnswerTooLarge
        if time.monotonic() > deadline:
            raise DeadlinePassed
    return bytes(body)
