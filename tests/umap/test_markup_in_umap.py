"""The same carried descriptions through the preview and through the real uMap 3.8.1.

Each case of ``tests/umap/markup_cases.py`` becomes an initiative of the 2019 map (its text
in uMap's markup); ``write_umap`` and ``write_preview`` write the map. ``map.umap`` is imported
into the suite's real uMap through its import panel and saved (as in
``tests/umap/test_in_umap.py``), then each feature's popup is opened as a visitor sees it;
the preview draws the same initiative's popup text in Chromium. Both must show the same
text, the same ``http(s)`` links and the same images, and that must be what the case says
by hand. The same descriptions also sit in a layer the new map keeps unchanged, with its own
popup template; the preview draws that layer, and its popups must read as uMap's. The one
difference is deliberate: a page uMap embeds (``{{{url}}}``) is a link in the preview.
Run alone with ``pytest -m umap``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from fixtures import factories
from mapgen.contacts import protect_contacts
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, CarriedLayer, EditionDiff, OutputOptions
from mapgen.writers.preview import write_preview
from mapgen.writers.umap import write_umap
from tests.umap.markup_cases import CASES, MarkupCase
from tests.umap.test_in_umap import import_file, new_map, visit
from tests.umap_server.server import UmapServer

pytestmark = [pytest.mark.umap, pytest.mark.browser]


def case_title(number: int) -> str:
    return f"Caso {number:02d}"


def markup_build(gazetteer: Gazetteer) -> BuildResult:
    """One 2019 initiative per case, each in a Comune of its own province (no clusters)."""
    by_province: dict[str, Any] = {}
    for comune in gazetteer.active():
        by_province.setdefault(comune.sigla, comune)
    comuni = list(by_province.values())[: len(CASES)]
    items = []
    for number, (case, comune) in enumerate(zip(CASES, comuni, strict=True), start=1):
        record = factories.initiative(
            f"2019-iniziative-{number}", edition=2019, comune_name=comune.name, titolo=case_title(number),
            descrizione=case.text, properties={"name": case_title(number), "description": case.text,
                                               **case.properties},
            point=(comune.lon, comune.lat), sito_web="", referente="", email="", telefono="",
            destinatari="", importo=None, fonti=(), tipo_ente="", data_inizio=None, data_fine=None,
        )  # fmt: skip
        items.append(factories.map_initiative(f"{comune.istat_code}-caso-{number}", comune, record))
    return BuildResult(
        initiatives=tuple(sorted(items, key=lambda i: i.id)), outcomes=(),
        diff=EditionDiff(newest=2019, previous=()), editions=(2019,),
        carried_layers=(carried_layer(comuni),),
    )  # fmt: skip


#: A layer the new map keeps as it was, with its own popup template (as the 2019 map's
#: "Progetti regionali"): one feature per case, and one without a name.
CARRIED_TEMPLATE = "# {name}\n**{regione}** – {anno}\n{description}"
#: The cases a kept layer carries: all but raw HTML, which the new map publishes unchanged in a
#: kept layer, so uMap itself would fetch its relative <img src="x"> (the old map did too).
CARRIED_CODES = [f"p{n}" for n, case in enumerate(CASES, start=1) if case.name != "html"] + ["senza-nome"]


def carried_layer(comuni: list[Any]) -> CarriedLayer:
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon + 0.05, c.lat + 0.05]},
         "properties": {"name": f"Progetto {number:02d}", "codice": f"p{number}", "regione": c.region,
                        "anno": 2019, "description": case.text, **case.properties}}
        for number, (case, c) in enumerate(zip(CASES, comuni, strict=True), start=1)
        if f"p{number}" in CARRIED_CODES
    ]  # fmt: skip
    features.append({
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [12.5, 41.9]},
        "properties": {"codice": "senza-nome", "regione": "Lazio", "description": "Punto **senza** nome"},
    })  # fmt: skip
    options = {"name": "Progetti regionali", "color": "DarkGreen", "popupContentTemplate": CARRIED_TEMPLATE}
    geojson = {"type": "FeatureCollection", "features": features, "_umap_options": options}
    return CarriedLayer(name="Progetti regionali", source="mappa_2019.umap", geojson=geojson)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    out = tmp_path_factory.mktemp("markup")
    # As a build does: carried layers lose their contact properties before any writer runs.
    build = protect_contacts(markup_build(gazetteer), OutputOptions())
    write_umap(build, out, gazetteer=gazetteer, options=OutputOptions())
    write_preview(build, out, gazetteer=gazetteer, options=OutputOptions())
    return out


# innerText of the popup content, its http(s) links, images and iframes.
_READ = """box => ({
    text: box.innerText,
    links: [...box.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.innerText])
        .filter(([href]) => /^https?:/.test(href)),
    images: [...box.querySelectorAll('img[src]')].map(i => i.getAttribute('src')).filter(s => /^https?:/.test(s)),
    frames: [...box.querySelectorAll('iframe[src]')].map(i => i.getAttribute('src')),
})"""


@pytest.fixture(scope="module")
def in_umap(chromium: Browser, umap_server: UmapServer, written: Path) -> dict[str, dict[str, Any]]:
    """Each case's popup on the real uMap, as an anonymous visitor opens it."""
    editor = visit(chromium, umap_server, logged_in=True)
    page = new_map(editor, umap_server)
    import_file(page, written / "map.umap")
    page.wait_for_function(f"() => U.MAP.layers.tree.count() === {len(_layers(written))}")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => U.MAP.properties.id && !U.MAP.isDirty")
    map_id = int(page.evaluate("U.MAP.properties.id"))
    page.context.close()
    assert editor.errors == []

    visitor = visit(chromium, umap_server, logged_in=False)
    page = visitor.page
    page.goto(f"{umap_server.url}/m/{map_id}/")
    page.wait_for_function("() => window.U && U.MAP && U.MAP.dataloaded === true")
    seen: dict[str, dict[str, Any]] = {}
    for number in range(1, len(CASES) + 1):
        title = case_title(number)
        page.evaluate(
            "t => U.MAP.layers.tree.map(dl => dl.features.all()).flat()"
            ".find(f => f.properties.name === t).view()",
            title,
        )
        box = page.locator(".umap-popup-content").filter(has=page.locator(f"h4:text-is('{title}')"))
        box.wait_for()
        seen[title] = box.evaluate(_READ)
        page.keyboard.press("Escape")
    for code in CARRIED_CODES:
        page.evaluate(
            "c => U.MAP.layers.tree.map(dl => dl.features.all()).flat()"
            ".find(f => f.properties.codice === c).view()",
            code,
        )
        heading = f"Progetto {code[1:].zfill(2)}" if code != "senza-nome" else "Progetti regionali"
        box = page.locator(".umap-popup-content").filter(has=page.locator(f"h4:text-is('{heading}')"))
        box.wait_for()
        seen[code] = box.evaluate(_READ)
        page.keyboard.press("Escape")
    assert page.evaluate("typeof window.__xss") == "undefined", "a script of a description ran"
    visitor.assert_no_errors()
    page.context.close()
    return seen


