"""The by-hand guide (docs/aggiornare-la-mappa.md) performed in headless Chromium on the real uMap.

The map holds a hand-made "2019" layer (made through uMap's views). The test follows the
guide's steps exactly: *Import data* → choose the existing layer → *Replace layer
content* → *Import data*, a new layer for each other file, the replaced layer renamed,
then *Save*; and checks what a visitor sees at the same address: the built layers with
their feature counts and popups, and no duplicate layer. Run with ``pytest -m umap``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from fixtures import factories
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.publish import read_built_layers
from mapgen.writers.umap import write_umap
from tests.umap.test_in_umap import open_import_panel
from tests.umap_server.maps import create_map, logged_in, point
from tests.umap_server.server import UmapServer

pytestmark = pytest.mark.umap

TIMEOUT_MS = 30_000
LAYERS_JS = "U.MAP.layers.tree.map(dl => [dl.getName(), dl.features.all().length])"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    folder = tmp_path_factory.mktemp("by-hand-output")
    write_umap(factories.sample_build(), folder, gazetteer=gazetteer, options=OutputOptions())
    return folder


@pytest.fixture(scope="module")
def owner(umap_server: UmapServer) -> Iterator[httpx.Client]:
    client = logged_in(umap_server, umap_server.username, umap_server.password)
    yield client
    client.close()


def _page(browser: Browser, server: UmapServer) -> Page:
    """A logged-in page that may reach only the local uMap."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(server.url) else route.abort(),
    )
    page = context.new_page()
    page.goto(f"{server.url}/en/login/")
    page.get_by_placeholder("Username").fill(server.username)
    page.get_by_placeholder("Password").fill(server.password)
    page.locator('#login_form input[type="submit"]').click()
    page.wait_for_load_state()
    return page


def _import(page: Page, path: Path, *, into: str | None, new_name: str | None = None) -> None:
    """The guide's step: Import data → file → layer (replace its content) or a new layer."""
    panel = open_import_panel(page)
    panel.locator("input[type=file]").set_input_files(str(path))
    panel.locator("[name=format]").select_option("geojson")
    if into is not None:
        panel.locator("[name=layer-id]").select_option(label=into)
        panel.locator("[name=clear]").check()
    else:
        panel.locator("[name=layer-id]").select_option(value="")
        panel.locator("[name=layer-name]").fill(new_name or path.stem)
    panel.locator("[name=submit]").click()


