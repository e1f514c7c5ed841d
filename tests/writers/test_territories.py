"""The territories layer: each association's area drawn once, hairline holes closed, enclaves kept."""

from __future__ import annotations

import shapely
from shapely.geometry import shape

from mapgen.gazetteer import Gazetteer
from mapgen.writers import _umap_territories as territories

BASSA_ROMAGNA = "UC2080666010"


def _holes(geometry: object) -> list[shapely.Polygon]:
    return [shapely.Polygon(r) for p in shapely.get_parts(shape(geometry)) for r in p.interiors]


def test_the_members_seams_leave_no_holes(gazetteer: Gazetteer) -> None:
    association = gazetteer.association(BASSA_ROMAGNA)
    assert association is not None
    frame = gazetteer.boundaries()
    boundaries = dict(zip(frame["istat_code"], frame.geometry, strict=True))
    raw = shapely.union_all([boundaries[c] for c in association.members])
    assert len(_holes(raw)) == 21  # the boundaries' seams: hairline holes, no Comune inside
    territories._draw(gazetteer, [association.members])
    assert _holes(territories._DRAWN[gazetteer.path, association.members]) == []


def test_a_comune_enclosed_by_the_members_stays_a_hole(gazetteer: Gazetteer) -> None:
    """The Comuni around Bagnacavallo as an association: Bagnacavallo is a real hole in their territory.

    Those within about 5 km, not only those touching it: a seam between two of its neighbours
    can leak from its hole to the outside (the boundaries do not meet exactly).
    """
    bagnacavallo = next(c for c in gazetteer.active() if c.name == "Bagnacavallo")
    frame = gazetteer.boundaries()
    boundaries = dict(zip(frame["istat_code"], frame.geometry, strict=True))
    around = boundaries[bagnacavallo.istat_code].buffer(0.05)
    neighbours = tuple(sorted(c for c, g in boundaries.items()
                              if c != bagnacavallo.istat_code and g.intersects(around)))
    territories._draw(gazetteer, [neighbours])
    holes = _holes(territories._DRAWN[gazetteer.path, neighbours])
    point = shapely.Point(bagnacavallo.lon, bagnacavallo.lat)
    assert [h.contains(point) for h in holes] == [True]
