"""Point in polygon without geopandas (issue 28): the same hits as geopandas' spatial joins.

``spatial_hits`` uses shapely's STRtree and pyproj directly, so that the process reading the
previous maps never imports pandas or geopandas (0.5 s). The reference below is what it did
before, through ``geopandas.sjoin`` and ``sjoin_nearest`` in EPSG:6875; both are run on the
shipped gazetteer's boundaries with points inside Comuni, on their borders, just off the coast
and far out at sea, and must agree on every polygon and every distance, to the last bit.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders.point_in_polygon import DEFAULT_MAX_DISTANCE_M, METRIC_CRS, spatial_hits
from mapgen.model import Initiative, Place, Source, SourceRef


def _reference_hits(points: list[tuple[float, float] | None], boundaries: Any, max_distance_m: float) -> dict[int, Any]:
    """What spatial_hits computed with geopandas (mapgen before issue 28's sixth stop)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    located = [(n, p) for n, p in enumerate(points) if p is not None]
    frame = gpd.GeoDataFrame({"n": [n for n, _ in located]},
                             geometry=gpd.points_from_xy([p[0] for _, p in located], [p[1] for _, p in located]),
                             crs="EPSG:4326")
    joined = gpd.sjoin(frame, boundaries[["istat_code", "geometry"]], predicate="intersects", how="inner")
    codes: dict[int, set[str]] = defaultdict(set)
    for n, code in zip(joined["n"], joined["istat_code"], strict=True):
        codes[int(n)].add(str(code))
    hits: dict[int, Any] = {n: (tuple(sorted(c)), 0.0) for n, c in codes.items()}
    rest = frame[~frame["n"].isin(list(hits))]
    pad = 2 * max_distance_m / 75_000
    x, y = rest.geometry.x.to_numpy(), rest.geometry.y.to_numpy()
    near = np.unique(boundaries.sindex.query(shapely.box(x - pad, y - pad, x + pad, y + pad))[1])
    candidates = boundaries.iloc[near][["istat_code", "geometry"]].to_crs(METRIC_CRS)
    nearest = gpd.sjoin_nearest(rest.to_crs(METRIC_CRS), candidates, how="inner", max_distance=max_distance_m,
                                distance_col="distance_m")
    for n, code, distance in sorted(zip(nearest["n"], nearest["istat_code"], nearest["distance_m"], strict=True)):
        hit = hits.get(int(n))
        if hit is None or float(distance) < hit[1]:
            hits[int(n)] = ((str(code),), max(float(distance), 0.01))
    return hits


def _record(n: int, point: tuple[float, float] | None) -> Initiative:
    return Initiative(record_id=f"r{n}", edition=2019, source=SourceRef(Source.PREVIOUS, "mappa.umap"),
                      place=Place("x"), titolo="t", point=point)


@pytest.fixture(scope="module")
def points(gazetteer: Gazetteer) -> list[tuple[float, float] | None]:
    import shapely

    rng = random.Random(28)
    shapes = list(gazetteer.shapes("comuni").values())
    found: list[tuple[float, float] | None] = [None]
    for shape in rng.sample(shapes, 400):
        ring = shapely.get_coordinates(shape.boundary)
        found += [tuple(ring[rng.randrange(len(ring))])]  # on a border (one Comune or two)
        x0, y0, x1, y1 = shape.bounds
        found += [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(3)]  # inside or just beside
        lon, lat = found[-1]  # type: ignore[misc]
        found += [(lon + rng.uniform(-0.05, 0.05), lat + rng.uniform(-0.05, 0.05))]  # off the coast, at sea
    found += [(rng.uniform(6.0, 19.0), rng.uniform(35.5, 47.5)) for _ in range(400)]  # anywhere, seas included
    return found


def test_the_same_hits_as_geopandas_spatial_joins(gazetteer: Gazetteer, points: list[Any]) -> None:
    hits = spatial_hits([_record(n, p) for n, p in enumerate(points)], gazetteer.shapes("comuni"),
                        DEFAULT_MAX_DISTANCE_M)
    expected = _reference_hits(points, gazetteer.boundaries(), DEFAULT_MAX_DISTANCE_M)
    assert {n: (hit.codes, hit.distance_m) for n, hit in hits.items()} == expected
    # every kind of answer was met
    assert any(len(codes) > 1 for codes, _ in expected.values())  # on a border between two Comuni
    assert any(distance > 0 for _, distance in expected.values())  # nearest, within 2 km
    assert len(expected) < len(points) - 1  # some too far out, and the point-less record


def test_no_points_no_hits(gazetteer: Gazetteer) -> None:
    assert spatial_hits([_record(0, None)], gazetteer.shapes("comuni"), DEFAULT_MAX_DISTANCE_M) == {}
