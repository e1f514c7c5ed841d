"""Assign previous-map points to Comuni: :func:`assign_comuni` (used by the pipeline).

Three steps, vectorised with shapely (an STRtree of the boundaries) and pyproj:

1. point-in-polygon (``intersects``, so a point exactly on a boundary still
   lands) against the gazetteer boundaries; where simplified polygons overlap,
   the Comune the feature names wins, else the one whose gazetteer point is
   nearest;
2. points in no polygon go to the nearest Comune within ``max_distance_m``,
   measured in RDN2008 / Italy zone (EPSG:6875, a transverse Mercator for the
   whole country, metre-accurate at this scale);
3. the rest, and features without a usable point, are resolved by the Comune
   they name (the geocoder, or an exact folded-name lookup).

The point decides; a Comune named in the feature's properties only cross-checks
it and disagreements are reported in the Match's ``hint`` and ``raw``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from mapgen.model import Candidate, Comune, Initiative, Match, MatchStatus, Place
from mapgen.text import fold

if TYPE_CHECKING:
    import numpy.typing as npt

    from mapgen.gazetteer import Gazetteer

__all__ = ["DEFAULT_MAX_DISTANCE_M", "assign_comuni"]

#: Points outside every Comune go to the nearest one within this distance (metres):
#: markers just off the coast (harbours, beaches) or across a simplified boundary.
#: Farther than this, a point is in the sea or abroad and the Comune's name decides.
DEFAULT_MAX_DISTANCE_M: Final = 2000.0

#: Metric CRS for distances: RDN2008 / Italy zone (N-E).
METRIC_CRS: Final = "EPSG:6875"
_EARTH_RADIUS_M: Final = 6_371_008.8
_SIGLA_SUFFIX: Final = re.compile(r"\s*\(([A-Za-z]{2})\)\s*$")
_NAME_PARTS: Final = re.compile(r"\s+-\s+|/")


@dataclass(frozen=True, slots=True)
class _Hit:
    """Polygons a point fell in (several where boundaries overlap), or the nearest one."""

    codes: tuple[str, ...]
    distance_m: float = 0.0

    @property
    def method(self) -> str:
        return "point-in-polygon" if self.distance_m == 0.0 else "nearest"


def _inside(numbers: npt.NDArray[Any], points: npt.NDArray[Any], codes: Sequence[str], tree: Any
            ) -> dict[int, _Hit]:
    """The polygons each point intersects (a point on a boundary lands in both)."""
    point_at, polygon_at = tree.query(points, predicate="intersects")
    found: dict[int, set[str]] = defaultdict(set)
    for point, polygon in zip(point_at.tolist(), polygon_at.tolist(), strict=True):
        found[int(numbers[point])].add(codes[polygon])
    return {n: _Hit(tuple(sorted(c))) for n, c in found.items()}


def _nearest(
    numbers: npt.NDArray[Any], points: npt.NDArray[Any], codes: Sequence[str], tree: Any, max_distance_m: float
) -> dict[int, _Hit]:
    """Nearest Comune within ``max_distance_m`` for points in no polygon."""
    import numpy as np
    import shapely

    if not len(points):
        return {}
    # Pre-filter polygons by a box in degrees (a degree of longitude is >= 75 km in Italy).
    pad = 2 * max_distance_m / 75_000
    x, y = shapely.get_x(points), shapely.get_y(points)
    near = np.unique(tree.query(shapely.box(x - pad, y - pad, x + pad, y + pad))[1])
    if near.size == 0:
        return {}
    candidates = shapely.STRtree(_in_metres(tree.geometries[near]))
    (point_at, candidate_at), distances = candidates.query_nearest(
        _in_metres(points), max_distance=max_distance_m, return_distance=True, all_matches=True
    )
    best: dict[int, _Hit] = {}
    for n, code, distance in sorted(zip(numbers[point_at].tolist(), [codes[near[c]] for c in candidate_at.tolist()],
                                        distances.tolist(), strict=True)):
        hit = best.get(n)
        if hit is None or distance < hit.distance_m:
            best[n] = _Hit((code,), max(distance, 0.01))
    return best


def _in_metres(geometries: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Longitude/latitude geometries in :data:`METRIC_CRS` (what ``GeoSeries.to_crs`` computes)."""
    import numpy as np
    import shapely

    coordinates = shapely.get_coordinates(geometries)
    moved = _to_metres().transform(coordinates[:, 0], coordinates[:, 1])
    in_metres: npt.NDArray[Any] = shapely.set_coordinates(geometries.copy(), np.array(moved).T)
    return in_metres


@cache
def _to_metres() -> Any:
    import pyproj

    return pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def spatial_hits(
    initiatives: Sequence[Initiative], boundaries: Mapping[str, Any], max_distance_m: float
) -> dict[int, _Hit]:
    """Initiative index -> the polygons its point falls in, or the nearest within reach.

    ``boundaries`` are the Comuni's (:meth:`~mapgen.gazetteer.Gazetteer.shapes`): shapely and
    pyproj only, so that the process reading the previous maps never imports pandas or geopandas.
    """
    import numpy as np
    import shapely

    located = [(n, r.point) for n, r in enumerate(initiatives) if r.point is not None]
    if not located:
        return {}
    numbers = np.array([n for n, _ in located])
    points = shapely.points([p[0] for _, p in located], [p[1] for _, p in located])
    codes = list(boundaries)
    tree = shapely.STRtree(list(boundaries.values()))
    hits = _inside(numbers, points, codes, tree)
    rest = np.array([n not in hits for n in numbers.tolist()], dtype=bool)
    return hits | _nearest(numbers[rest], points[rest], codes, tree, max_distance_m)


