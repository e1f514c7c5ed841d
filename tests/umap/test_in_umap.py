"""The uMap output imported into a real uMap, the way a user does it, in headless Chromium.

Starts uMap (PyPI ``umap-project``, see ``tests/umap_server/``) with a throw-away
PostGIS database on 127.0.0.1, logs in, imports ``map.umap`` through the import
panel, saves, then opens the saved map as an anonymous visitor and checks what
the public sees. Each layer file is also imported on its own into a new map.
The browser may reach only the local uMap: tiles fail, and are the only console
errors allowed. Run alone with ``pytest -m umap``.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
)
from playwright.sync_api import Error as PlaywrightError

from fixtures import factories
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.writers.umap import write_umap
from tests.umap_server.server import UmapServer, ensure_venv

pytestmark = pytest.mark.umap

TIMEOUT_MS = 30_000


# --- fixtures -------------------------------------------------------------------------------


# `umap_server`: one uMap for the whole session (tests/conftest.py).


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> dict[str, Path]:
    """The sample build written by write_umap: relative name -> path."""
    folder = tmp_path_factory.mktemp("umap-output")
    paths = write_umap(
        factories.sample_build(), folder, gazetteer=gazetteer, options=OutputOptions()
    )
    return {p.relative_to(folder).as_posix(): p for p in paths}


@pytest.fixture(scope="module")
def browser(chromium: Browser) -> Browser:
    """The session's Chromium (tests/conftest.py): one Playwright driver per process."""
    return chromium


@dataclass
class Visit:
    """A page and the console errors and page errors it produced."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def assert_no_errors(self) -> None:
        assert self.errors == [], "console errors other than missing tiles"
        assert self.page.evaluate("typeof window.__xss") == "undefined", "an XSS probe ran"

    def alerts(self, level: str) -> list[str]:
        return self.page.locator(f'umap-alert div[data-level="{level}"]').all_inner_texts()


def _is_tile(message: ConsoleMessage) -> bool:
    """Tiles come from the internet, which the test browser cannot reach."""
    url = message.location.get("url", "")
    return message.text.startswith("Failed to load resource") and url.endswith((".png", ".jpg"))


def visit(browser: Browser, server: UmapServer, *, logged_in: bool) -> Visit:
    """A fresh browser context that may reach only the local uMap; log in when asked."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(server.url) else route.abort()
        ),
    )
    result = Visit(context.new_page())
    result.page.on(
        "console",
        lambda m: (
            result.errors.append(f"{m.text} ({m.location.get('url')})")
            if m.type == "error" and not _is_tile(m)
            else None
        ),
    )
    result.page.on("pageerror", lambda exc: result.errors.append(f"uncaught: {exc}"))
    if logged_in:
        result.page.goto(f"{server.url}/en/login/")
        result.page.get_by_placeholder("Username").fill(server.username)
        result.page.get_by_placeholder("Password").fill(server.password)
        result.page.locator('#login_form input[type="submit"]').click()
        result.page.wait_for_load_state()
    return result


def new_map(session: Visit, server: UmapServer) -> Page:
    page = session.page
    page.goto(f"{server.url}/en/map/new/")
    page.wait_for_function("() => window.U && U.MAP && U.MAP.editEnabled === true")
    return page


def open_import_panel(page: Page) -> Locator:
    """Press "Import data" and wait until the panel stops sliding in (a 300 ms transition).

    On a loaded machine a click taken while it moves misses: the import was never sent, or
    "Replace layer content" stayed unticked. A person's eye waits for it to stop; so does the
    test, as uMap's own ``Panel.open`` does (the panel's ``getAnimations()`` finished)."""
    page.get_by_title("Import data").first.click()
    page.wait_for_function(
        "() => { const panel = document.querySelector('.umap-import')?.closest('.panel');"
        " return !!panel && panel.classList.contains('on') && panel.getAnimations().length === 0; }"
    )
    return page.locator(".umap-import")


def import_file(page: Page, path: Path) -> None:
    """Open the import panel, choose the file, press "Import data" (what a user does)."""
    panel = open_import_panel(page)
    panel.locator("input[type=file]").set_input_files(str(path))
    panel.locator("[name=submit]").click()


@dataclass(frozen=True)
class SavedMap:
    id: int
    alerts: dict[str, list[str]]
    errors: list[str]


@pytest.fixture(scope="module")
def saved_map(browser: Browser, umap_server: UmapServer, output: dict[str, Path]) -> SavedMap:
    """Import map.umap into a new map through the panel, then save it (Ctrl+S)."""
    session = visit(browser, umap_server, logged_in=True)
    page = new_map(session, umap_server)
    document = json.loads(output["map.umap"].read_text(encoding="utf-8"))
    import_file(page, output["map.umap"])
    page.wait_for_function(f"() => U.MAP.layers.tree.count() === {len(document['layers'])}")
    alerts = {level: session.alerts(level) for level in ("error", "info", "success")}
    page.keyboard.press("Control+s")
    page.wait_for_function("() => U.MAP.properties.id && !U.MAP.isDirty")
    map_id = int(page.evaluate("U.MAP.properties.id"))
    page.context.close()
    return SavedMap(map_id, alerts, session.errors)


