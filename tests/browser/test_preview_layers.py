"""Layers that share the preview (issue 26), at 390x844 and 1280x720 in headless Chromium.

The territories of Ambiti and Unioni (off on load, on by a switch), the previous map's kept
layers (green squares) and the initiatives: every switch shows and hides its layer, no other
layer covers the numbers of the groups of Comuni, the attribution folds behind a "?" on a
phone, the search box's placeholder fits, and axe-core finds nothing with every layer on.

The build is made here (the bundled example places no association yet): 400 practices of the
synthetic build over ~130 Comuni, two Unioni of the Interior Ministry's register with their
practices at their lead Comuni, and a kept layer with a green square at every third Comune of
the build, so that squares fall where the groups are drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fixtures import factories
from fixtures.synthetic import synthetic_build
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, CarriedLayer, OutputOptions
from mapgen.writers.preview import write_preview
from tests.browser.accessibility import (
    VIEWPORTS,
    after_layer_switch_opens,
    axe_violations,
    fade_in,
    offline_page,
    settle,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

TERRITORIES = "Territori di Ambiti e Unioni"
#: Paths drawn in the territories' pane, markers and paths in the kept layers' pane.
IN_TERRITORIES = "document.querySelectorAll('.leaflet-mg-territori-pane path').length"
IN_KEPT = (
    "document.querySelectorAll('.leaflet-mg-altri-pane .leaflet-marker-icon, .leaflet-mg-altri-pane path').length"
)


def _kept_layer(build: BuildResult) -> CarriedLayer:
    """The previous map's regional projects: a point at every third Comune of ``build``."""
    comuni = sorted({item.comune.istat_code: item.comune for item in build.initiatives}.values(),
                    key=lambda c: c.istat_code)[::3]  # fmt: skip
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
         "properties": {"name": f"Progetto regionale {c.name}", "description": "Progetto della Regione."}}
        for c in comuni
    ]  # fmt: skip
    return CarriedLayer(
        name="Progetti regionali", source=factories.PREVIOUS_FILE,
        geojson={"type": "FeatureCollection", "features": features,
                 "_umap_options": {"name": "Progetti regionali", "color": "DarkGreen"}},
    )  # fmt: skip


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    base = synthetic_build(400, seed=11, per_comune=3)
    unioni = factories.association_initiatives(
        "UC2080666010", "039012", ("Primi 1000 giorni", "Centro per le famiglie"), first_row=1000
    ) + factories.association_initiatives("UC2080686040", "035004", ("Nidi d'estate",), first_row=1010)
    build = BuildResult(
        initiatives=tuple(sorted(base.initiatives + unioni, key=lambda i: i.id)),
        outcomes=(), diff=base.diff, editions=base.editions, carried_layers=(_kept_layer(base),),
    )  # fmt: skip
    out = tmp_path_factory.mktemp("layers")
    return write_preview(build, out, gazetteer=gazetteer, options=OutputOptions())[0]


def _unfold_panel(page: Page) -> None:
    """On a phone the panel starts folded: open it from its summary, as a visitor does."""
    if not page.evaluate("document.querySelector('.mg-panel').open"):
        page.locator(".mg-panel summary").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("document.querySelector('.mg-panel').open")


def _switch(page: Page, name: str) -> Any:
    """The panel's checkbox whose accessible name starts with ``name``."""
    return page.get_by_role("checkbox", name=name)


