"""preview.html and report.html for every citizen and staff member (issue 19).

axe-core (npm, ``tests/browser/package.json``) injected into Debian's Chromium checks the
WCAG 2.1 A and AA rules on both pages of the bundled example and of the hostile build of
``tests/writers/test_hostile_writers.py``, in the states a visitor brings them to (popups, layer switch,
search hits, the list opened); a keyboard-only walk operates every control of the preview with
a visible focus; the visible text has no English words; popups stay clear of the panel and the
first view is fitted to the data, at 1280x720 and 390x844.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mapgen.gazetteer import Gazetteer
from tests.browser.accessibility import (
    VIEWPORTS,
    Pages,
    after_layer_switch_opens,
    axe_violations,
    build_example,
    english_words,
    fade_in,
    focus_ring,
    offline_page,
    open_first_popups,
    settle,
    visible_text,
)
from tests.writers.test_hostile_writers import Built, built  # noqa: F401  (the hostile build fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Pages:
    return build_example(tmp_path_factory.mktemp("example") / "output", gazetteer)


@pytest.fixture(scope="module")
def hostile(built: Built) -> Pages:  # noqa: F811
    return Pages(built.out / "preview.html", built.out / "report.html")


def _pages(request: pytest.FixtureRequest, which: str) -> Pages:
    return request.getfixturevalue(which)  # type: ignore[no-any-return]


# --- axe-core: WCAG 2.1 A and AA ------------------------------------------------------------


def _preview_states(page: Page) -> list[tuple[str, list[str]]]:
    """axe on the preview as loaded, with popups open, the layer switch open, search hits shown."""
    results = [("loaded", axe_violations(page))]
    page.evaluate("document.querySelector('#mg-elenco details').open = true")
    results.append(("list opened", axe_violations(page)))
    open_first_popups(page)
    results.append(("Comune popup", axe_violations(page)))
    if page.locator(".mg-list .mg-open").count():  # a Comune with several initiatives lists them first
        page.locator(".mg-list .mg-open").first.click()
        page.wait_for_selector(".mg-item")
        fade_in(page)
        results.append(("initiative popup", axe_violations(page)))
    page.evaluate("mapgenPreview.map.closePopup()")
    page.locator(".leaflet-control-layers-toggle").focus()
    page.keyboard.press("Enter")
    results.append(("layer switch open", axe_violations(page)))
    # two letters of a Comune on the map, so that the search has hits in any build
    page.locator(".mg-search input").fill(page.evaluate("mapgenPreview.searchIndex().comuni[0].slice(0, 2)"))
    page.wait_for_selector(".mg-hits:not([hidden]) li")
    results.append(("search hits", axe_violations(page)))
    return results


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize("which", ["example", "hostile"])
def test_preview_has_no_wcag_violations(
    request: pytest.FixtureRequest, chromium: Browser, which: str, viewport: tuple[int, int]
) -> None:
    with offline_page(chromium, _pages(request, which).preview, viewport) as page:
        failing = {state: lines for state, lines in _preview_states(page) if lines}
    assert not failing, "\n".join(f"{state}: {line}" for state, lines in failing.items() for line in lines)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize("which", ["example", "hostile"])
def test_report_has_no_wcag_violations(
    request: pytest.FixtureRequest, chromium: Browser, which: str, viewport: tuple[int, int]
) -> None:
    with offline_page(chromium, _pages(request, which).report, viewport) as page:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert axe_violations(page) == []


def test_axe_finds_violations(chromium: Browser, tmp_path: Path) -> None:
    """The check can fail: a page without lang, title, labels and contrast has violations."""
    page_path = tmp_path / "bad.html"
    page_path.write_text(
        '<html><body><input type="text"><p style="color:#bbb;background:#fff">testo</p><img src="x.png"></body></html>',
        encoding="utf-8",
    )
    with offline_page(chromium, page_path, (1280, 720)) as page:
        ids = {line.split(" ")[0] for line in axe_violations(page)}
    assert {"html-has-lang", "document-title", "label", "color-contrast", "image-alt"} <= ids


# --- keyboard only --------------------------------------------------------------------------


def _tab_to(page: Page, selector: str, *, limit: int = 400, backwards: bool = False) -> list[dict[str, object]]:
    """Press Tab until the focus is on ``selector``; every stop on the way must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        ring = focus_ring(page)
        seen.append(ring)
        if ring["tag"] != "body" and page.evaluate(f"document.activeElement.matches({selector!r})"):
            return seen
    raise AssertionError(f"{selector} not reached with Tab; stops: {[s['name'] for s in seen[-15:]]}")