def open_saved_map(browser: Browser, server: UmapServer, saved: SavedMap) -> Visit:
    """The saved map as an anonymous visitor sees it."""
    session = visit(browser, server, logged_in=False)
    session.page.goto(f"{server.url}/m/{saved.id}/")
    session.page.wait_for_function("() => window.U && U.MAP && U.MAP.dataloaded === true")
    return session


def expected_layers(output: dict[str, Path]) -> list[tuple[str, int]]:
    """(name, feature count) of every layer, top of uMap's list first."""
    document = json.loads(output["map.umap"].read_text(encoding="utf-8"))
    layers = [
        (layer["_umap_options"]["name"], len(layer["features"])) for layer in document["layers"]
    ]
    return layers[::-1]


def tick(page: Page, selector: str) -> None:
    """Tick a checkbox of the filter panel, which uMap may re-render while data settles."""
    for _ in range(5):
        with contextlib.suppress(PlaywrightError):
            page.locator(selector).check(timeout=3_000)
            if page.locator(selector).is_checked():
                return
    raise AssertionError(f"could not tick {selector}")


def open_from_browser(page: Page, label: str) -> Locator:
    """Click a feature in the data browser (as a visitor does) and return its popup."""
    popup = page.locator(".umap-popup-content")
    for _ in range(5):
        with contextlib.suppress(PlaywrightError):
            page.locator(".umap-browser li").filter(has_text=label).first.click(timeout=3_000)
            popup.wait_for(timeout=3_000)
            return popup
    raise AssertionError(f"no popup opened for {label!r}")


LAYERS_JS = "U.MAP.layers.tree.map(dl => [dl.getName(), dl.features.all().length])"
VISIBLE_JS = (
    "Object.fromEntries(U.MAP.layers.tree.map(dl => [dl.getName(), dl.features.visible().length]))"
)


# --- the .umap backup ---------------------------------------------------------------------


def test_backup_imports_without_error(saved_map: SavedMap) -> None:
    assert saved_map.alerts["error"] == []
    assert saved_map.errors == []


def test_map_view_shows_every_layer_with_its_features(
    browser: Browser, umap_server: UmapServer, saved_map: SavedMap, output: dict[str, Path]
) -> None:
    session = open_saved_map(browser, umap_server, saved_map)
    page = session.page
    assert [tuple(x) for x in page.evaluate(LAYERS_JS)] == expected_layers(output)
    assert page.evaluate("U.MAP.properties.name") == OutputOptions().title
    page.wait_for_function(
        "() => document.querySelectorAll('.umap-browser .datalayer').length >= 2"
    )
    listed = page.locator(".umap-browser .datalayer").all_inner_texts()
    assert [text.splitlines()[0].strip() for text in listed][:2] == [
        "Edizione 2020 · 5 iniziative (5)",
        "Solo edizione 2019 · 1 iniziativa (1)",
    ]
    assert "Dati: ISTAT" in page.locator(".umap-control-attribution").inner_text()
    session.assert_no_errors()


def test_popup_shows_survey_text_literally(
    browser: Browser, umap_server: UmapServer, saved_map: SavedMap
) -> None:
    session = open_saved_map(browser, umap_server, saved_map)
    page = session.page
    popup = open_from_browser(page, "Bonus bebè ‹b›2020‹/b› (Castro)")
    assert popup.locator("h4").inner_text() == "Bonus bebè ‹b›2020‹/b›"
    text = popup.evaluate("e => e.textContent")
    assert factories.HOSTILE_TEXT in text
    assert "Castro (LE), Puglia" in text.replace("\n", " ") or "Castro (LE)" in text
    assert popup.locator("img, iframe, script, em").count() == 0  # nothing the survey typed runs
    assert [a.get_attribute("href") for a in popup.locator("a").all()] == [
        "https://www.example.org/centro"
    ]
    session.assert_no_errors()