@pytest.fixture(scope="module")
def in_preview(chromium: Browser, written: Path) -> dict[str, dict[str, Any]]:
    """Each case's description as the preview's popup draws it."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.goto((written / "preview.html").as_uri())
    page.wait_for_function("window.mapgenPreview !== undefined && !window.mapgenPreview.loading")
    page.evaluate("mapgenPreview.loadTexts()")
    page.wait_for_function("mapgenPreview.texts !== null")
    seen = {}
    for number in range(1, len(CASES) + 1):
        title = case_title(number)
        seen[title] = page.evaluate(
            """([title, read]) => {
                const p = mapgenPreview, i = p.data.items.findIndex(item => item[3] === title);
                const holder = document.createElement('div');
                holder.className = 'leaflet-popup-content';
                document.body.appendChild(holder);
                holder.appendChild(p.renderItem(i, null));
                const seen = eval(read)(holder.querySelector('.mg-descr'));
                holder.remove();
                return seen;
            }""",
            [title, _READ],
        )
    for index, code in enumerate(CARRIED_CODES):
        # The carried layer's popups, opened for real: heading and content, without the layer line.
        page.evaluate("k => { const c = mapgenPreview.carried[0]; c.entries[k].openPopup(); }", index)
        page.locator(".leaflet-popup .mg-title").wait_for()
        popup = page.locator(".leaflet-popup .mg-item")
        seen[code] = popup.evaluate(
            """(item, read) => {
                const body = item.querySelector('.mg-descr'), got = body ? eval(read)(body) : {text: '', links: [],
                    images: [], frames: []};
                return {...got, text: item.querySelector('.mg-title').innerText + '\\n' + got.text};
            }""",
            _READ,
        )
        page.evaluate("mapgenPreview.map.closePopup()")
        page.wait_for_function("!document.querySelector('.leaflet-popup')")
    assert page.evaluate("typeof window.__xss") == "undefined", "a script of a description ran"
    context.close()
    return seen


def _layers(written: Path) -> list[Any]:
    return list(json.loads((written / "map.umap").read_text(encoding="utf-8"))["layers"])


def fold_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("number", range(1, len(CASES) + 1), ids=[c.name for c in CASES])
def test_preview_and_umap_show_the_same(
    number: int, in_umap: dict[str, dict[str, Any]], in_preview: dict[str, dict[str, Any]]
) -> None:
    case: MarkupCase = CASES[number - 1]
    umap, preview = in_umap[case_title(number)], in_preview[case_title(number)]
    embeds = [href for href, text in preview["links"] if href in case.embeds and text == href]
    preview_text = fold_spaces(preview["text"])
    for href in embeds:  # the preview links to what uMap embeds
        preview_text = fold_spaces(preview_text.replace(href, ""))
    # What the case says, worked out by hand from uMap's rules...
    assert preview_text == fold_spaces(case.visible)
    # ...is what the real uMap shows, inside its popup (which adds the Comune and the edition).
    assert f" {preview_text} " in f" {fold_spaces(umap['text'])} "
    links = [tuple(link) for link in preview["links"] if link[0] not in embeds]
    assert links == [tuple(link) for link in umap["links"]] == list(case.links)
    assert preview["images"] == umap["images"] == list(case.images)
    assert embeds == umap["frames"] == list(case.embeds)


@pytest.mark.parametrize("code", CARRIED_CODES)
def test_carried_layer_popups_show_what_umap_shows(
    code: str, in_umap: dict[str, dict[str, Any]], in_preview: dict[str, dict[str, Any]]
) -> None:
    """The kept layer's own template (title, bold region, year, description) in both."""
    umap, preview = in_umap[code], in_preview[code]
    embeds = [href for href, text in preview["links"] if href == text and href in umap["frames"]]
    preview_text = fold_spaces(preview["text"])
    for href in embeds:
        preview_text = fold_spaces(preview_text.replace(href, ""))
    assert preview_text == fold_spaces(umap["text"])
    assert [tuple(link) for link in preview["links"] if link[0] not in embeds] == [tuple(x) for x in umap["links"]]
    assert preview["images"] == umap["images"]
    assert embeds == umap["frames"]
    if code == "senza-nome":  # uMap names it after its layer (getDisplayName); so does the preview
        assert fold_spaces(umap["text"]) == "Progetti regionali Lazio – Punto senza nome"  # no "anno"
    else:
        assert fold_spaces(umap["text"]).startswith(f"Progetto {code[1:].zfill(2)} ")