def _no_hidden_focus(stops: list[dict[str, object]]) -> None:
    hidden = [stop for stop in stops if stop["tag"] != "body" and not stop["ring"]]
    assert not hidden, f"focus not visible on {hidden[:5]}"


def test_keyboard_operates_every_control(chromium: Browser, example: Pages) -> None:
    with offline_page(chromium, example.preview, (1280, 720)) as page:
        map_js = "mapgenPreview.map"
        # The first stop is the skip link, shown on focus.
        page.keyboard.press("Tab")
        first = focus_ring(page)
        assert first["name"] == "Salta alla lista delle iniziative" and first["ring"] and first["onScreen"]

        # Zoom in, zoom out.
        stops = _tab_to(page, ".leaflet-control-zoom-in")
        zoom = page.evaluate(f"{map_js}.getZoom()")
        page.keyboard.press("Enter")
        page.wait_for_function(f"{map_js}.getZoom() > {zoom}")
        page.wait_for_function(f"!{map_js}._animatingZoom")  # Leaflet ignores a zoom during the animation
        zoomed = page.evaluate(f"{map_js}.getZoom()")
        stops += _tab_to(page, ".leaflet-control-zoom-out")
        page.keyboard.press("Enter")
        page.wait_for_function(f"{map_js}.getZoom() < {zoomed}")  # the fitted view's zoom may be fractional

        # Fullscreen on and off.
        stops += _tab_to(page, ".leaflet-control-zoom-fullscreen")
        page.keyboard.press("Enter")
        page.wait_for_function(f"{map_js}._isFullscreen === true")
        page.keyboard.press("Enter")
        page.wait_for_function(f"{map_js}._isFullscreen === false")

        # Search: type, arrow down to the first hit, Enter opens its popup and focuses it; Escape closes it
        # and gives the focus back to the search box.
        stops += _tab_to(page, ".mg-search input")
        page.keyboard.type("Roma")
        page.wait_for_selector(".mg-hits:not([hidden]) button")
        page.keyboard.press("ArrowDown")
        _no_hidden_focus([focus_ring(page)])
        page.keyboard.press("Enter")
        page.wait_for_selector(".leaflet-popup")
        page.wait_for_function("document.querySelector('.leaflet-popup').contains(document.activeElement)")
        assert "Roma" in page.inner_text(".leaflet-popup")
        page.keyboard.press("Escape")
        page.wait_for_function("!document.querySelector('.leaflet-popup')")
        assert page.evaluate("document.activeElement.matches('.mg-search input')")
        page.keyboard.press("Escape")  # empties the search box

        # Layer switch: Enter opens it, Tab reaches the base layers (a radio group: one tab stop, the
        # checked one), an arrow key picks "no tiles".
        stops += _tab_to(page, ".leaflet-control-layers-toggle")
        assert page.get_attribute(".leaflet-control-layers-toggle", "aria-label") == "Sfondo della mappa"
        page.keyboard.press("Enter")
        page.wait_for_selector(".leaflet-control-layers-expanded")
        after_layer_switch_opens(page)
        stops += _tab_to(page, ".leaflet-control-layers-base input:checked")
        page.keyboard.press("ArrowDown")
        page.wait_for_function("!mapgenPreview.map.hasLayer(mapgenPreview.tiles)")
        assert (
            page.locator(".leaflet-control-layers-base input:checked").evaluate("i => i.labels[0].textContent.trim()")
            == "Nessuno sfondo (solo confini)"
        )

        # Filters: Space on an edition checkbox hides its initiatives, Space again shows them.
        stops += _tab_to(page, "input[data-edition='0']")
        before = page.evaluate("mapgenPreview.counts().visible")
        page.keyboard.press("Space")
        settle(page)
        assert page.evaluate("mapgenPreview.counts().visible") < before
        stops += _tab_to(page, "button[data-mg='tutte']")
        page.keyboard.press("Enter")
        settle(page)
        assert page.evaluate("mapgenPreview.counts().visible") == before

        # The panel folds and unfolds from its summary.
        stops += _tab_to(page, ".mg-panel summary", backwards=True)
        page.keyboard.press("Enter")
        assert page.evaluate("!document.querySelector('.mg-panel').open")
        page.keyboard.press("Enter")
        assert page.evaluate("document.querySelector('.mg-panel').open")

        _no_hidden_focus(stops)

        # The list: the panel's link jumps to it, Enter opens a region, an entry opens its popup
        # with the focus inside; Escape closes it and the focus goes back to the entry.
        page.evaluate("document.querySelector('.mg-tolist').focus()")
        page.keyboard.press("Enter")
        stops = _tab_to(page, "#mg-elenco summary")
        page.keyboard.press("Enter")
        stops += _tab_to(page, "#mg-elenco .mg-open")
        title = page.evaluate("document.activeElement.textContent")
        page.keyboard.press("Enter")
        page.wait_for_selector(".leaflet-popup .mg-item")
        page.wait_for_function("document.querySelector('.leaflet-popup').contains(document.activeElement)")
        assert page.inner_text(".leaflet-popup h2") == title
        stops += _tab_to(page, ".leaflet-popup-close-button")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Escape")
        page.wait_for_function("!document.querySelector('.leaflet-popup')")
        assert page.evaluate("document.activeElement.textContent") == title
        _no_hidden_focus(stops)


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_keyboard_opens_groups_of_comuni(chromium: Browser, example: Pages, key: str) -> None:
    with offline_page(chromium, example.preview, (1280, 720)) as page:
        map_js = "mapgenPreview.map"
        # The map's controls come before its markers: a few Tabs, however many markers are drawn.
        controls = _tab_to(page, ".leaflet-control-zoom-in")
        assert len(controls) <= 3, [stop["name"] for stop in controls]
        # A group of Comuni: Tab reaches it, the key zooms in and the focus stays on the map's markers
        # (the group's icon is gone); groups are opened until a Comune's marker has the focus, whose
        # popup the key opens with the focus inside; Escape closes it and gives the focus back.
        stops = _tab_to(page, ".marker-cluster")
        assert page.evaluate("document.activeElement.getAttribute('role')") == "button"
        assert "iniziative" in str(stops[-1]["name"])
        for _ in range(8):
            zoom = page.evaluate(f"{map_js}.getZoom()")
            page.keyboard.press(key)
            page.wait_for_function(
                f"{map_js}.getZoom() > {zoom} || document.querySelector('.leaflet-marker-icon.mg-pin:focus')"
            )
            page.wait_for_function("document.activeElement.matches('.leaflet-marker-icon')")
            stops.append(focus_ring(page))
            if page.evaluate("document.activeElement.matches('.mg-pin')"):
                break
        else:
            raise AssertionError(f"{key} on the groups never reached a Comune's marker")
        assert page.evaluate(f"{map_js}.getZoom()") > 7
        comune = str(focus_ring(page)["name"]).split(":")[0]
        page.keyboard.press(key)
        page.wait_for_selector(".leaflet-popup")
        page.wait_for_function("document.querySelector('.leaflet-popup').contains(document.activeElement)")
        assert comune.split(" (")[0] in page.inner_text(".leaflet-popup")
        page.keyboard.press("Escape")
        page.wait_for_function("!document.querySelector('.leaflet-popup')")
        assert str(focus_ring(page)["name"]).startswith(comune)
        _no_hidden_focus(stops)


