"""What every command shares: --help's value names, the ``Error: …`` way out, the progress bar.

Importing this module patches Typer so that --help shows flags alone and values as people read
command lines; :mod:`mapgen.cli` imports it before any command is shown.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperOption, _TyperParameter

from mapgen.errors import MapgenError
from mapgen.i18n import _

if TYPE_CHECKING:
    from rich.progress import TaskID

P = ParamSpec("P")
R = TypeVar("R")


# --- how --help shows options and arguments --------------------------------------------------
# Typer 0.2x prints a type after every option, flags included ("--strict <bool>", "--help <bool>")
# and Python's names for lists ("<list[Path]>"). Shown as people read command lines instead, one
# style everywhere: a flag alone, a value as click writes it (PATH, TEXT, INTEGER, one of a|b),
# an argument by its name in capitals. Repeatable options say so in their help.
_HELP_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "file": "FILE",
               "directory": "DIRECTORY", "bool": "BOOLEAN"}


def _help_type(self: _TyperParameter, ctx: Any) -> str:
    """``PATH``, ``TEXT``, ``a|b``: the value an option or argument takes, in --help."""
    label = _ORIGINAL_DISPLAY_TYPE(self, ctx).strip("<>")
    inner = label.removeprefix("list[").removesuffix("]")
    if "|" in inner:
        return inner
    return _HELP_TYPES.get(inner.lower(), inner.upper())


def _help_type_rich(self: TyperOption, ctx: Any) -> str | None:
    """No value shown for a flag (``--strict``, ``--help``); the option's metavar else."""
    if self.is_flag or self.count:
        return None
    return self.metavar if self.metavar is not None else _help_type(self, ctx)


_ORIGINAL_DISPLAY_TYPE = _TyperParameter.display_type
_TyperParameter.display_type = _help_type  # type: ignore[method-assign]
TyperOption.display_type_rich = _help_type_rich  # type: ignore[method-assign]


def tolerant_console() -> None:
    """Never fail on a character the console cannot show: write ``?`` instead.

    A Windows console redirected or piped (and ``PYTHONIOENCODING=cp1252``) encodes with the
    ANSI code page, which lacks "č", "→" and many more: a Comune such as "Sovodnje ob Soči"
    would stop the command with ``UnicodeEncodeError``. UTF-8 streams are left as they are.
    """
    import codecs
    import io
    import sys

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(encoding).name != "utf-8":
            stream.reconfigure(errors="replace")


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int | None], None]]:
    """A Rich progress bar (with ETA) fed by the library's ``progress(step, done, total)`` calls."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield update


def fail(message: str) -> typer.Exit:
    typer.echo(_("Error: {message}", message=message), err=True)
    return typer.Exit(code=1)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MapgenError raised by a command into ``Error: …`` and exit status 1.

    Any other exception is a bug: one line and exit status 70, the traceback in a log
    file (:func:`mapgen.errors.save_traceback`). ``MAPGEN_DEBUG=1`` lets it through.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MapgenError as exc:
            raise fail(str(exc)) from None
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own way out, not a bug
            raise
        except OSError as exc:
            if os.environ.get("MAPGEN_DEBUG"):
                raise
            if exc.errno not in _USER_OS_ERRORS:
                raise internal_error(exc) from None
            from mapgen.errors import os_error_line

            raise fail(os_error_line(exc)) from None
        except Exception as exc:
            if os.environ.get("MAPGEN_DEBUG"):
                raise
            raise internal_error(exc) from None

    return wrapper


#: File-system errors that come from the user's files or disk, not from a bug: one ``Error:`` line.
_USER_OS_ERRORS = frozenset({
    errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ELOOP,
    errno.EISDIR, errno.ENOTDIR, errno.ENOENT, errno.EIO, errno.ENXIO, errno.ETXTBSY,
})  # fmt: skip


def internal_error(exc: Exception) -> typer.Exit:
    from mapgen.errors import INTERNAL_ERROR_EXIT, save_traceback

    log_file = save_traceback(exc)
    typer.echo(_("mapgen internal error ({kind}): this is a bug, please report it with the input files; "
                 "details in {log_file}", kind=type(exc).__name__, log_file=log_file), err=True)
    return typer.Exit(code=INTERNAL_ERROR_EXIT)
