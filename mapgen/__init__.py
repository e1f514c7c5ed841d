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
    "Geocoder": "mapgen.geocoders",
    "read_survey": "mapgen.readers.survey",
    "SurveyRead": "mapgen.readers.survey",
    "load_config": "mapgen.config",
    "Config": "mapgen.config",
    "read_previous": "mapgen.readers.previous_map",
    "assign_comuni": "mapgen.geocoders.point_in_polygon",
    "PreviousEdition": "mapgen.readers.previous_map",
    "merge_editions": "mapgen.merge",
    "BuildRequest": "mapgen.build",
    "build": "mapgen.build",
    "run_pipeline": "mapgen.build",
    "write_outputs": "mapgen.build",
    "write_umap": "mapgen.writers.umap",
    "write_preview": "mapgen.writers.preview",
    "write_gis": "mapgen.writers.gis",
    "write_report": "mapgen.writers.report",
    "report_totals": "mapgen.writers.report",
    "build_gazetteer": "mapgen.gazetteer.builder",
    "read_table": "mapgen.readers.table",
    "CorrectionsError": "mapgen.errors",
    "read_corrections": "mapgen.corrections",
    "apply_corrections": "mapgen.corrections",
}

__all__ = [
    "BuildRequest",
    "BuildResult",
    "Comune",
    "Config",
    "ConfigError",
    "CorrectionsError",
    "Gazetteer",
    "GazetteerError",
    "Geocoder",
    "GeocoderError",
    "Initiative",
    "InputError",
    "MapInitiative",
    "MapgenError",
    "Match",
    "MatchStatus",
    "OutputError",
    "OutputOptions",
    "PreviousEdition",
    "RowOutcome",
    "SurveyRead",
    "UnreadableFileError",
    "apply_corrections",
    "assign_comuni",
    "build",
    "build_gazetteer",
    "load_config",
    "load_gazetteer",
    "merge_editions",
    "read_corrections",
    "read_previous",
    "read_survey",
    "read_table",
    "report_totals",
    "run_pipeline",
    "write_gis",
    "write_outputs",
    "write_preview",
    "write_report",
    "write_umap",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mapgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from mapgen.build import BuildRequest, build, run_pipeline, write_outputs
    from mapgen.config import Config, load_config
    from mapgen.corrections import apply_corrections, read_corrections
    from mapgen.errors import (
        ConfigError,
        CorrectionsError,
        GazetteerError,
        GeocoderError,
        InputError,
        MapgenError,
        OutputError,
        UnreadableFileError,
    )
    from mapgen.gazetteer import Gazetteer, load_gazetteer
    from mapgen.gazetteer.builder import build_gazetteer
    from mapgen.geocoders import Geocoder
    from mapgen.geocoders.point_in_polygon import assign_comuni
    from mapgen.merge import merge_editions
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
    from mapgen.readers.previous_map import PreviousEdition, read_previous
    from mapgen.readers.survey import SurveyRead, read_survey
    from mapgen.readers.table import read_table
    from mapgen.writers.gis import write_gis
    from mapgen.writers.preview import write_preview
    from mapgen.writers.report import report_totals, write_report
    from mapgen.writers.umap import write_umap
