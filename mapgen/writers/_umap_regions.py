"""The Regions layer of the uMap map: simplified outlines with the figures per region.

Each region's popup gives population, population 0-17, Comuni with initiatives
and initiatives per edition and per area. Each region also carries the ``area``,
``edizione`` and ``fonte`` values of its initiatives, so the map-wide facet
filters keep the regions that have what the user picked and hide the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from mapgen.gazetteer import Gazetteer
from mapgen.model import AREAS, FUNDING_SOURCES, BuildResult, MapInitiative
from mapgen.umap.markup import plain_text, render_template

__all__ = ["SIMPLIFY_TOLERANCE", "regions_layer", "rounded_coordinates"]

#: Douglas-Peucker tolerance in degrees (about 1 km): outlines for display, not analysis.
SIMPLIFY_TOLERANCE: Final = 0.01

_REGION_FIELDS: Final = (
    ("comuni", "Number"),
    ("comuni_con_iniziative", "Number"),
    ("iniziative", "Number"),
)


@dataclass
class _Stats:
    """What one region's popup and properties report."""

    popolazione: int = 0
    popolazione_0_17: int = 0
    comuni: int = 0
    seats: set[str] = field(default_factory=set)
    involved: set[str] = field(default_factory=set)
    items: list[MapInitiative] = field(default_factory=list)


def regions_layer(build: BuildResult, *, gazetteer: Gazetteer) -> dict[str, Any]:
    """Return the Regions layer as a FeatureCollection with its uMap options."""
    names = {region.code: region.name for region in gazetteer.regions}
    stats = _region_stats(build, gazetteer)
    outlines = _simplified_outlines(gazetteer)
    features = [
        _region_feature(
            names.get(code, code), code, outlines[code], stats.get(code, _Stats()), build
        )
        for code in sorted(outlines)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "_umap_options": _layer_options(),
    }


def _region_stats(build: BuildResult, gazetteer: Gazetteer) -> dict[str, _Stats]:
    """Population and Comuni from the gazetteer; initiatives and Comuni involved from the build."""
    stats: dict[str, _Stats] = {}
    for comune in gazetteer.active():
        entry = stats.setdefault(comune.region_code, _Stats())
        entry.popolazione += comune.population or 0
        entry.popolazione_0_17 += comune.population_0_17 or 0
        entry.comuni += 1
    for item in build.initiatives:
        entry = stats.setdefault(item.comune.region_code, _Stats())
        entry.items.append(item)
        entry.seats.add(item.comune.istat_code)
        for member in (item.comune, *item.members):
            stats.setdefault(member.region_code, _Stats()).involved.add(member.istat_code)
    return stats


def _simplified_outlines(gazetteer: Gazetteer) -> dict[str, dict[str, Any]]:
    """Region code -> GeoJSON geometry, simplified as one coverage (no gaps between regions)."""
    import numpy as np
    import shapely
    from shapely.geometry import mapping

    shapes = gazetteer.shapes("regions")
    simplified = shapely.coverage_simplify(np.array(list(shapes.values()), dtype=object), SIMPLIFY_TOLERANCE)
    oriented = shapely.orient_polygons(simplified, exterior_cw=False)  # RFC 7946 §3.1.6
    return {
        str(code): rounded_coordinates(mapping(geometry))
        for code, geometry in zip(shapes, oriented, strict=True)
        if not geometry.is_empty
    }


def rounded_coordinates(value: Any) -> Any:
    """Round every coordinate to 6 decimals (about 10 cm), tuples to lists."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, tuple | list):
        return [rounded_coordinates(v) for v in value]
    if isinstance(value, Mapping):
        return {k: rounded_coordinates(v) for k, v in value.items()}
    return value


def _region_feature(
    name: str, code: str, geometry: dict[str, Any], stats: _Stats, build: BuildResult
) -> dict[str, Any]:
    """One region with its figures as typed properties and its popup text."""
    items = stats.items
    properties: dict[str, Any] = {
        "name": plain_text(name),
        "regione": name,
        "codice_regione": code,
        "popolazione": stats.popolazione,
        "popolazione_0_17": stats.popolazione_0_17,
        "comuni": stats.comuni,
        "comuni_con_iniziative": len(stats.seats),
        "iniziative": len(items),
        "area": ", ".join(_present(AREAS, (a for i in items for a in i.record.aree))),
        "edizione": ", ".join(str(y) for y in sorted({y for i in items for y in i.edizioni})),
        "fonte": ", ".join(_present(FUNDING_SOURCES, (f for i in items for f in i.record.fonti))),
        "description": render_template("umap_region.md.j2", _popup_context(stats, build)),
    }
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {k: v for k, v in properties.items() if v != ""},
    }


def _present(vocabulary: Sequence[str], values: Iterable[str]) -> list[str]:
    """The vocabulary entries found in ``values``, in vocabulary order."""
    found = set(values)
    return [v for v in vocabulary if v in found]


def _popup_context(stats: _Stats, build: BuildResult) -> dict[str, Any]:
    """Figures for ``templates/umap_region.md.j2``, formatted the Italian way."""
    items = stats.items
    per_edition = [(f"Edizione {y}", sum(y in i.edizioni for i in items)) for y in build.editions]
    per_area = [(area, sum(area in i.record.aree for i in items)) for area in AREAS]
    return {
        "popolazione": _integer(stats.popolazione),
        "popolazione_0_17": _integer(stats.popolazione_0_17),
        "comuni": _integer(stats.comuni),
        "comuni_con_iniziative": _integer(len(stats.seats)),
        "comuni_coinvolti": _integer(len(stats.involved)),
        "iniziative": _integer(len(items)),
        "per_edizione": [{"etichetta": k, "numero": _integer(n)} for k, n in per_edition if items],
        "per_area": [{"etichetta": k, "numero": _integer(n)} for k, n in per_area if n],
    }


def _integer(number: int) -> str:
    """``2873494`` -> ``2.873.494``."""
    return f"{number:,}".replace(",", ".")


def _layer_options() -> dict[str, Any]:
    """Thin outlines under the initiatives; not in the data browser (not initiatives)."""
    return {
        "name": "Regioni",
        "description": "Confini regionali semplificati, con popolazione e iniziative per regione.",
        "displayOnLoad": True,
        "browsable": False,
        "inCaption": True,
        "type": "Default",
        "color": "#555555",
        "weight": 1,
        "opacity": 0.6,
        "fill": True,
        "fillOpacity": 0.1,
        "popupShape": "Default",
        "popupTemplate": "Default",
        "popupContentTemplate": "# {name}\n{description}",
        "labelKey": "name",
        "showLabel": False,
        "fields": [{"key": key, "type": kind} for key, kind in _REGION_FIELDS],
    }
