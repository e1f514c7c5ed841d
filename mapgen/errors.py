"""The exceptions mapgen raises.

Every error a user can cause derives from :class:`MapgenError`; the CLI prints
its message as ``Error: …`` and exits with status 1. Leaves also derive from the
builtin they resemble, so callers may catch ``ValueError`` or ``OSError``.
"""

from __future__ import annotations

__all__ = [
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
]


class MapgenError(Exception):
    """Base class of every error mapgen raises on purpose."""


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


class PublishError(MapgenError, RuntimeError):
    """Publishing to an uMap failed: bad address, not an uMap, network, session or size."""


class PublishPermissionError(PublishError, PermissionError):
    """The uMap session is missing or expired, or its user may not edit the map."""


class PublishConflictError(PublishError):
    """Someone saved a layer between mapgen's read and its write; mapgen stopped."""


class CorrectionsError(InputError):
    """The corrections file contradicts itself (two lines decide the same record differently)."""
