"""The folium side of the preview: map, tiles, controls, outlines, inlined libraries, stable ids.

Imported only by :func:`mapgen.writers.preview.render_preview` (folium is a heavy import).
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from markupsafe import Markup

from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.writers import _assets
from mapgen.writers._imports import import_submodule_alone, imports_without

# folium imports pandas when it is installed, only to accept DataFrames, which mapgen never gives
# it; in a build's first lane nothing else needs pandas (the boundaries come as shapes:
# Gazetteer.shapes), and it cost 0.3 s and 70 MB there. Its DataFrame check is mended below.
with imports_without(["pandas"]):
    import folium
    import folium.utilities
    from branca.element import Element, Figure, MacroElement
    from folium.template import Template

    # The one plugin used, without the 36 others (folium.plugins imports them all).
    Fullscreen = import_submodule_alone("folium.plugins.fullscreen").Fullscreen


class _NoDataFrame:
    """What no object is an instance of: a DataFrame where pandas is not imported."""


class _PandasWhereImported:
    """folium's ``pd`` when pandas was left out of its import: folium asks it only whether a value
    is a ``pd.DataFrame``; once anyone has imported pandas, that is pandas's DataFrame, so that
    folium, for whoever uses it later in this process, accepts DataFrames as it always did."""

    @property
    def DataFrame(self) -> type:  # pandas's name
        pandas = sys.modules.get("pandas")
        return pandas.DataFrame if pandas is not None else _NoDataFrame


if getattr(folium.utilities, "pd", None) is None:
    setattr(folium.utilities, "pd", _PandasWhereImported())  # noqa: B010 (typed as the module pandas)

__all__ = ["render_page"]

#: branca's page, with ``lang="it"`` (browsers offer no translation, screen readers speak
#: Italian), the map and the list of initiatives inside ``<main>`` (the page's header, with
#: its "salta alla lista" link, comes first in the body parts) and the script inside ``<body>``.
_FIGURE_TEMPLATE: Final = (
    '<!DOCTYPE html>\n<html lang="it">\n<head>\n{{ this.header.render(**kwargs) }}\n</head>\n'
    "<body>\n{{ this.mg_top }}\n<main>\n{{ this.html.render(**kwargs) }}\n</main>\n"
    "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n</body>\n</html>\n"
)

#: folium's viewport forbids zooming the page (WCAG 1.4.4: text must scale to 200 %).
_FOLIUM_VIEWPORT: Final = re.compile(
    r'<meta name="viewport" content="width=device-width,\s*initial-scale=1\.0, maximum-scale=1\.0, '
    r'user-scalable=no" />'
)
_VIEWPORT: Final = '<meta name="viewport" content="width=device-width, initial-scale=1.0" />'

_MARKERCLUSTER: Final = "https://unpkg.com/leaflet.markercluster@1.5.3/dist/"


class RawElement(Element):
    """Text pasted into the page as is.

    branca wraps what a MacroElement renders in ``Element(text)``, which parses the text
    as a Jinja2 template again: survey text like ``{{ 7*7 }}`` would be evaluated (as 49,
    or worse) at build time. Nothing that carries data or library code goes that way.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class PreviewElement(MacroElement):
    """Carries the preview's own head, body and start-up call into the folium page."""

    # Declared the folium way, so inline_assets finds them (and inlines the vendored copies).
    default_js = (("markerclusterjs", _MARKERCLUSTER + "leaflet.markercluster.js"),)
    default_css = (("markerclustercss", _MARKERCLUSTER + "MarkerCluster.css"),)

    def __init__(self, fmap: folium.Map, tiles: folium.TileLayer) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapgenPreview"
        self.map, self.tiles = fmap, tiles
        self.parts: dict[str, Markup] = {}

    def render(self, **kwargs: Any) -> str:
        """Add head, body and start-up call to the page as raw text (see :class:`RawElement`)."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "the preview element must be inside a folium Map"
        start = f"MapgenPreview.start({self.map.get_name()}, {self.tiles.get_name()});"
        figure.header.add_child(RawElement(self.parts["head"]), name=self.get_name())
        figure.html.add_child(RawElement(self.parts["body"]), name=self.get_name())
        figure.script.add_child(RawElement(start), name=self.get_name())
        return ""


def _base_map() -> tuple[folium.Map, folium.TileLayer]:
    """Map, OpenStreetMap tiles, a tile-less base layer, layer switcher, fullscreen.

    The scale is added by preview_app.js: folium's ``control_scale`` cannot drop miles.
    """
    fmap = folium.Map(
        location=[41.9, 12.5],
        zoom_start=6,
        tiles=None,
        min_zoom=5,
        max_bounds=True,
        min_lat=33,
        max_lat=50,
        min_lon=2,
        max_lon=23,
        # Quarter zoom steps, so fitting the data fills the screen (whole steps left Italy a third of it).
        zoomSnap=0.25,
    )
    tiles = folium.TileLayer("OpenStreetMap", name="OpenStreetMap", max_zoom=19)
    tiles.add_to(fmap)
    folium.FeatureGroup(name="Nessuno sfondo (solo confini)", overlay=False, show=False).add_to(fmap)
    folium.LayerControl(position="topright", collapsed=True).add_to(fmap)
    Fullscreen(
        position="topleft",
        title="Schermo intero",
        title_cancel="Esci da schermo intero",
    ).add_to(fmap)
    return fmap, tiles


@cache
def _outlines(folder: Path, kind: str) -> dict[str, Any]:
    """Region or province outlines as small GeoJSON: simplified by ~1 km, 3 decimals (~100 m)."""
    gazetteer = load_gazetteer(folder)
    features = []
    for code, geometry in sorted(gazetteer.shapes(kind).items()):
        simple = shapely.set_precision(shapely.simplify(geometry, 0.01, preserve_topology=True), 0.001)
        if simple.is_empty:
            continue
        # Snapped to the grid, the doubles still print as 12.345000000000001: round them here.
        shape = shapely.geometry.mapping(shapely.transform(simple, lambda xy: np.round(xy, 3)))
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {},
                "geometry": {"type": shape["type"], "coordinates": shape["coordinates"]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _add_outlines(fmap: folium.Map, gazetteer: Gazetteer) -> None:
    """Regions (filled, like land) and provinces (lines) under the tiles: the offline basemap."""
    folium.map.CustomPane("mg-confini", z_index=150, pointer_events=False).add_to(fmap)
    folium.GeoJson(
        _outlines(gazetteer.path, "regions"),
        control=False,
        pane="mg-confini",
        interactive=False,
        attribution=html.escape(gazetteer.attribution),
        style_function=lambda _: {
            "color": "#7d7d7d",
            "weight": 1.2,
            "fillColor": "#f4f1ea",
            "fillOpacity": 1,
        },
    ).add_to(fmap)
    folium.GeoJson(
        _outlines(gazetteer.path, "provinces"),
        control=False,
        pane="mg-confini",
        interactive=False,
        style_function=lambda _: {"color": "#a9a9a9", "weight": 0.6, "fill": False},
    ).add_to(fmap)


def _inline_header(figure: Figure, assets: Sequence[_assets.Asset]) -> None:
    """Put the inlined libraries first in the page head, before folium's own scripts."""
    for asset in assets:
        tag = "script" if asset.kind == "js" else "style"
        figure.header.add_child(RawElement(f"<{tag}>\n{asset.text}\n</{tag}>"), name=f"inline-{asset.name}")
    figure.header.add_child(RawElement(f"<script>{_assets.leaflet_icon_fix()}</script>"), name="inline-icon-fix")