def test_report_controls_show_their_focus(chromium: Browser, example: Pages) -> None:
    with offline_page(chromium, example.report, (1280, 720)) as page:
        count = page.evaluate("document.querySelectorAll('a[href], button, input, select, summary').length")
        stops = [focus_ring(page) for _ in range(min(count, 60)) if page.keyboard.press("Tab") is None]
        assert len({str(s["name"]) for s in stops}) > 5
        _no_hidden_focus(stops)


# --- Italian --------------------------------------------------------------------------------


def test_english_words_are_found() -> None:
    """The scan can fail: it finds the English of the old report line and Leaflet's labels."""
    old = "CSV, UTF-8, separator ',', 306 rows; 306 responses: 413 initiatives, 21 excluded; 2 errors, 17 warnings"
    assert english_words(old) == ["separator", "rows", "responses", "initiatives", "excluded", "errors", "warnings"]
    assert english_words("Layers · Close popup · Zoom in") == ["layers", "close", "popup", "zoom in"]
    assert english_words("Iniziative mostrate: 3 di 5; OpenStreetMap contributors; Escluse") == []


@pytest.mark.parametrize("which", ["example", "hostile"])
def test_no_english_in_what_people_read(request: pytest.FixtureRequest, chromium: Browser, which: str) -> None:
    pages = _pages(request, which)
    with offline_page(chromium, pages.preview, (1280, 720)) as page:
        page.evaluate("document.querySelectorAll('#mg-elenco details').forEach(d => d.open = true)")
        open_first_popups(page)
        text = visible_text(page)
        if page.locator(".mg-list .mg-open").count():  # a Comune with several initiatives lists them first
            page.locator(".mg-list .mg-open").first.click()
            page.wait_for_selector(".mg-item")
            text += visible_text(page)
    with offline_page(chromium, pages.report, (1280, 720)) as page:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        text += visible_text(page)
    if which == "hostile":
        # The probes are survey text, typed by respondents, not the tool's words.
        from tests.writers.test_hostile_writers import PROBES

        for probe in PROBES:
            text = text.replace(probe, " ")
    found = english_words(text)
    contexts = [m.group(0) for w in found for m in re.finditer(rf".{{0,40}}\\b{w}\\b.{{0,40}}", text, re.I | re.S)][:6]
    assert found == [], contexts