# --- the Comune a feature names ------------------------------------------------------


class NameIndex:
    """Folded official and other-language names -> ISTAT codes (the stand-in for the geocoder)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        index: dict[str, set[str]] = defaultdict(set)
        for comune in gazetteer:
            for name in (comune.name, comune.name_other, *comune.name.split("/")):
                if name.strip():
                    index[fold(name)].add(comune.istat_code)
        for entry in gazetteer.names:
            index[fold(entry.name)].add(entry.istat_code)
        self._index = dict(index)

    def lookup(self, place: Place) -> list[Comune]:
        """Comuni whose name folds like ``place.comune``, narrowed by province sigla or region."""
        name, sigla = place.comune, place.provincia.strip().upper()
        suffix = _SIGLA_SUFFIX.search(name)
        if suffix:
            name, sigla = name[: suffix.start()], sigla or suffix.group(1).upper()
        codes = self._index.get(fold(name)) or self._by_parts(name)
        found = [c for code in sorted(codes) if (c := self.gazetteer.by_code(code))]
        narrowed = [
            c
            for c in found
            if (not sigla or c.sigla == sigla)
            and (not place.regione or fold(place.regione) in fold(c.region))
        ]
        current = [c for c in (narrowed or found) if c.active]
        return current or narrowed or found

    def _by_parts(self, name: str) -> set[str]:
        """Bilingual names typed as ``Bolzano - Bozen``: the Comune every part names."""
        parts = [fold(p) for p in _NAME_PARTS.split(name) if p.strip()]
        sets = [self._index.get(p, set()) for p in parts]
        return set.intersection(*sets) if len(sets) > 1 else set()

    def resolve(self, place: Place) -> Match:
        """Resolve a place by exact folded name: one Comune, several (ambiguous) or none."""
        found = self.lookup(place)
        if len(found) == 1:
            return match_for(found[0], MatchStatus.NORMALIZED, method="name-exact")
        if found:
            return Match(
                status=MatchStatus.AMBIGUOUS,
                method="name-exact",
                candidates=tuple(
                    Candidate(c.istat_code, c.name, c.sigla, 100.0) for c in found[:3]
                ),
                hint=f"Più Comuni si chiamano {place.comune!r}.",
            )
        return Match(status=MatchStatus.UNRESOLVED, method="name-exact")


def match_for(
    comune: Comune,
    status: MatchStatus,
    *,
    method: str,
    score: float = 100.0,
    raw: Mapping[str, Any] | None = None,
    hint: str = "",
) -> Match:
    """A resolved Match carrying the Comune's codes, names and point."""
    return Match(
        status=status,
        istat_code=comune.istat_code,
        name=comune.name,
        sigla=comune.sigla,
        region=comune.region,
        lat=comune.lat,
        lon=comune.lon,
        score=score,
        method=method,
        hint=hint,
        raw=dict(raw or {}),
    )


def _named_codes(match: Match) -> set[str]:
    """The Comuni a name resolution points at: one if resolved, the candidates if ambiguous."""
    if match.status.resolved and match.istat_code:
        return {match.istat_code}
    if match.status is MatchStatus.AMBIGUOUS:
        return {c.istat_code for c in match.candidates}
    return set()


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points, in metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h))


