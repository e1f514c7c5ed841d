"""Check and repair the geometry of one previous-map feature (internal to ``umap_layer``).

A feature's geometry becomes one representative ``(lon, lat)`` point in WGS84,
or ``None`` with an Italian reason when it cannot be used. Repairs, each
reported:

- longitude and latitude swapped: fixed only when the swapped point falls in
  Italy's bounding box (the two ranges don't overlap, so the test is unambiguous);
- projected coordinates (metres): reprojected when the layer says its CRS (a
  GeoJSON ``crs`` member, the GeoPackage's CRS, or the caller's ``crs``),
  otherwise rejected, because guessing between UTM 32N/33N, Gauss-Boaga and Web
  Mercator could silently move a point by hundreds of kilometres.

The bounding box is only a coarse "in Italy" test; the spatial assignment
(``assign_comuni``) is the precise one (a point in Switzerland passes the box
and then falls in no Comune).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Final

#: (min lon, min lat, max lon, max lat) around Italy, with a margin for islands and coasts.
ITALY_BBOX: Final = (6.0, 35.0, 19.0, 47.5)

_TYPES: Final = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)

#: Turns arrays of x and y in the layer's CRS into lon, lat arrays.
Transform = Callable[[Sequence[float], Sequence[float]], tuple[Sequence[float], Sequence[float]]]


@dataclass(frozen=True, slots=True)
class CheckedGeometry:
    """A feature's representative point after checks, and what was wrong or fixed.

    ``point`` is ``(lon, lat)`` or ``None`` when the geometry is unusable.
    ``reason``/``fix`` are Italian, empty when nothing happened; ``repaired`` is
    True when a fix was applied and ``point`` can be trusted.
    """

    point: tuple[float, float] | None
    kind: str
    reason: str = ""
    fix: str = ""
    repaired: bool = False


def in_italy_bbox(lon: float, lat: float) -> bool:
    """True when ``(lon, lat)`` lies in :data:`ITALY_BBOX`."""
    west, south, east, north = ITALY_BBOX
    return west <= lon <= east and south <= lat <= north


def _positions(coordinates: Any) -> Iterator[Any]:
    """Yield every position (a list of numbers) of a nested coordinates array."""
    if (
        isinstance(coordinates, (list, tuple))
        and coordinates
        and not isinstance(coordinates[0], (list, tuple))
    ):
        yield coordinates
        return
    if isinstance(coordinates, (list, tuple)):
        for item in coordinates:
            yield from _positions(item)


def _all_positions(geometry: dict[str, Any]) -> list[Any]:
    if geometry.get("type") == "GeometryCollection":
        members = geometry.get("geometries") or []
        return [p for g in members if isinstance(g, dict) for p in _all_positions(g)]
    return list(_positions(geometry.get("coordinates")))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(x: float, y: float) -> str:
    return f"({x:.6g}, {y:.6g})"


def _map_positions(
    geometry: dict[str, Any], func: Callable[[float, float], tuple[float, float]]
) -> dict[str, Any]:
    """Return a copy of ``geometry`` with every position passed through ``func`` (2D)."""

    def walk(coords: Any) -> Any:
        if coords and not isinstance(coords[0], (list, tuple)):
            return list(func(coords[0], coords[1]))
        return [walk(c) for c in coords]

    if geometry.get("type") == "GeometryCollection":
        members = [g for g in geometry.get("geometries") or [] if isinstance(g, dict)]
        return {**geometry, "geometries": [_map_positions(g, func) for g in members]}
    return {**geometry, "coordinates": walk(geometry["coordinates"])}


def _representative(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point that lies on the geometry (the point itself for a Point)."""
    if geometry["type"] == "Point":
        x, y = geometry["coordinates"][:2]
        return float(x), float(y)
    import shapely
    import shapely.geometry

    try:
        # 2D only: shapely refuses positions of mixed dimensions (some with a height).
        shape = shapely.geometry.shape(_map_positions(geometry, lambda x, y: (x, y)))
        if not shape.is_valid:  # self-intersecting rings: make_valid keeps the area, rep point needs it valid
            shape = shapely.make_valid(shape)
        point = shape.representative_point()
        return float(point.x), float(point.y)
    except (ValueError, TypeError, IndexError, shapely.errors.ShapelyError):
        # Malformed shapes (a ring of three positions, a one-position line): their mean stands in.
        positions = _all_positions(geometry)
        return fmean(float(p[0]) for p in positions), fmean(float(p[1]) for p in positions)