# --- popups, panel, first view --------------------------------------------------------------


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_popups_stay_clear_of_the_panel(chromium: Browser, example: Pages, viewport: tuple[int, int]) -> None:
    """Popups of the Comuni furthest east and north (opened as the search and the list do) are not under the panel."""
    with offline_page(chromium, example.preview, viewport) as page:
        order = page.evaluate(
            """() => { const m = mapgenPreview.markers.map((m, i) => [i, m.getLatLng()]);
              const east = m.slice().sort((a, b) => b[1].lng - a[1].lng).slice(0, 2);
              const north = m.slice().sort((a, b) => b[1].lat - a[1].lat).slice(0, 2);
              return east.concat(north).map(x => x[0]); }"""
        )
        for c in order:
            page.evaluate(
                """c => new Promise((done, fail) => { const p = mapgenPreview; p.map.closePopup();
                  setTimeout(() => fail(new Error('no popup for marker ' + c)), 10000);
                  // goTo zooms until the marker is out of its cluster, as the search and the list do.
                  p.map.once('popupopen', () => setTimeout(done, 700)); p.goTo(c, null); })""",
                c,
            )
            settle(page)
            rect = "(s => { const r = document.querySelector(s).getBoundingClientRect(); " \
                   "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })"
            popup = page.evaluate(f"{rect}('.leaflet-popup-content-wrapper')")
            panel = page.evaluate(f"{rect}('.mg-panel')")
            search = page.evaluate(f"{rect}('.mg-search')")
            assert not _overlap(popup, panel), (c, popup, panel)
            assert not _overlap(popup, search), (c, popup, search)
            assert popup["top"] >= 0 and popup["right"] <= viewport[0], popup


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_first_view_is_fitted_to_the_data(chromium: Browser, example: Pages, viewport: tuple[int, int]) -> None:
    with offline_page(chromium, example.preview, viewport) as page:
        span = page.evaluate(
            """() => { const p = mapgenPreview, b = p.data.bounds, size = p.map.getSize();
              const sw = p.map.latLngToContainerPoint(b[0]), ne = p.map.latLngToContainerPoint(b[1]);
              const inside = sw.x >= 0 && ne.x <= size.x && ne.y >= 0 && sw.y <= size.y;
              return {inside, width: (ne.x - sw.x) / size.x, height: (sw.y - ne.y) / size.y}; }"""
        )
    assert span["inside"], span
    # Whole zoom steps left the data a third of the window; quarter steps fill most of it.
    assert max(span["width"], span["height"]) >= 0.65, span


