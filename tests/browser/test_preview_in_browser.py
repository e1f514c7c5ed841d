"""preview.html in headless Chromium, offline, from file://: markers, filters, popups, search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fixtures.synthetic import synthetic_build
from mapgen.gazetteer import Gazetteer
from mapgen.model import AREAS, BuildResult, OutputOptions
from mapgen.writers import preview
from mapgen.writers.preview import write_preview
from tests.browser.accessibility import after_layer_switch_opens
from tests.browser.conftest import OfflinePage

pytestmark = pytest.mark.browser

Opener = Callable[[Path], OfflinePage]

#: Sum of the numbers carried by every marker and cluster icon drawn on the map.
DRAWN = (
    "Array.from(document.querySelectorAll('.leaflet-marker-pane [data-n]'))"
    ".reduce((sum, icon) => sum + Number(icon.dataset.n), 0)"
)
ONE_POPUP = "document.querySelectorAll('.leaflet-popup').length === 1"


def write(build: BuildResult, folder: Path, gazetteer: Gazetteer, **options: bool) -> Path:
    return write_preview(build, folder, gazetteer=gazetteer, options=OutputOptions(**options))[0]


def shown(view: OfflinePage) -> tuple[int, int, int]:
    """Initiatives the filters let through, those inside the cluster group, those drawn as icons."""
    page = view.page
    page.wait_for_function("!window.mapgenPreview.loading")
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    counts = page.evaluate("mapgenPreview.counts()")
    return counts["visible"], counts["inCluster"], page.evaluate(DRAWN)


def set_filters(view: OfflinePage, *, editions: set[int] | None = None, areas: set[int] | None = None) -> None:
    """Tick exactly the given edition/area indexes (None: all of them)."""
    page = view.page
    for kind, wanted in (("edition", editions), ("area", areas)):
        boxes = page.locator(f"input[data-{kind}]")
        for k in range(boxes.count()):
            box = boxes.nth(k)
            box.set_checked(wanted is None or int(box.get_attribute(f"data-{kind}") or -1) in wanted)


def expected(build: BuildResult, *, editions: set[int], areas: set[str]) -> int:
    return sum(1 for item in build.initiatives if set(item.edizioni) & editions and set(item.record.aree) & areas)


@pytest.fixture
def sample_page(sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path, open_offline: Opener) -> OfflinePage:
    return open_offline(write(sample_build, tmp_path, gazetteer))


@pytest.fixture(scope="module")
def big_build() -> BuildResult:
    return synthetic_build(600, seed=7, per_comune=3)


# --- markers and filters ---------------------------------------------------------------------


def test_every_initiative_is_on_the_map(sample_page: OfflinePage, sample_build: BuildResult) -> None:
    total = len(sample_build.initiatives)
    assert shown(sample_page) == (total, total, total)
    # One marker per Comune: Roma's two practices share one.
    assert sample_page.page.evaluate("mapgenPreview.counts().markers") == 5
    assert sample_page.page.locator('.mg-dot[data-n="2"]').count() == 1
    assert sample_page.unexpected_errors() == []


def test_counts_per_edition_and_area_in_clusters(
    big_build: BuildResult,
    gazetteer: Gazetteer,
    tmp_path: Path,
    open_offline: Opener,
) -> None:
    view = open_offline(write(big_build, tmp_path, gazetteer))
    total = len(big_build.initiatives)
    assert shown(view) == (total, total, total)
    assert view.page.locator(".mg-cluster").count() > 0, "the test needs clusters to be meaningful"
    areas = [a for a in AREAS if any(a in i.record.aree for i in big_build.initiatives)]
    for e, edition in enumerate((2019, 2020)):
        set_filters(view, editions={e})
        n = expected(big_build, editions={edition}, areas=set(areas))
        assert shown(view) == (n, n, n), edition
    for a, area in enumerate(areas):
        set_filters(view, areas={a})
        n = expected(big_build, editions={2019, 2020}, areas={area})
        assert shown(view) == (n, n, n), area
    set_filters(view, editions={0}, areas={0, 2})  # combined: 2019 x (infanzia or sostegno)
    n = expected(big_build, editions={2019}, areas={areas[0], areas[2]})
    assert 0 < n < total and shown(view) == (n, n, n)
    assert view.page.inner_text('[data-mg="visibili"]') == str(n)
    assert view.unexpected_errors() == []


def test_switch_a_layer_off_and_on(sample_page: OfflinePage) -> None:
    page = sample_page.page
    page.locator('input[data-edition="1"]').uncheck()  # 2020 off: only 2019 practices remain
    assert shown(sample_page) == (2, 2, 2)
    assert page.locator('.leaflet-marker-icon[title^="Castro (LE):"]').count() == 0
    page.locator('input[data-edition="1"]').check()
    assert shown(sample_page) == (6, 6, 6)
    page.locator('input[data-edition="0"]').uncheck()
    page.locator('input[data-edition="1"]').uncheck()
    assert shown(sample_page) == (0, 0, 0)
    page.click('[data-mg="tutte"]')
    assert shown(sample_page) == (6, 6, 6)
    assert sample_page.unexpected_errors() == []


def test_base_layer_switch_keeps_the_outlines(sample_page: OfflinePage) -> None:
    page = sample_page.page
    outlines = page.locator(".leaflet-mg-confini-pane path").count()
    assert outlines > 100  # 20 regions + 107 provinces drawn offline
    page.hover(".leaflet-control-layers")
    after_layer_switch_opens(page)
    page.get_by_label("Nessuno sfondo (solo confini)").check()
    assert page.locator(".leaflet-tile-pane .leaflet-layer").count() == 0
    assert page.locator(".leaflet-mg-confini-pane path").count() == outlines
    page.get_by_label("OpenStreetMap").check()
    assert page.locator(".leaflet-tile-pane .leaflet-layer").count() == 1


# --- popups --------------------------------------------------------------------------------


def test_comune_popup_lists_its_practices(sample_page: OfflinePage) -> None:
    page = sample_page.page
    page.click('.leaflet-marker-icon[title^="Roma (RM):"]')
    popup = page.locator(".leaflet-popup")
    assert popup.locator("h2").inner_text() == "Roma (RM)"
    assert popup.locator(".mg-count").inner_text() == "2 iniziative"
    assert popup.locator(".mg-open").all_inner_texts() == ["Centro per le famiglie", "Nidi gratis"]
    popup.get_by_role("button", name="Nidi gratis").click()
    text = popup.inner_text()
    for part in (
        "Nidi gratis",
        "Roma (RM) · Lazio",
        "2020",
        "infanzia",
        "natalità",
        "comunale",
        "Sito web (indirizzo non valido)",
        "javascript:alert(1)",
        "dal 15/01/2020 al 31/12/2020",
        "Popolazione del Comune",
        "di cui 0-17 anni",
    ):
        assert part in text, part
    assert "Importo" not in text  # no amount given: the row is left out
    assert page.locator('a[href^="javascript:"]').count() == 0
    popup.get_by_role("button", name="← Tutte le iniziative di Roma (RM)").click()
    assert popup.locator(".mg-open").count() == 2
    popup.get_by_role("button", name="Centro per le famiglie").click()
    page.click(".leaflet-popup-close-button")
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
    page.click('.leaflet-marker-icon[title^="Roma (RM):"]')  # opens on the list again
    assert page.locator(".leaflet-popup .mg-open").count() == 2
    assert sample_page.unexpected_errors() == []


def test_single_practice_popup(sample_page: OfflinePage) -> None:
    page = sample_page.page
    page.click('.leaflet-marker-icon[title^="Bolzano (BZ):"]')
    popup = page.locator(".leaflet-popup")
    assert popup.locator("h2").inner_text() == "Familienzentrum / Centro famiglie"
    assert popup.locator(".mg-edition").all_inner_texts() == ["2019"]
    badge = popup.locator(".mg-badge.mg-a2")
    assert badge.inner_text() == "sostegno alle famiglie"
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(0, 114, 178)"
    link = popup.locator(".mg-item a")
    assert (
        link.get_attribute("href"),
        link.get_attribute("target"),
        link.get_attribute("rel"),
    ) == ("https://www.example.org/centro", "_blank", "noopener noreferrer")
    descr = popup.locator(".mg-descr")
    assert descr.inner_text() == "Sportello di ascolto e mediazione familiare.\nAperto il martedì."
    assert descr.evaluate("d => getComputedStyle(d).overflowY") == "auto"
    assert "Referente" not in popup.inner_text() and "mario.rossi" not in page.content()
    assert popup.locator(".leaflet-popup-close-button").get_attribute("aria-label") == "Chiudi la scheda"


def test_contacts_shown_when_opted_in(
    sample_build: BuildResult,
    gazetteer: Gazetteer,
    tmp_path: Path,
    open_offline: Opener,
) -> None:
    view = open_offline(write(sample_build, tmp_path, gazetteer, include_contacts=True))
    view.page.click('.leaflet-marker-icon[title^="Aosta (AO):"]')
    popup = view.page.locator(".leaflet-popup")
    assert popup.locator('[data-f="referente"]').inner_text() == "Mario Rossi"
    assert popup.locator('[data-f="email"]').inner_text() == "mario.rossi@example.org"
    assert popup.locator('[data-f="telefono"]').inner_text() == "06 1234567"
    assert view.unexpected_errors() == []


# --- search --------------------------------------------------------------------------------


def test_search_a_comune_inside_a_cluster(sample_page: OfflinePage) -> None:
    page = sample_page.page
    castro = page.locator('.leaflet-marker-icon[title^="Castro (LE):"]')
    # The first view is fitted to the data (a small sample shows Castro alone): zoom out to cluster it.
    page.evaluate("mapgenPreview.map.setZoom(5, {animate: false})")
    page.wait_for_function("!mapgenPreview.loading && !mapgenPreview.map._animatingZoom")
    assert castro.count() == 0, "Castro starts inside the Lecce cluster"
    page.fill(".mg-search input", "castr")
    hits = page.locator(".mg-hits button")
    hits.first.wait_for()
    # Castro's marker first, then the Lecce Ambito's practice that lists Castro among its members.
    assert hits.all_inner_texts() == ["Castro (LE)\n1 iniziativa", "Scuola per genitori\nLecce (LE)"]
    page.keyboard.press("Enter")
    page.wait_for_function(ONE_POPUP)
    assert castro.count() == 1, "the search zoomed the cluster open"
    assert page.locator(".leaflet-popup h2").inner_text() == "Bonus bebè <b>2020</b>"
    assert sample_page.unexpected_errors() == []


def test_search_a_title_opens_that_practice(sample_page: OfflinePage) -> None:
    page = sample_page.page
    page.fill(".mg-search input", "NIDI")  # case and accents do not matter
    page.locator(".mg-hits button").first.click()
    page.wait_for_function(ONE_POPUP)
    popup = page.locator(".leaflet-popup")
    assert popup.locator("h2").inner_text() == "Nidi gratis"
    assert popup.locator(".mg-back").inner_text() == "← Tutte le iniziative di Roma (RM)"
    page.fill(".mg-search input", "bebe")
    page.locator(".mg-hits button").first.wait_for()
    assert page.locator(".mg-hits button").all_inner_texts() == ["Bonus bebè <b>2020</b>\nCastro (LE)"]
    page.fill(".mg-search input", "zzzz")
    page.locator(".mg-none").wait_for()


# --- safety, offline, controls --------------------------------------------------------------


def test_hostile_text_is_shown_and_never_runs(sample_page: OfflinePage) -> None:
    page = sample_page.page
    page.fill(".mg-search input", "castro")
    page.locator(".mg-hits button").first.click()
    page.wait_for_function(ONE_POPUP)
    descr = page.locator(".leaflet-popup .mg-descr").inner_text()
    assert '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">' in descr
    assert "${prezzo} {comune} {{ 7*7 }}" in descr and "C:\\dati\\2019\\progetto </script>" in descr
    assert page.locator(".leaflet-popup .mg-title b").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("window.__xss") is None
    assert sample_page.unexpected_errors() == []


def test_offline_background_and_controls(sample_page: OfflinePage) -> None:
    page = sample_page.page
    assert sample_page.blocked, "the page asked for tiles (and was refused)"
    assert all("tile.openstreetmap.org" in url for url in sample_page.blocked)
    page.locator('[data-mg="offline"]').wait_for()  # the note explaining the plain background
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap" in attribution and "ISTAT" in attribution
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Ingrandisci"
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and scale.inner_text().endswith("km")
    page.click(".leaflet-control-zoom-fullscreen")
    page.wait_for_function("mapgenPreview.map._isFullscreen === true")
    page.click(".leaflet-control-zoom-fullscreen")
    page.wait_for_function("mapgenPreview.map._isFullscreen === false")
    assert sample_page.unexpected_errors() == []


def test_packed_data_reads_the_same(
    sample_build: BuildResult,
    gazetteer: Gazetteer,
    tmp_path: Path,
    open_offline: Opener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(preview, "COMPRESS_OVER", 0)
    view = open_offline(write(sample_build, tmp_path, gazetteer))
    assert view.page.locator('script[type="application/gzip-base64"]').count() == 1
    assert shown(view) == (6, 6, 6)
    view.page.click('.leaflet-marker-icon[title^="Roma (RM):"]')
    popup = view.page.locator(".leaflet-popup")
    assert popup.locator(".mg-count").inner_text() == "2 iniziative"
    popup.get_by_role("button", name="Centro per le famiglie").click()
    assert "12.500,50 €" in popup.locator(".mg-item").inner_text()
    assert view.unexpected_errors() == []


def test_search_a_member_comune_finds_the_practice_of_its_unione(
    gazetteer: Gazetteer, tmp_path: Path, open_offline: Opener
) -> None:
    # Issue 26: a resident of Bagnacavallo finds the Bassa Romagna's practice sited at Lugo,
    # though Bagnacavallo has no marker of its own.
    from dataclasses import replace

    from fixtures import factories

    association = gazetteer.association("UC2080666010")
    assert association is not None
    lugo = factories.comune("039012")
    members = tuple(factories.comune(code) for code in association.members)
    record = factories.initiative(titolo="Primi 1000 giorni")
    item = replace(factories.map_initiative("039012-primi-1000-giorni", lugo, record, members=members),
                   association=association)
    build = BuildResult(initiatives=(item,), outcomes=(), diff=factories.sample_build().diff, editions=(2020,))
    view = open_offline(write(build, tmp_path, gazetteer))
    page = view.page
    page.fill(".mg-search input", "bagnacav")
    hits = page.locator(".mg-hits button")
    hits.first.wait_for()
    assert hits.all_inner_texts() == ["Primi 1000 giorni\nLugo (RA)"]
    hits.first.click()
    page.wait_for_function(ONE_POPUP)
    assert page.locator(".leaflet-popup h2").inner_text() == "Primi 1000 giorni"
    assert "Bagnacavallo (RA)" in page.locator(".leaflet-popup").inner_text()
    assert view.unexpected_errors() == []
