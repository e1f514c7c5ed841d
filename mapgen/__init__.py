"""mapgen: survey records of local family-policy initiatives to publishable maps.

The public API is listed in ``__all__``; names are imported lazily so that
``import mapgen`` stays cheap (geopandas and folium load only when used).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "MapgenError": "mapgen.errors",
    "InputError": "mapgen.errors",
    "UnreadableFileError": "mapgen.errors",
    "ConfigError": "mapgen.errors",
    "GazetteerError": "mapgen.errors",
    "GeocoderError": "mapgen.errors",
    "OutputError": "mapgen.errors",
    "Comune": "mapgen.model",
    "Initiative": "mapgen.model",
    "MapInitiative": "mapgen.model",
    "Match": "mapgen.model",
    "MatchStatus": "mapgen.model",
    "RowOutcome": "mapgen.model",
    "BuildResult": "mapgen.model",
    "OutputOptions": "mapgen.model",
    "Gazetteer": "mapgen.gazetteer",
    "load_gazetteer": "mapgen.gazetteer",
}

__all__ = [
    "BuildResult",
    "Comune",
    "ConfigError",
    "Gazetteer",
    "GazetteerError",
    "GeocoderError",
    "Initiative",
    "InputError",
    "MapInitiative",
    "MapgenError",
    "Match",
    "MatchStatus",
    "OutputError",
    "OutputOptions",
    "RowOutcome",
    "UnreadableFileError",
    "load_gazetteer",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mapgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from mapgen.errors import (
        ConfigError,
        GazetteerError,
        GeocoderError,
        InputError,
        MapgenError,
        OutputError,
        UnreadableFileError,
    )
    from mapgen.gazetteer import Gazetteer, load_gazetteer
    from mapgen.model import (
        BuildResult,
        Comune,
        Initiative,
        MapInitiative,
        Match,
        MatchStatus,
        OutputOptions,
        RowOutcome,
    )