# --- one initiative's Match ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assigner:
    """Turns spatial hits and names into Matches for one run."""

    gazetteer: Gazetteer
    resolve_name: Callable[[Place], Match]
    max_distance_m: float

    def current(self, code: str) -> str:
        """The ISTAT code in force today for ``code`` (follows merges of Comuni)."""
        comune = self.gazetteer.by_code(code)
        if comune is not None and not comune.active:
            successor = self.gazetteer.successor_of(comune)
            return successor.istat_code if successor else code
        return code

    def spatial(self, record: Initiative, hit: _Hit) -> Match:
        named = self.resolve_name(record.place) if record.place.comune else None
        named_codes = {self.current(c) for c in _named_codes(named)} if named else set()
        code = self._pick(record, hit.codes, named_codes)
        comune = self.gazetteer.by_code(code)
        score = (
            100.0
            if hit.distance_m == 0.0
            else round(100.0 - 50.0 * hit.distance_m / self.max_distance_m, 1)
        )
        # The cross-check first, so that the match is made once, with its hint.
        hint, check = self._cross_check(code, comune, record, named, named_codes)
        raw: dict[str, Any] = {"distance_m": round(hit.distance_m, 1), "polygons": list(hit.codes), **check}
        if comune is None:
            return Match(status=MatchStatus.SPATIAL, istat_code=code, method=hit.method, score=score, hint=hint,
                         raw=raw)  # fmt: skip
        return match_for(comune, MatchStatus.SPATIAL, method=hit.method, score=score, hint=hint, raw=raw)

    def _pick(self, record: Initiative, codes: tuple[str, ...], named_codes: set[str]) -> str:
        """Among overlapping polygons: the named Comune, else the nearest gazetteer point."""
        if len(codes) == 1:
            return codes[0]
        agreeing = [c for c in codes if self.current(c) in named_codes]
        if agreeing:
            return agreeing[0]
        assert record.point is not None

        def distance(code: str) -> float:
            c = self.gazetteer.by_code(code)
            return _distance_m(record.point, (c.lon, c.lat)) if c and record.point else math.inf

        return min(codes, key=lambda code: (distance(code), code))

    def _cross_check(
        self, code: str, comune: Comune | None, record: Initiative, named: Match | None, named_codes: set[str]
    ) -> tuple[str, dict[str, Any]]:
        """The hint and the ``raw`` entries that say whether the point and the typed name agree."""
        typed = record.place.comune
        if named is None:
            return "", {"check": "no_name"}
        if not named_codes:
            where = (comune.name if comune else None) or code
            hint = f"Il nome {typed!r} non corrisponde a nessun Comune; assegnato in base al punto ({where})."
            return hint, {"check": "name_unknown"}
        if self.current(code) in named_codes:
            return "", {"check": "agree"}
        check = {"check": "disagree", "named": typed, "named_istat_codes": sorted(named_codes)}
        return self._disagreement(code, comune, record, named), check

    def _disagreement(self, code: str, comune: Comune | None, record: Initiative, named: Match) -> str:
        where = f"{comune.name} ({comune.sigla})" if comune and comune.name else f"codice {code}"
        text = (
            f"Il punto cade nel Comune di {where}, ma la proprietà indica {record.place.comune!r}"
        )
        if (
            named.status.resolved
            and named.lon is not None
            and named.lat is not None
            and record.point
        ):
            km = f"{_distance_m(record.point, (named.lon, named.lat)) / 1000:.1f}".replace(".", ",")
            text += f" ({named.name} ({named.sigla}), a {km} km dal punto)"
        return (
            text
            + ". Assegnato in base al punto: correggere il punto o il nome del Comune nel file."
        )

    def by_name(self, record: Initiative) -> Match:
        """A record without a usable point: resolved by the Comune it names, if any."""
        if record.point is None:
            why = "Nessuna geometria utilizzabile"
        else:
            lon, lat = record.point
            why = (
                f"Il punto ({lon:.5f}, {lat:.5f}) non cade in nessun Comune né entro "
                f"{self.max_distance_m:.0f} m da uno (in mare o fuori dall'Italia)"
            )
        if not record.place.comune:
            return Match(
                status=MatchStatus.UNRESOLVED,
                method="spatial",
                hint=f"{why} e nessun Comune indicato.",
                raw={"check": "no_name"},
            )
        found = self.resolve_name(record.place)
        if found.status.resolved:
            outcome = f"{why}: assegnato per nome del Comune."
        else:
            outcome = f"{why} e il nome del Comune non basta."
        hint = " ".join(p for p in (outcome, found.hint) if p)
        return replace(found, hint=hint, raw=dict(found.raw) | {"check": "by_name"})


def assign_comuni(
    initiatives: Sequence[Initiative],
    gazetteer: Gazetteer,
    *,
    resolve_name: Callable[[Place], Match] | None = None,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
) -> list[Match]:
    """Give each initiative its Comune: point-in-polygon, nearest within a distance, else by name.

    Parameters
    ----------
    initiatives
        Records from :func:`mapgen.readers.previous_map.read_previous` (``point`` is lon/lat or None).
    gazetteer
        Its Comuni's boundaries (:meth:`~mapgen.gazetteer.Gazetteer.shapes`) decide.
    resolve_name
        Resolves a typed place (pass the geocoder). Used to cross-check the
        Comune a feature names against its point, and to place features
        without a usable point. Without it, an exact lookup of the folded name
        (official, other-language and gazetteer ``names.csv`` names, narrowed
        by province sigla or region) stands in.
    max_distance_m
        A point in no Comune goes to the nearest one within this many metres
        (:data:`DEFAULT_MAX_DISTANCE_M`).

    Returns
    -------
    list of Match
        One per initiative, in order. Spatial matches have status ``SPATIAL``,
        method ``"point-in-polygon"`` or ``"nearest"`` and ``raw`` with
        ``distance_m`` and ``check`` (``agree``, ``disagree``, ``name_unknown``,
        ``no_name``); a disagreement also fills ``hint`` (Italian). The point
        decides; the named Comune is reported.
    """
    resolver = resolve_name if resolve_name is not None else NameIndex(gazetteer).resolve
    assigner = Assigner(gazetteer, resolver, max_distance_m)
    hits = spatial_hits(initiatives, gazetteer.shapes("comuni"), max_distance_m)
    return [
        assigner.spatial(record, hits[n]) if n in hits else assigner.by_name(record)
        for n, record in enumerate(initiatives)
    ]