def test_region_popup_gives_figures(
    browser: Browser, umap_server: UmapServer, saved_map: SavedMap
) -> None:
    session = open_saved_map(browser, umap_server, saved_map)
    page = session.page
    page.evaluate(
        "U.MAP.layers.tree.filter(dl => dl.getName() === 'Regioni').map(dl => dl)[0]"
        ".features.all().find(f => f.properties.name === 'Puglia').view()"
    )
    popup = page.locator(".umap-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Popolazione 0-17 anni:" in text and "Comuni con iniziative: 2 su" in text
    assert "natalità: 1" in text and "Edizione 2020: 2" in text
    session.assert_no_errors()


def test_facet_filters_filter_the_map(
    browser: Browser, umap_server: UmapServer, saved_map: SavedMap
) -> None:
    session = open_saved_map(browser, umap_server, saved_map)
    page = session.page
    page.wait_for_function(
        "() => document.querySelectorAll('.umap-browser fieldset.umap-filter').length >= 4"
    )
    legends = page.locator(
        ".umap-browser fieldset.umap-filter legend span:first-child"
    ).all_inner_texts()
    assert legends == ["Area", "Edizione", "Regione", "Fonte di finanziamento"]
    build = factories.sample_build()
    tick(page, '.umap-browser input[name="checkbox_area"][data-value="natalità"]')
    with_natalita = [i for i in build.initiatives if "natalità" in i.record.aree]
    page.wait_for_function(
        f"() => U.MAP.layers.tree.map(dl => dl.features.visible().length).reduce((a, b) => a + b) "
        f"=== {len(with_natalita) + len({i.comune.region for i in with_natalita})}"
    )
    visible = page.evaluate(VISIBLE_JS)
    assert visible["Edizione 2020 · 5 iniziative"] == len(with_natalita)
    assert visible["Regioni"] == len({i.comune.region for i in with_natalita})
    session.assert_no_errors()


# --- each layer file on its own -----------------------------------------------------------


def test_each_layer_file_imports_on_its_own(
    browser: Browser, umap_server: UmapServer, output: dict[str, Path]
) -> None:
    session = visit(browser, umap_server, logged_in=True)
    page = new_map(session, umap_server)
    files = [path for name, path in output.items() if name.startswith("layers/")]
    total = 0
    for count, path in enumerate(files, start=1):
        import_file(page, path)
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        total += len(features)
        page.wait_for_function(f"() => U.MAP.layers.tree.count() === {count}")
        page.wait_for_function(
            "() => U.MAP.layers.tree.map(dl => dl.features.all().length).reduce((a, b) => a + b)"
            f" === {total}"
        )
        _check_feature_styles(page, features)
    assert session.alerts("error") == []
    session.assert_no_errors()


def _check_feature_styles(page: Page, features: list[dict[str, Any]]) -> None:
    """Each feature keeps its own colour and symbol (properties._umap_options)."""
    styled = {f["properties"]["name"]: f["properties"].get("_umap_options", {}) for f in features}
    for name, style in styled.items():
        if "color" not in style:
            continue
        shown = page.evaluate(
            "([name]) => U.MAP.layers.tree.map(dl => dl.features.all()).flat()"
            ".filter(f => f.properties.name === name)"
            ".map(f => [f.getOption('color'), f.getOption('iconUrl')])",
            [name],
        )
        assert [style["color"], style.get("iconUrl", shown[0][1])] in shown, name


# --- option keys against uMap's own schema --------------------------------------------------


def _umap_schema() -> dict[str, str]:
    """Key -> declared type of uMap's SCHEMA (``js/modules/schema.js`` of the installed uMap)."""
    found = list(
        ensure_venv().glob("lib/python*/site-packages/umap/static/umap/js/modules/schema.js")
    )
    assert found, "schema.js not found in the uMap venv"
    source = found[0].read_text(encoding="utf-8")
    body = source[source.index("export const SCHEMA = {") : source.index("\n}\n")]
    return dict(re.findall(r"^  (\w+): \{\n    type: '?(\w+)'?,", body, flags=re.M))


def test_every_option_key_is_in_umaps_schema(
    umap_server: UmapServer, output: dict[str, Path]
) -> None:
    """uMap keeps only schema keys, and silently ignores values of the wrong type."""
    schema = _umap_schema()
    assert len(schema) > 100
    python_type = {
        "Boolean": bool,
        "Number": (int, float),
        "String": str,
        "Text": str,
        "Object": dict,
        "Array": list,
    }
    document = json.loads(output["map.umap"].read_text(encoding="utf-8"))
    ours = [document["properties"]]
    ours += [layer["_umap_options"] for layer in document["layers"][-2:]]  # initiative layers
    ours += [
        layer["_umap_options"]
        for layer in document["layers"]
        if layer["_umap_options"].get("name") == "Regioni"
    ]
    ours += [f["properties"]["_umap_options"] for f in document["layers"][-1]["features"]]
    for options in ours:
        for key, value in options.items():
            assert key in schema, f"{key} is not a uMap option"
            if value is not None and key != "showLabel":
                assert isinstance(value, python_type[schema[key]]), (key, value)


def test_the_text_filter_finds_a_practice_from_a_member_comune(
    browser: Browser, umap_server: UmapServer, saved_map: SavedMap
) -> None:
    # Issue 26: Tricase has no marker; the Lecce Ambito's practice lists it among its members,
    # and the map's filterKey makes uMap's "Search map features…" look at the members.
    session = open_saved_map(browser, umap_server, saved_map)
    page = session.page
    box = page.get_by_placeholder("Search map features…")
    box.wait_for()
    box.fill("Tricase")
    page.wait_for_function(
        "() => U.MAP.layers.tree.map(dl => dl.features.visible().length).reduce((a, b) => a + b) === 1"
    )
    visible = page.evaluate(
        "U.MAP.layers.tree.map(dl => dl.features.visible().map(f => f.properties.codice)).flat()"
    )
    assert visible == ["075035-ambito-lecce-genitori"]
    session.assert_no_errors()