def test_panel_says_the_counts_overlap(chromium: Browser, example: Pages) -> None:
    with offline_page(chromium, example.preview, (1280, 720)) as page:
        note = page.inner_text(".mg-panel")
    assert "la somma dei numeri tra parentesi può superare le iniziative mostrate" in note


def test_list_follows_the_filters(chromium: Browser, example: Pages) -> None:
    """The list holds what the filters let through, grouped by Region and Comune."""
    with offline_page(chromium, example.preview, (1280, 720)) as page:
        # A Region's Comuni are filled on its "toggle" event, which fires after the change.
        listed = """new Promise(done => {
            document.querySelectorAll('#mg-elenco details').forEach(d => d.open = true);
            setTimeout(() => done(document.querySelectorAll('[data-mg="elenco"] .mg-open').length), 100);
        })"""
        total = page.evaluate("mapgenPreview.counts().visible")
        # An initiative is listed once per Comune: the list counts entries, not distinct initiatives.
        assert page.evaluate(listed) == total
        page.locator("input[data-edition='0']").uncheck()
        settle(page)
        fewer = page.evaluate("mapgenPreview.counts().visible")
        assert 0 < fewer < total
        assert page.evaluate(listed) == fewer
        regions = page.evaluate(
            "Array.from(document.querySelectorAll('[data-mg=\"elenco\"] summary h3')).map(h => h.textContent)"
        )
        assert regions == sorted(regions, key=str.casefold) and "Lazio" in regions


def test_kept_layers_are_drawn_listed_and_switched(chromium: Browser, example: Pages) -> None:
    """The 2019 map's "Progetti regionali" (kept on the uMap map): on the map, in the list, in the panel."""
    with offline_page(chromium, example.preview, (1280, 720)) as page:
        drawn = "mapgenPreview.carried.map(c => [c.layer.nome, c.entries.length, mapgenPreview.map.hasLayer(c.group)])"
        assert page.evaluate(drawn) == [["Progetti regionali", 20, True]]
        # examples/make_previous.py writes one project per region; its popup is the layer's own text.
        page.locator('[data-mg="altri"] summary').click()  # its entries are made on "toggle", just after
        page.wait_for_function("document.querySelectorAll('[data-mg=\"altri\"] .mg-open').length === 20")
        entries = page.locator('[data-mg="altri"] .mg-open')
        first = entries.first.inner_text()
        entries.first.press("Enter")
        page.wait_for_selector(".leaflet-popup .mg-item")
        page.wait_for_function("document.querySelector('.leaflet-popup').contains(document.activeElement)")
        popup = page.inner_text(".leaflet-popup")
        assert popup.startswith(first) and "Livello «Progetti regionali» della mappa precedente" in popup
        assert "Programma regionale 2019 coordinato da" in popup
        assert page.evaluate("document.querySelector('.mg-elenco').getBoundingClientRect().top > 0")  # map in view
        page.keyboard.press("Escape")
        page.wait_for_function("!document.querySelector('.leaflet-popup')")
        assert page.evaluate("document.activeElement.textContent") == first
        # The panel switches the layer off: off the map and out of the list.
        page.locator("input[data-carried='0']").uncheck()
        assert page.evaluate(drawn) == [["Progetti regionali", 20, False]]
        assert page.locator('[data-mg="altri"] .mg-open').count() == 0
        assert "Nessuno di questi livelli è mostrato" in page.inner_text('[data-mg="altri"]')
