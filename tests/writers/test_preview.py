"""The preview writer without a browser: page structure, data blob, escaping, offline assets.

What the page does when opened is checked in ``tests/browser/test_preview_browser.py``.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import folium
import pytest
from folium import plugins
from folium.template import _to_escaped_json

from fixtures.factories import HOSTILE_TEXT
from mapgen.errors import OutputError
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, OutputOptions
from mapgen.writers import _assets, preview
from mapgen.writers._folium_page import RawElement
from mapgen.writers.preview import (
    format_date,
    format_euro,
    format_int,
    render_preview,
    write_preview,
)

DATA = re.compile(
    r'<script type="application/(json|gzip-base64)" id="(mg-data|mg-text)">(.*?)</script>',
    re.DOTALL,
)


def page_data(page: str) -> dict[str, Any]:
    """The data of a rendered page: the index with its popup texts (plain or packed)."""
    found = {element: (kind, text) for kind, element, text in DATA.findall(page)}
    assert len(DATA.findall(page)) == 2 and set(found) == {"mg-data", "mg-text"}
    assert found["mg-data"][0] == "json", "the index is always plain JSON"
    data: dict[str, Any] = json.loads(found["mg-data"][1])
    kind, text = found["mg-text"]
    if kind == "gzip-base64":
        text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
    data["texts"] = json.loads(text)
    return data


def item_by_title(data: dict[str, Any], title: str) -> dict[str, Any]:
    """One initiative as a dict of its named fields."""
    for row, texts in zip(data["items"], data["texts"], strict=True):
        if row[3] == title:
            named = dict(zip(data["fields"], texts, strict=True))
            comune = data["comuni"][row[0]]
            return {**named, "titolo": title, "comune": comune, "editions": row[1], "areas": row[2]}
    raise AssertionError(f"no initiative titled {title!r}")


@pytest.fixture
def page(sample_build: BuildResult, gazetteer: Gazetteer) -> str:
    return render_preview(sample_build, gazetteer=gazetteer, options=OutputOptions())


# --- Italian formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (12500.5, "12.500,50 €"),
        (0, "0,00 €"),
        (999.999, "1.000,00 €"),
        (1234567.891, "1.234.567,89 €"),
    ],
)
def test_format_euro(amount: float, text: str) -> None:
    assert format_euro(amount) == text


def test_format_int_and_date() -> None:
    assert format_int(2749031) == "2.749.031"
    assert format_int(999) == "999"
    assert format_date(date(2020, 1, 5)) == "05/01/2020"


# --- the file ------------------------------------------------------------------------------


def test_write_preview_writes_one_file(sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path) -> None:
    written = write_preview(sample_build, tmp_path, gazetteer=gazetteer, options=OutputOptions())
    assert written == [tmp_path / "preview.html"]
    assert sorted(tmp_path.iterdir()) == written
    text = written[0].read_text(encoding="utf-8")
    assert text.startswith('<!DOCTYPE html>\n<html lang="it">')
    assert "\r" not in text


def test_same_build_gives_identical_bytes(sample_build: BuildResult, gazetteer: Gazetteer, page: str) -> None:
    again = render_preview(sample_build, gazetteer=gazetteer, options=OutputOptions())
    assert again == page
    # folium's ids are 32 random hex digits; none may survive.
    assert not re.search(r"[0-9a-f]{32}", page)


def test_nothing_is_fetched_from_the_network(page: str) -> None:
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*\shref=", page)
    assert not re.search(r"url\((?!['\"]?(data:|#))", page), "a stylesheet url() that is not a data: URI"
    for cdn in ("cdn.jsdelivr", "cdnjs", "unpkg", "code.jquery", "bootstrapcdn"):
        assert cdn not in page
    # The libraries are in the page itself, with their licences.
    assert 't.version="1.9.3"' in page
    assert "L.MarkerClusterGroup" in page
    assert "L.control.fullscreen" in page
    assert "Copyright 2012 David Leaver" in page and "Copyright (c) 2010-2022, Vladimir Agafonkin" in page


def test_page_has_map_controls_and_outlines(page: str, gazetteer: Gazetteer) -> None:
    assert "L.tileLayer(" in page and "tile.openstreetmap.org" in page
    assert "L.control.layers(" in page and '"Nessuno sfondo (solo confini)"' in page
    assert '"title": "Schermo intero"' in page
    assert page.count("L.geoJson(") == 2  # regions and provinces, drawn under the tiles
    assert '"pane": "mg-confini"' in page
    # The gazetteer's attribution goes with the outlines, as Leaflet shows it (HTML-escaped).
    assert f'"attribution": {_to_escaped_json(html.escape(gazetteer.attribution))}' in page


# --- data blob and escaping -----------------------------------------------------------------


def test_data_holds_every_initiative(sample_build: BuildResult, page: str) -> None:
    data = page_data(page)
    assert len(data["items"]) == len(sample_build.initiatives)
    assert data["editions"] == [2019, 2020]
    per_comune = [row[0] for row in data["items"]]
    assert len(data["comuni"]) == len({i.comune.istat_code for i in sample_build.initiatives}) == 5
    assert per_comune.count(per_comune[0]) >= 1
    roma = [row for row in data["items"] if data["comuni"][row[0]][2] == "Roma"]
    assert len(roma) == 2  # two practices, one marker


def test_popup_fields_in_italian_format(page: str, gazetteer: Gazetteer) -> None:
    data = page_data(page)
    centro = item_by_title(data, "Centro per le famiglie")
    assert centro["importo"] == "12.500,50 €"
    assert centro["periodo"] == "dal 15/01/2020 al 31/12/2020"
    assert centro["fonti"] == "nazionale, regionale"
    assert centro["editions"] == 0b11  # 2019 and 2020
    roma = gazetteer.by_code("058091")
    assert roma is not None and roma.population is not None
    assert centro["comune"][2:5] == ["Roma", "RM", "Lazio"]
    assert centro["comune"][5] == format_int(roma.population)
    altro = item_by_title(data, "Estate ragazzi")
    assert altro["fonti"] == "altro (fondazione bancaria)"
    assert altro["aree_altro"] == "tempo libero"


def test_ambito_and_members(page: str) -> None:
    scuola = item_by_title(page_data(page), "Scuola per genitori")
    assert scuola["ente"] == "Ambito territoriale di Lecce (capofila di Ambito)"
    assert scuola["membri"] == "Lecce (LE), Castro (LE), Tricase (LE)"


def test_only_web_links_become_links(page: str) -> None:
    data = page_data(page)
    nidi = item_by_title(data, "Nidi gratis")
    assert nidi["link"] == "" and nidi["sito"] == "javascript:alert(1)"
    assert item_by_title(data, "Centro per le famiglie")["link"] == "https://www.example.org/centro"


def test_hostile_text_is_data_not_markup(page: str) -> None:
    bonus = item_by_title(page_data(page), "Bonus bebè <b>2020</b>")
    assert bonus["descrizione"] == HOSTILE_TEXT.strip()
    # In the page source, no survey text can open or close an element...
    assert "<img src=x" not in page
    assert "</script><img" not in page
    assert "<b>2020</b>" not in page
    assert page.count("</script>") == page.count("<script")
    # ...nor was it evaluated as a template while building the page.
    assert "{{ 7*7 }}" in page and " 49 " not in page


def test_contacts_only_when_opted_in(sample_build: BuildResult, gazetteer: Gazetteer, page: str) -> None:
    assert "mario.rossi@example.org" not in page and "Mario Rossi" not in page
    assert "Referente" not in page
    opted = render_preview(sample_build, gazetteer=gazetteer, options=OutputOptions(include_contacts=True))
    centro = item_by_title(page_data(opted), "Centro per le famiglie")
    assert (centro["referente"], centro["email"], centro["telefono"]) == (
        "Mario Rossi",
        "mario.rossi@example.org",
        "06 1234567",
    )
    assert "<dt>Referente</dt>" in opted


def test_panel_counts_and_legend(page: str) -> None:
    data = page_data(page)
    assert [a["nome"] for a in data["areas"]] == [
        "infanzia",
        "natalità",
        "sostegno alle famiglie",
        "responsabilità genitoriali",
        "centri per le famiglie",
        "altro",
    ]
    assert 'data-edition="0" checked> 2019 <span class="mg-n">(2)</span>' in page
    assert 'data-edition="1" checked> 2020 <span class="mg-n">(5)</span>' in page
    assert '<i class="mg-swatch mg-a1"></i>natalità <span class="mg-n">(2)</span>' in page
    assert ".mg-a1{background:#CC79A7;color:#000000}" in page


def test_initiative_without_area_gets_its_own_legend_entry(
    sample_build: BuildResult,
    gazetteer: Gazetteer,
) -> None:
    first = sample_build.initiatives[0]
    bare = replace(first, record=replace(first.record, aree=()))
    build = replace(sample_build, initiatives=(bare, *sample_build.initiatives[1:]))
    data = page_data(render_preview(build, gazetteer=gazetteer, options=OutputOptions()))
    assert data["areas"][-1]["nome"] == "area non indicata"
    assert all(row[2] for row in data["items"]), "every initiative has an area bit, so filters show it"


def test_title_is_escaped(sample_build: BuildResult, gazetteer: Gazetteer) -> None:
    options = OutputOptions(title="Mappa <script>alert(1)</script> & co")
    page = render_preview(sample_build, gazetteer=gazetteer, options=options)
    assert "<title>Mappa &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in page
    assert "<script>alert(1)" not in page


def test_empty_build(gazetteer: Gazetteer, sample_build: BuildResult) -> None:
    page = render_preview(replace(sample_build, initiatives=()), gazetteer=gazetteer, options=OutputOptions())
    data = page_data(page)
    assert data["items"] == [] and data["bounds"] == [[36.6, 6.6], [47.1, 18.5]]


def test_large_data_is_packed(
    sample_build: BuildResult,
    gazetteer: Gazetteer,
    page: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(preview, "COMPRESS_OVER", 0)
    packed = render_preview(sample_build, gazetteer=gazetteer, options=OutputOptions())
    assert '<script type="application/gzip-base64" id="mg-text">' in packed
    assert page_data(packed) == page_data(page)
    assert render_preview(sample_build, gazetteer=gazetteer, options=OutputOptions()) == packed


# --- assets ------------------------------------------------------------------------------------


def test_inlined_code_cannot_close_its_element() -> None:
    js = _assets.safe_for_html('var a = "</script><b>"; // <!-- x\n//# sourceMappingURL=a.map\n', "js")
    assert "</script" not in js and "<!--" not in js and "sourceMappingURL" not in js
    assert "<\\/script>" in js
    assert "</style" not in _assets.safe_for_html("a{content:'</STYLE>'}", "css")


def test_stylesheet_images_become_data_uris() -> None:
    css = _assets.load_asset("leaflet_css").text
    assert "url(images/" not in css
    assert 'url("data:image/png;base64,' in css
    assert "url(#default#VML)" in css  # fragments are left alone


def test_folium_plugins_get_offline_copies_or_are_refused() -> None:
    fmap = folium.Map(tiles=None)
    plugins.MarkerCluster().add_to(fmap)
    plugins.Fullscreen().add_to(fmap)
    names = [asset.name for asset in _assets.inline_assets(fmap.get_root())]
    assert names == [
        "leaflet",
        "markerclusterjs",
        "Control.Fullscreen.js",
        "leaflet_css",
        "markerclustercss",
        "markerclusterdefaultcss",
        "Control.FullScreen.css",
    ]
    assert "L.MarkerClusterGroup=L.FeatureGroup.extend" in _assets.load_asset("markerclusterjs").text
    assert fmap.default_js == []  # the instance no longer links anywhere
    assert folium.Map.default_js != []  # ...and other maps are untouched

    searching = folium.Map(tiles=None)
    plugins.Search(folium.GeoJson({"type": "FeatureCollection", "features": []}).add_to(searching)).add_to(searching)
    with pytest.raises(OutputError, match=r"needs 'Leaflet\.Search\.js', which mapgen has no offline copy of"):
        _assets.inline_assets(searching.get_root())


def test_raw_element_is_not_a_template() -> None:
    assert RawElement("{{ 7*7 }} {% if x %}").render() == "{{ 7*7 }} {% if x %}"


@pytest.mark.parametrize(
    ("text", "is_link"),
    [
        ("https://www.comune.roma.it/famiglie?x=1#a", True),
        ("HTTP://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt://example.org/%0Aalert(1)", False),
        ("data:text/html,<script>", False),
        ("www.example.org", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("https://example.org/\nx", False),
        ("//example.org", False),
    ],
)
def test_web_links(text: str, is_link: bool) -> None:
    assert preview._is_web_link(text) is is_link


# --- the previous map's other layers ---------------------------------------------------------


def _carried_build(sample_build: BuildResult, layers: list[dict[str, Any]]) -> BuildResult:
    from mapgen.model import CarriedLayer

    carried = tuple(
        CarriedLayer(name=str(i), source="mappa_2019.umap", geojson=layer) for i, layer in enumerate(layers)
    )
    return replace(sample_build, carried_layers=carried)


def test_carried_layers_are_drawn_with_their_umap_popups(sample_build: BuildResult, gazetteer: Gazetteer) -> None:
    layer = {
        "type": "FeatureCollection",
        "_umap_options": {"name": "Progetti <b>regionali</b>", "color": "DarkGreen", "displayOnLoad": False,
                          "popupContentTemplate": "# {name}\n**{regione}** · {email}\n{description}"},
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [16.87, 41.12]},
             "properties": {"name": "Linea Puglia", "regione": "Puglia", "email": "capo@example.org",
                            "description": "* nidi\n* [[https://www.example.org/p|sito]]<script>window.__x=1</script>"}},
            {"type": "Feature", "geometry": {"type": "LineString",
                                             "coordinates": [[12.0, 42.0], [12.123456789012, 42.5]]},
             "properties": {"description": "Senza titolo"}},
            {"type": "Feature", "geometry": None, "properties": {"name": "Senza luogo"}},
            {"type": "Feature", "geometry": {"type": "GeometryCollection", "geometries": []}, "properties": {}},
        ],
    }  # fmt: skip
    other = {"type": "FeatureCollection", "properties": {"name": "Confini", "color": "red;background:url(x)"},
             "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.0, 45.0]},
                           "properties": {"name": "Punto"}}]}  # fmt: skip
    build = _carried_build(sample_build, [layer, other])
    carried = preview.preview_data(build, gazetteer=gazetteer, options=OutputOptions())["carried"]
    # Worked out by hand from uMap 3.8.1's rules: the template's "# {name}" line is the popup's
    # heading; **{regione}** is bold; the contact property fills nothing; the list is a list; the
    # script goes with its content; the link keeps only what a web link needs.
    assert carried == [
        {"nome": "Progetti <b>regionali</b>", "colore": "DarkGreen", "visibile": False, "elementi": [
            [{"type": "Point", "coordinates": [16.87, 41.12]}, "Linea Puglia",
             '<strong>Puglia</strong> · \n<ul><li>nidi</li><li><a target="_blank" href="https://www.example.org/p"'
             ' rel="noopener noreferrer">sito</a></li></ul>'],
            # No name: uMap's {name} is then the layer's name (getDisplayName), the heading here.
            [{"type": "LineString", "coordinates": [[12.0, 42.0], [12.123457, 42.5]]}, "Progetti <b>regionali</b>",
             "<strong></strong> · \nSenza titolo"],
        ]},
        {"nome": "Confini", "colore": "#555555", "visibile": True, "elementi": [
            [{"type": "Point", "coordinates": [9.0, 45.0]}, "Punto", ""],
        ]},
    ]  # fmt: skip


def test_carried_layers_in_the_page_are_escaped(sample_build: BuildResult, gazetteer: Gazetteer) -> None:
    layer = {"type": "FeatureCollection", "_umap_options": {"name": "</script><b>Livello</b>", "color": "Navy"},
             "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.0, 45.0]},
                           "properties": {"name": "x", "description": "y"}}]}  # fmt: skip
    page = preview.render_preview(_carried_build(sample_build, [layer]), gazetteer=gazetteer, options=OutputOptions())
    assert "</script><b>Livello" not in page
    assert "&lt;/script&gt;&lt;b&gt;Livello&lt;/b&gt; <span" in page  # the panel's checkbox label
    assert ".mg-c0{background:Navy}" in page


# --- the territories of Ambiti and Unioni (issue 26) ------------------------------------------


def _association_build() -> BuildResult:
    from fixtures import factories

    items = factories.association_initiatives("UC2080666010", "039012", ("Primi 1000 giorni", "Centro per le famiglie"))
    return BuildResult(initiatives=items, outcomes=(), diff=factories.sample_build().diff, editions=(2020,))


def test_territories_are_the_umap_layer_off_on_load(gazetteer: Gazetteer) -> None:
    from mapgen.writers._umap_territories import territories_layer

    build = _association_build()
    territories = preview.preview_data(build, gazetteer=gazetteer, options=OutputOptions())["territori"]
    [published] = territories_layer(build, gazetteer=gazetteer)["features"]  # type: ignore[index]
    assert (territories["nome"], territories["visibile"], territories["colore"]) == (
        "Territori di Ambiti e Unioni", False, "#7b3294")
    [(geometry, title, popup)] = territories["elementi"]
    assert geometry == published["geometry"]  # the same territory as on uMap, not a second reckoning
    assert title == "Unione dei Comuni della Bassa Romagna"
    # The layer's uMap template "# {name}\n{description}": the name heads the popup, the rest
    # formatted as uMap formats it (worked out by hand: ** is bold, lines kept, "* " lines one list).
    assert popup == (
        "<strong>Comuni (9):</strong> Alfonsine (RA), Bagnacavallo (RA), Bagnara di Romagna (RA), Conselice (RA), "
        "Cotignola (RA), Fusignano (RA), Lugo (RA), Massa Lombarda (RA), Sant'Agata sul Santerno (RA)\n"
        "<strong>Iniziative:</strong>\n<ul><li>Centro per le famiglie (Lugo (RA))</li>"
        "<li>Primi 1000 giorni (Lugo (RA))</li></ul>"
    )


def test_territories_switch_is_a_labelled_checkbox_off_on_load(gazetteer: Gazetteer) -> None:
    page = render_preview(_association_build(), gazetteer=gazetteer, options=OutputOptions())
    switch = re.search(r"<label><input type=\"checkbox\" data-territori>(.*?)</label>", page)
    assert switch is not None, "no unchecked switch for the territories"
    assert re.sub(r"<[^>]+>", "", switch.group(1)).strip() == "Territori di Ambiti e Unioni (1)"
    assert '<div data-mg="territori"></div>' in page  # their entries in the list under the map
    assert ".mg-terr{background:#7b3294}" in page


def test_no_territories_without_associations(page: str) -> None:
    assert page_data(page)["territori"] is None
    assert "<input type=\"checkbox\" data-territori>" not in page and "<div data-mg=\"territori\">" not in page


def test_search_box_is_named_in_full_with_a_short_placeholder(page: str) -> None:
    box = re.search(r'<input type="search"[^>]*>', page)
    assert box is not None
    assert 'aria-label="Cerca Comune o iniziativa"' in box.group(0)
    assert 'placeholder="Cerca Comune o iniziativa…"' in box.group(0)
    assert 'data-short="Cerca Comune…"' in box.group(0)
