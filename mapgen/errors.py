"""The exceptions mapgen raises.

Every error a user can cause derives from :class:`MapgenError`; the CLI prints
its message as ``Error: …`` and exits with status 1. Leaves also derive from the
builtin they resemble, so callers may catch ``ValueError`` or ``OSError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "INTERNAL_ERROR_EXIT",
    "ConfigError",
    "CorrectionsError",
    "GazetteerError",
    "GeocoderError",
    "InputError",
    "MapgenError",
    "OutputError",
    "PublishConflictError",
    "PublishError",
    "PublishPermissionError",
    "UnreadableFileError",
    "os_error_line",
    "output_fix",
    "save_traceback",
]


class MapgenError(Exception):
    """Base class of every error mapgen raises on purpose.

    Its text never holds a secret in use (:func:`mapgen.remote.secrets.redact`): messages may quote
    what a server answered, and a server may echo the password or the session cookie.
    """

    def __str__(self) -> str:
        from mapgen.remote.secrets import redact

        return redact(super().__str__())


class InputError(MapgenError, ValueError):
    """An input file (survey, previous map) cannot be used as it is."""


class UnreadableFileError(InputError):
    """An input file is missing, empty, binary, truncated or in an unknown format."""


class ConfigError(MapgenError, ValueError):
    """The mapping/config file is malformed or names unknown fields."""


class GazetteerError(MapgenError, ValueError):
    """The gazetteer files or the ISTAT sources used to build them are missing or malformed."""


class GeocoderError(MapgenError, ValueError):
    """A geocoder was asked for with an unknown name or impossible options."""


class OutputError(MapgenError, OSError):
    """The outputs could not be written (path outside the output folder, disk error)."""


def output_fix(exc: OSError, *, option: str = "--out") -> str:
    """The fix for a failed write, by its cause: disk full, name too long, permission, read-only.

    Examples
    --------
    >>> import errno
    >>> output_fix(OSError(errno.ENAMETOOLONG, "File name too long"))
    'Choose a shorter file or folder name with --out.'
    """
    import errno

    fixes = {
        errno.ENOSPC: f"Free some disk space or choose another {option} on another disk.",
        errno.EDQUOT: f"Free some disk space (your quota is full) or choose another {option}.",
        errno.ENAMETOOLONG: f"Choose a shorter file or folder name with {option}.",
        errno.EACCES: f"Choose a folder you may write to with {option}, or ask for write permission.",
        errno.EPERM: f"Choose a folder you may write to with {option}, or ask for write permission.",
        errno.EROFS: f"The disk is read-only: choose another {option}.",
        errno.ENOTDIR: f"A part of the path is a file, not a folder: choose another {option}.",
        errno.EISDIR: f"The path is a folder: give a file name with {option}.",
    }
    if getattr(exc, "winerror", None) in _WINDOWS_FILE_IN_USE:
        return ("A file there is open in another program (Excel, a browser, an editor): close it and "
                "try again.")
    if getattr(exc, "winerror", None) == _WINDOWS_ACCESS_DENIED:
        return (f"If it or a file in it is open in another program (Excel, a browser), close it; else "
                f"choose a folder you may write to with {option}.")
    return fixes.get(exc.errno or 0, f"Check the path and the disk, or choose another {option}.")


#: Windows' ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION: another program holds the file open.
_WINDOWS_FILE_IN_USE = frozenset({32, 33})
#: Windows' ERROR_ACCESS_DENIED: no permission, or a folder whose file is open cannot be renamed.
_WINDOWS_ACCESS_DENIED = 5


#: Exit status of the CLI for a bug (an exception that is not a MapgenError): BSD EX_SOFTWARE.
INTERNAL_ERROR_EXIT = 70


def save_traceback(exc: BaseException) -> str:
    """Write ``exc``'s traceback to a log file in the cache or temp folder; return where.

    Never in the output folder (which may be published), never raising: a bug report
    must not hide behind a second error. Returns a description when nothing could be saved.
    The log is private (mode 0600, a new file of an unpredictable name, never through a
    link) and holds no secret in use (:func:`mapgen.remote.secrets.redact`): a traceback may quote
    what a server answered.
    """
    import os
    import tempfile
    import time
    import traceback
    from pathlib import Path

    from mapgen.remote.secrets import redact

    text = redact("".join(traceback.format_exception(exc)))
    prefix = f"mapgen-error-{time.strftime('%Y%m%d-%H%M%S')}-"
    for folder in _log_folders():
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, a random name (the temp folder
            # is shared: a predictable name could be taken first, or be a link to another file).
            handle, name = tempfile.mkstemp(prefix=prefix, suffix=".log", dir=folder)
        except (OSError, RuntimeError):  # RuntimeError: no home folder
            continue
        try:
            with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as stream:
                stream.write(text)
        except OSError:
            Path(name).unlink(missing_ok=True)
            continue
        return name
    return "(no log could be written: the cache and temp folders are not writable)"


def _log_folders() -> list[Path]:
    """Where error logs go: the user's cache folder, else the temp folder."""
    import os
    import tempfile
    from pathlib import Path

    folders = [Path(tempfile.gettempdir())]
    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mapgen" / "errors"
    except RuntimeError:  # no home folder
        return folders
    return [cache, *folders]


def os_error_line(exc: OSError) -> str:
    """One line for a file-system error that reached the command line: the name, the cause, the fix.

    A name longer than the file system allows, a permission, a read-only disk, a full disk:
    the user's environment, not a bug. Long names are shortened in the message.
    """
    import errno

    name = str(exc.filename or "")
    shown = name if len(name) <= 80 else f"{name[:40]}…{name[-30:]} ({len(name)} characters)"
    if exc.errno == errno.ENAMETOOLONG:
        return f"the name {shown} is longer than the file system allows. Choose a shorter file or folder name."
    fix = output_fix(exc, option="another path").replace("--", "")
    return f"{shown or 'a file'}: {exc.strerror or exc}. {fix}"


class PublishError(MapgenError, RuntimeError):
    """Publishing to an uMap failed: bad address, not an uMap, network, session or size."""


class PublishPermissionError(PublishError, PermissionError):
    """The uMap session is missing or expired, or its user may not edit the map."""


class PublishConflictError(PublishError):
    """Someone saved a layer between mapgen's read and its write; mapgen stopped."""


class CorrectionsError(InputError):
    """The corrections file contradicts itself (two lines decide the same record differently)."""
