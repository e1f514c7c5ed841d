"""What every command shares: --help's value names, the ``Error: …`` way out, the progress bar.

Importing this module patches Typer so that --help shows flags alone and values as people read
command lines; :mod:`mapgen.cli` imports it before any command is shown.
"""

from __future__ import annotations

import errno
import functools
import os
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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


# --- how values are read, without pydantic ------------------------------------------------------
# Typer 0.29 reads every value through a pydantic TypeAdapter built when a command runs: importing
# pydantic and building the adapters took 0.2 s of every command (a third of what `mapgen build`
# does before reading a byte). mapgen's parameters are text, paths, flags and lists of them, with
# typer's default checks. For those the adapters only wrap typer's own functions (a path goes
# through typer's coerce_cli_path) and a flag is already a bool, so they are read here directly.
# Any other parameter (a number, a choice, a path with exists=...) goes through typer's adapter.
_PLAIN_ITEMS: frozenset[type] = frozenset({str, Path, bool})


def _plain_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list and len(typing.get_args(annotation)) == 1


def _plain_item(annotation: Any) -> type | None:
    """``str``, ``Path`` or ``bool`` for a parameter of text, a path, a flag or a list of them; None else."""
    item = typing.get_args(annotation)[0] if _plain_list(annotation) else annotation
    return item if item in _PLAIN_ITEMS else None


#: Typer's checks of a value, as they are when a parameter sets none of them.
_DEFAULT_CHECKS: dict[str, Any] = {"parser": None, "exists": False, "resolve_path": False, "path_type": None,
                                   "allow_dash": False, "readable": True, "writable": False,
                                   "file_okay": True, "dir_okay": True}


def _has_default_checks(info: Any) -> bool:
    return all(getattr(info, name, default) == default for name, default in _DEFAULT_CHECKS.items())


try:
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_path

    @dataclass(frozen=True)
    class _PlainRuntimeParam(RuntimeParam):
        """Text and paths read as typer's adapters read them, without building one."""

        item: type
        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if _plain_list(self.annotation):
                values = value if isinstance(value, (list, tuple)) else [value]
                return [self._one(v, param, ctx) for v in values]
            return self._one(value, param, ctx)

        def _one(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.item is Path:
                if isinstance(value, (str, Path)):
                    return coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
            elif isinstance(value, self.item):  # text as typed, a flag as given
                return value
            # Not what the command line gives (bytes, a number as default): typer's own way.
            return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def _runtime_param(self: _TyperParameter) -> Any:
        """Typer's lazy coercion of one parameter; a plain one for text, paths and flags."""
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            item = _plain_item(descriptor.annotation)
            if item is not None and descriptor.file_annotation is None and _has_default_checks(
                    descriptor.parameter_info):
                self._runtime_param = _PlainRuntimeParam(
                    descriptor.parameter_info, descriptor.annotation, item, descriptor)
        return _ORIGINAL_RUNTIME_PARAM(self)

    _ORIGINAL_RUNTIME_PARAM = _TyperParameter.get_runtime_param
    _TyperParameter.get_runtime_param = _runtime_param  # type: ignore[method-assign]
except (ImportError, AttributeError):  # another typer: its own adapters, as it ships them
    pass


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