def _structure_problem(geometry: Any) -> tuple[str, str] | None:
    """Why a geometry cannot be read at all, as (kind, reason), or None when it can."""
    if geometry is None:
        return "null", "Geometria assente (null)."
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str) or geometry["type"] not in _TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return str(kind), f"Tipo di geometria non riconosciuto: {kind!r}."
    positions = _all_positions(geometry)
    if not positions:
        return str(geometry["type"]), "Geometria vuota (nessuna coordinata)."
    if any(len(p) < 2 or not (_is_number(p[0]) and _is_number(p[1])) for p in positions):
        bad = next(
            p for p in positions if len(p) < 2 or not (_is_number(p[0]) and _is_number(p[1]))
        )
        return str(geometry["type"]), f"Coordinate non numeriche, NaN o incomplete: {bad!r}."
    expected = _DEPTH.get(geometry["type"])
    if expected is not None and _depth(geometry.get("coordinates")) != expected:
        return str(geometry["type"]), f"Coordinate annidate male per un {geometry['type']} (livelli: " \
            f"{_depth(geometry.get('coordinates'))} invece di {expected})."
    return None


#: Levels of nested arrays in the coordinates of each type (a Point's are a position: 1).
_DEPTH: Final = {"Point": 1, "MultiPoint": 2, "LineString": 2, "Polygon": 3, "MultiLineString": 3,
                 "MultiPolygon": 4}


def _depth(coordinates: Any) -> int:
    """Levels of nesting along the first elements (``[[1, 2]]`` has 2)."""
    depth = 0
    while isinstance(coordinates, (list, tuple)) and coordinates:
        depth, coordinates = depth + 1, coordinates[0]
    return depth


_FIX_GEOMETRY: Final = (
    "Correggere le coordinate nel file (WGS84, longitudine prima della latitudine) "
    "o indicare il Comune nella proprietà del Comune."
)


def check_geometry(
    geometry: Any,
    *,
    transform: Transform | None = None,
    fallback_transform: Transform | None = None,
) -> CheckedGeometry:
    """Validate one GeoJSON geometry and return its representative point in Italy.

    Parameters
    ----------
    geometry
        The feature's ``geometry`` member as parsed from JSON.
    transform
        Reprojects the layer's coordinates to WGS84 lon/lat; None when the
        layer declares no CRS (coordinates are taken as lon/lat degrees).
    fallback_transform
        Reprojects coordinates that are out of degree ranges in a layer that
        declares no CRS (the caller's ``crs`` option); None rejects them.
    """
    problem = _structure_problem(geometry)
    if problem is not None:
        kind, reason = problem
        return CheckedGeometry(None, kind, reason, _FIX_GEOMETRY)
    kind = str(geometry["type"])
    if transform is None and _looks_projected(geometry):
        transform = fallback_transform
        if transform is None:
            x, y = _all_positions(geometry)[0][:2]
            return CheckedGeometry(
                None,
                kind,
                f"Coordinate proiettate (in metri?) {_fmt(x, y)} "
                "in un file senza sistema di riferimento.",
                "Esportare di nuovo il layer in WGS84 (EPSG:4326), oppure indicare il sistema di "
                "riferimento (membro 'crs' del GeoJSON, o l'opzione crs, per esempio EPSG:32632).",
            )
    if transform is not None:
        geometry = _reproject(geometry, transform)
    return _place_in_italy(geometry, kind)


def _looks_projected(geometry: dict[str, Any]) -> bool:
    """True when some coordinate is outside degree ranges (metres of a projected CRS)."""
    return any(abs(p[0]) > 180 or abs(p[1]) > 90 for p in _all_positions(geometry))


def _reproject(geometry: dict[str, Any], transform: Transform) -> dict[str, Any]:
    def one(x: float, y: float) -> tuple[float, float]:
        xs, ys = transform([x], [y])
        return float(xs[0]), float(ys[0])

    return _map_positions(geometry, one)


def _place_in_italy(geometry: dict[str, Any], kind: str) -> CheckedGeometry:
    """Accept the geometry's point if in Italy, swap lon/lat if that puts it there, else reject."""
    lon, lat = _representative(geometry)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return CheckedGeometry(
            None, kind, "Coordinate non valide dopo la riproiezione.", _FIX_GEOMETRY
        )
    if in_italy_bbox(lon, lat):
        return CheckedGeometry((lon, lat), kind)
    swapped = _map_positions(geometry, lambda x, y: (y, x))
    s_lon, s_lat = _representative(swapped)
    if in_italy_bbox(s_lon, s_lat):
        return CheckedGeometry(
            (s_lon, s_lat),
            kind,
            f"Longitudine e latitudine invertite {_fmt(lon, lat)}: "
            f"corrette in {_fmt(s_lon, s_lat)}.",
            "Correggere l'ordine delle coordinate nel file: [longitudine, latitudine].",
            repaired=True,
        )
    return CheckedGeometry(None, kind, f"Punto fuori dall'Italia {_fmt(lon, lat)}.", _FIX_GEOMETRY)
