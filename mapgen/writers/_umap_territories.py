"""The "Territori di Ambiti e Unioni" layer: each registered association's territory, off on load.

One feature per association some practice belongs to (issue 26): the union of its member
Comuni's boundaries, simplified, with a popup naming the association, its members and the
practices it covers. The practices themselves stay one marker each at their lead Comune;
this layer only shows where they reach. No layer when no practice names an association.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from mapgen.gazetteer import Gazetteer
from mapgen.model import Association, BuildResult, Comune, MapInitiative
from mapgen.umap.markup import plain_text, umap_text
from mapgen.writers._umap_regions import rounded_coordinates

__all__ = ["LAYER_NAME", "territories_layer"]

LAYER_NAME: Final = "Territori di Ambiti e Unioni"
#: Degrees (about 300 m): a territory is a backdrop, not a boundary to measure.
SIMPLIFY_TOLERANCE: Final = 0.003


def territories_layer(build: BuildResult, *, gazetteer: Gazetteer) -> dict[str, Any] | None:
    """The layer as a FeatureCollection with its uMap options, or None without associations."""
    groups: dict[str, tuple[Association, list[MapInitiative]]] = {}
    for item in build.initiatives:
        if item.association is not None:
            groups.setdefault(item.association.id, (item.association, []))[1].append(item)
    if not groups:
        return None
    _draw(gazetteer, [association.members for association, _items in groups.values()])
    features = [
        _feature(association, items, gazetteer)
        for _id, (association, items) in sorted(groups.items())
    ]
    return {"type": "FeatureCollection", "features": features, "_umap_options": _layer_options()}


#: Territories already drawn, by gazetteer and members: the uMap writer and the preview draw the same.
_DRAWN: dict[tuple[Path, tuple[str, ...]], dict[str, Any]] = {}


def _draw(gazetteer: Gazetteer, groups: Sequence[tuple[str, ...]]) -> None:
    """Draw the territories not drawn yet: the union of the members' boundaries, simplified, as
    rounded GeoJSON geometry."""
    missing = [members for members in groups if (gazetteer.path, members) not in _DRAWN]
    if not missing:
        return
    import shapely
    from shapely.geometry import mapping

    boundaries = gazetteer.shapes("comuni")
    comuni = gazetteer.active()
    points = shapely.STRtree(shapely.points([(c.lon, c.lat) for c in comuni]))
    for members in missing:
        territory = shapely.union_all([boundaries[c] for c in members if c in boundaries])
        territory = _without_slivers(territory, _holds_another(members, comuni, points))
        territory = shapely.orient_polygons(shapely.simplify(territory, SIMPLIFY_TOLERANCE), exterior_cw=False)
        _DRAWN[gazetteer.path, members] = rounded_coordinates(mapping(territory))


def _holds_another(members: Sequence[str], comuni: Sequence[Comune], points: Any) -> Callable[[Any], bool]:
    """Whether a hole holds the point of a Comune that is not a member (``points``: an STRtree of theirs)."""
    inside = set(members)
    return lambda hole: any(comuni[i].istat_code not in inside for i in points.query(hole, predicate="contains"))


def _without_slivers(territory: Any, holds_a_comune: Callable[[Any], bool]) -> Any:
    """The territory with only the holes that hold another Comune (an enclave).

    The members' boundaries do not always meet exactly: their union has hairline holes
    (21 in the Bassa Romagna's, 0.72 km² in all) that a map would draw as dashes inside the
    territory. A real hole is a Comune that is not a member, so a hole without one is closed.
    """
    import shapely

    polygons = []
    for polygon in shapely.get_parts(territory):
        if polygon.geom_type != "Polygon":
            continue
        holes = [ring for ring in polygon.interiors if holds_a_comune(shapely.Polygon(ring))]
        polygons.append(shapely.Polygon(polygon.exterior, holes))
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _feature(association: Association, items: Sequence[MapInitiative], gazetteer: Gazetteer) -> dict[str, Any]:
    members = [gazetteer.comuni[c].label for c in association.members if c in gazetteer.comuni]
    titles = sorted(f"{item.record.titolo.strip()} ({item.comune.label})" for item in items)
    lines = [
        f"**Comuni ({len(members)}):** {umap_text(', '.join(members))}",
        "**Iniziative:**",
        *(f"* {umap_text(title)}" for title in titles),  # "* " is a list in uMap's markup, "- " is not
    ]
    return {
        "type": "Feature",
        "geometry": _DRAWN[gazetteer.path, association.members],
        "properties": {
            "name": plain_text(association.name),
            "codice": association.id,
            "comuni": ", ".join(members),
            "n_comuni": len(members),
            "n_iniziative": len(items),
            "description": "\n".join(lines),
        },
    }


def _layer_options() -> dict[str, Any]:
    """Beneath the initiatives, off on load, not in the data browser (not initiatives)."""
    return {
        "name": LAYER_NAME,
        "description": "Il territorio dei Comuni di ciascuna Unione a cui fa capo almeno un'iniziativa.",
        "displayOnLoad": False,
        "browsable": False,
        "inCaption": True,
        "type": "Default",
        "color": "#7b3294",
        "weight": 1,
        "opacity": 0.7,
        "fill": True,
        "fillOpacity": 0.15,
        "popupShape": "Default",
        "popupTemplate": "Default",
        "popupContentTemplate": "# {name}\n{description}",
        "labelKey": "name",
        "showLabel": False,
    }