def _press_space_on(page: Page, box: Any) -> None:
    box.focus()
    page.keyboard.press("Space")
    settle(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_every_layer_switch_shows_and_hides_its_layer(
    chromium: Browser, layered: Path, viewport: tuple[int, int]
) -> None:
    with offline_page(chromium, layered, viewport) as page:
        _unfold_panel(page)
        # The territories: off on load; the switch (Space, from the keyboard) draws both Unioni.
        territories = _switch(page, TERRITORIES)
        assert territories.count() == 1 and not territories.is_checked()
        assert page.evaluate(IN_TERRITORIES) == 0
        _press_space_on(page, territories)
        assert territories.is_checked() and page.evaluate(IN_TERRITORIES) == 2
        _press_space_on(page, territories)
        assert page.evaluate(IN_TERRITORIES) == 0

        # The kept layer: on on load (as on the uMap map), off and on again.
        kept = _switch(page, "Progetti regionali")
        squares = page.evaluate(IN_KEPT)
        assert kept.is_checked() and squares == page.evaluate("mapgenPreview.data.carried[0].elementi.length")
        _press_space_on(page, kept)
        assert page.evaluate(IN_KEPT) == 0
        _press_space_on(page, kept)
        assert page.evaluate(IN_KEPT) == squares

        # Editions and areas: each checkbox takes its initiatives off the map and puts them back.
        total = page.evaluate("mapgenPreview.counts().inCluster")
        for kind in ("edition", "area"):
            boxes = page.locator(f"input[data-{kind}]")
            for k in range(boxes.count()):
                box = boxes.nth(k)
                _press_space_on(page, box)
                off = page.evaluate("mapgenPreview.counts().inCluster")
                expected = page.evaluate(
                    "mapgenPreview.data.items.filter(i => (i[1] & mapgenPreview.editionMask)"
                    " && (i[2] & mapgenPreview.areaMask)).length"
                )
                assert off == expected < total, (kind, k)
                _press_space_on(page, box)
                assert page.evaluate("mapgenPreview.counts().inCluster") == total, (kind, k)

        # The base map: "no tiles" takes the OpenStreetMap layer off, choosing it again puts it back
        # (radio buttons: the arrow keys choose).
        page.locator(".leaflet-control-layers-toggle").focus()
        page.keyboard.press("Enter")
        after_layer_switch_opens(page)
        page.get_by_role("radio", name="OpenStreetMap").focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_function("!mapgenPreview.map.hasLayer(mapgenPreview.tiles)")
        assert page.get_by_role("radio", name="Nessuno sfondo (solo confini)").is_checked()
        page.keyboard.press("ArrowUp")
        page.wait_for_function("mapgenPreview.map.hasLayer(mapgenPreview.tiles)")


#: For every number a group of Comuni (or a Comune's marker) shows inside the map and clear of
#: its controls: what the page has on top at the number's centre.
COVERED = """() => {
  const map = mapgenPreview.map.getContainer().getBoundingClientRect();
  const controls = Array.from(document.querySelectorAll('.leaflet-control')).map(c => c.getBoundingClientRect());
  const inside = (r, x, y) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
  const checked = [], covered = [];
  document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon [data-n] span').forEach(label => {
    const r = label.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (!inside(map, x, y) || controls.some(c => inside(c, x, y))) { return; }
    const icon = label.closest('.leaflet-marker-icon'), top = document.elementFromPoint(x, y);
    checked.push(label.textContent);
    if (!top || !icon.contains(top)) {
      covered.push(label.textContent + ' under ' + (top ? top.className.baseVal ?? top.className : 'nothing'));
    }
  });
  return {checked, covered};
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_no_layer_covers_the_numbers_of_the_groups(chromium: Browser, layered: Path, viewport: tuple[int, int]) -> None:
    with offline_page(chromium, layered, viewport) as page:
        page.evaluate("document.querySelector('input[data-territori]').click()")
        settle(page)
        assert page.evaluate(IN_TERRITORIES) == 2 and page.evaluate(IN_KEPT) > 0
        for zoom in (None, 7, 8):  # the first view, then closer (groups split, squares nearer)
            if zoom is not None:
                page.evaluate(f"mapgenPreview.map.setView([44.4, 11.6], {zoom}, {{animate: false}})")
                settle(page)
            found = page.evaluate(COVERED)
            assert len(found["checked"]) >= 3, found  # the check looked at groups
            assert found["covered"] == [], (zoom, found["covered"])


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_territory_popup_names_the_unione_and_its_practices(
    chromium: Browser, layered: Path, viewport: tuple[int, int]
) -> None:
    with offline_page(chromium, layered, viewport) as page:
        page.evaluate("document.querySelector('input[data-territori]').click()")
        # From the list under the map (the keyboard's way to a territory): Enter on the layer, then
        # on the Unione, opens its popup on the map with the focus inside.
        page.locator("[data-mg='territori'] summary").focus()
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Unione dei Comuni della Bassa Romagna").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".leaflet-popup")
        fade_in(page)
        popup = page.locator(".leaflet-popup")
        assert popup.locator("h2").inner_text() == "Unione dei Comuni della Bassa Romagna"
        text = popup.inner_text()
        assert "Territorio dei Comuni associati" in text
        assert "Bagnacavallo (RA)" in text
        assert "Primi 1000 giorni (Lugo (RA))" in text and "Centro per le famiglie (Lugo (RA))" in text
        assert "Nidi d'estate" not in text  # the other Unione's practice
        assert page.evaluate("document.querySelector('.leaflet-popup').contains(document.activeElement)")


def test_attribution_folds_behind_a_button_on_a_phone(chromium: Browser, layered: Path) -> None:
    visible = "(el => !!el && el.getClientRects().length > 0)(document.querySelector('.leaflet-control-attribution'))"
    with offline_page(chromium, layered, (390, 844)) as page:
        button = page.get_by_role("button", name="Fonti e licenze della mappa")
        assert button.is_visible() and button.inner_text() == "?"
        assert not page.evaluate(visible)
        assert button.get_attribute("aria-expanded") == "false"
        # Reached with Tab from the search box like every control, opened and closed with the keyboard.
        page.locator(".mg-search input").focus()
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('.mg-attr-toggle')"):
                break
        else:
            raise AssertionError("the attribution's button is not reached with Tab")
        page.keyboard.press("Enter")
        assert page.evaluate(visible) and button.get_attribute("aria-expanded") == "true"
        assert "OpenStreetMap" in page.inner_text(".leaflet-control-attribution")
        assert "ISTAT" in page.inner_text(".leaflet-control-attribution")
        box = page.locator(".leaflet-control-attribution").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
        page.keyboard.press("Space")
        assert not page.evaluate(visible) and button.get_attribute("aria-expanded") == "false"


def test_attribution_shown_in_full_on_a_desktop(chromium: Browser, layered: Path) -> None:
    with offline_page(chromium, layered, (1280, 720)) as page:
        assert page.locator(".leaflet-control-attribution").is_visible()
        assert "ISTAT" in page.inner_text(".leaflet-control-attribution")
        assert not page.locator(".mg-attr-toggle").is_visible()


#: The placeholder's width in the input's font, and the room the input gives it.
PLACEHOLDER = """() => {
  const input = document.querySelector('.mg-search input'), style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  return {text: input.placeholder, width: context.measureText(input.placeholder).width,
    room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
    label: input.getAttribute('aria-label')};
}"""


@pytest.mark.parametrize(
    ("viewport", "placeholder"),
    [((1280, 720), "Cerca Comune o iniziativa…"), ((390, 844), "Cerca Comune…")],
    ids=["1280x720", "390x844"],
)
def test_search_placeholder_fits(chromium: Browser, layered: Path, viewport: tuple[int, int], placeholder: str) -> None:
    with offline_page(chromium, layered, viewport) as page:
        found = page.evaluate(PLACEHOLDER)
        assert found["text"] == placeholder
        assert 0 < found["width"] <= found["room"], found
        assert found["label"] == "Cerca Comune o iniziativa"  # the full wording, for screen readers


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_no_axe_violations_with_every_layer_on(chromium: Browser, layered: Path, viewport: tuple[int, int]) -> None:
    with offline_page(chromium, layered, viewport) as page:
        _unfold_panel(page)
        _press_space_on(page, _switch(page, TERRITORIES))
        results = [("layers on", axe_violations(page))]
        if page.locator(".mg-attr-toggle").is_visible():
            page.locator(".mg-attr-toggle").click()
            results.append(("attribution open", axe_violations(page)))
        page.evaluate("document.querySelector(\"[data-mg='territori'] details\").open = true")
        page.get_by_role("button", name="Unione Val d'Enza").click()
        page.wait_for_selector(".leaflet-popup")
        fade_in(page)
        results.append(("territory popup", axe_violations(page)))
        assert [(state, lines) for state, lines in results if lines] == []