def stable_ids(root: Element) -> None:
    """Replace folium's random element ids (``map_3f2a…``) by a counter: same input, same bytes."""
    for number, element in enumerate(_assets.walk(root)):
        element._id = str(number)


def render_page(
    gazetteer: Gazetteer,
    parts: Callable[[Sequence[_assets.Asset]], dict[str, Markup]],
) -> str:
    """Build the folium page and return its HTML.

    ``parts(assets)`` returns the preview's own ``head``, ``top`` (the page header, before
    ``<main>``) and ``body`` (it needs the list of inlined libraries for their licence notice).
    """
    fmap, tiles = _base_map()
    _add_outlines(fmap, gazetteer)
    element = PreviewElement(fmap, tiles)
    element.add_to(fmap)
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure._template = Template(_FIGURE_TEMPLATE)
    assets = _assets.inline_assets(figure)
    element.parts = parts(assets)
    # The page header (title, skip link) goes before <main>; read by _FIGURE_TEMPLATE.
    figure.mg_top = element.parts.get("top", "")  # type: ignore[attr-defined]
    _inline_header(figure, assets)
    stable_ids(figure)
    page, found = _FOLIUM_VIEWPORT.subn(_VIEWPORT, str(figure.render()))
    assert found == 1, "folium's viewport <meta> changed: update _FOLIUM_VIEWPORT"
    return page