def test_the_by_hand_guide_updates_the_2019_map_in_place(
    chromium: Browser, umap_server: UmapServer, owner: httpx.Client, output: Path
) -> None:
    browser = chromium
    made = create_map(
        owner,
        "Famiglie a mano",
        {"2019": [point("Nido comunale", 12.49, 41.89), point("Centro famiglie", 9.19, 45.46)]},
    )
    built, _properties = read_built_layers(output)
    top = built[-1]  # the newest edition replaces the 2019 layer's content
    page = _page(browser, umap_server)
    page.goto(f"{made.url}?edit")
    page.wait_for_function("() => window.U && U.MAP && U.MAP.editEnabled === true")
    page.wait_for_function("() => U.MAP.dataloaded === true")
    _import(page, output / "layers" / f"{top.key}.geojson", into="2019")
    page.wait_for_function(
        "([n]) => U.MAP.layers.tree.map(dl => dl.features.all().length).includes(n)",
        arg=[len(top.features)],
    )
    for count, layer in enumerate(reversed(built[:-1]), start=2):
        _import(page, output / "layers" / f"{layer.key}.geojson", into=None, new_name=layer.name)
        page.wait_for_function(f"() => U.MAP.layers.tree.count() === {count}")
    # Rename the replaced layer (layer settings → Name), then Save.
    total = sum(len(layer.features) for layer in built)
    page.wait_for_function(
        f"() => U.MAP.layers.tree.map(dl => dl.features.all().length).reduce((a, b) => a + b) === {total}"
    )
    page.evaluate("U.MAP.layers.tree.map(dl => dl).find(dl => dl.getName() === '2019').edit()")
    name_field = page.locator(".panel.on .umap-field-name input[name='name']")
    name_field.fill(top.name)
    # uMap applies a typed value after a 300 ms pause (form/fields.js listenForSync).
    page.wait_for_function(
        "([name]) => U.MAP.layers.tree.map(dl => dl.getName()).includes(name)", arg=[top.name]
    )
    page.locator("button.edit-save").click()  # "Save" (Salva) in the top bar
    page.locator("umap-alert div[data-level=success]").filter(has_text="Map has been saved").wait_for()
    assert page.locator("umap-alert div[data-level=error]").all_inner_texts() == []
    page.context.close()

    visitor = browser.new_context(locale="en-GB")
    visitor.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(umap_server.url) else route.abort(),
    )
    page = visitor.new_page()
    page.goto(made.url)  # the same address everyone links to
    page.wait_for_function("() => window.U && U.MAP && U.MAP.dataloaded === true")
    shown = sorted(tuple(item) for item in page.evaluate(LAYERS_JS))
    assert shown == sorted((layer.name, len(layer.features)) for layer in built)
    assert len({name for name, _count in shown}) == len(shown), "a layer name appears twice"
    # A popup shows the built text of an initiative of the newest edition.
    first = top.features[0]["properties"]
    popup = page.evaluate(
        "([name]) => U.MAP.layers.tree.map(dl => dl.features.all()).flat()"
        ".filter(f => f.properties.name === name).map(f => f.properties.description)[0]",
        [first["name"]],
    )
    assert popup == first["description"]
    stored = owner.get(f"/map/{made.id}/download/").json()
    names = [layer["properties"]["name"] for layer in stored["layers"]]
    assert sorted(names) == sorted(layer.name for layer in built)
    assert json.dumps(stored).count("Nido comunale") == 0, "the 2019 content was not replaced"
    visitor.close()


def test_mapgens_layer_key_survives_an_edit_in_the_browser(
    chromium: Browser, umap_server: UmapServer, owner: httpx.Client, output: Path, tmp_path: Path
) -> None:
    """uMap keeps unknown layer settings through the editor's Save (``updateProperties``)."""
    from mapgen.publish import UmapClient, apply_plan, make_plan, parse_map_url
    from mapgen.publish.plan import KEY

    made = create_map(owner, "Famiglie chiave", {})
    built, properties = read_built_layers(output)
    with UmapClient(parse_map_url(made.url), session=owner.cookies["sessionid"]) as client:
        apply_plan(client, make_plan(client, built, properties), backup_dir=tmp_path, out_dir=output)
    top = built[-1]
    page = _page(chromium, umap_server)
    page.goto(f"{made.url}?edit")
    page.wait_for_function("() => window.U && U.MAP && U.MAP.editEnabled === true")
    page.evaluate(f"U.MAP.layers.tree.map(dl => dl).find(dl => dl.getName() === {top.name!r}).edit()")
    page.locator(".panel.on .umap-field-name input[name='name']").fill("Rinominato a mano")
    page.wait_for_function("() => U.MAP.layers.tree.map(dl => dl.getName()).includes('Rinominato a mano')")
    page.locator("button.edit-save").click()
    page.locator("umap-alert div[data-level=success]").filter(has_text="Map has been saved").wait_for()
    page.context.close()
    layers = owner.get(f"/en/map/{made.id}/geojson/").json()["properties"]["datalayers"]
    renamed = [layer["properties"] for layer in layers if layer["properties"]["name"] == "Rinominato a mano"]
    assert len(renamed) == 1 and renamed[0][KEY] == top.key
    with UmapClient(parse_map_url(made.url), session=owner.cookies["sessionid"]) as client:
        plan = make_plan(client, built, properties)
    actions = {layer.built.key: (layer.action, layer.settings_changed) for layer in plan.layers}
    assert actions[top.key] == ("update", True)  # matched by key: renamed back, not duplicated
    assert [a for a, _ in actions.values()].count("create") == 0
