"""``mapgen publish`` against the real uMap 3.8.1 of the test suite (``tests/umap_server/``).

Each test makes its own map through uMap's views (``tests/umap_server/maps.py``): a
public map owned by the test account, holding a hand-made "2019" layer, as the
Department's map does. Run alone with ``pytest -m umap tests/publish/test_in_umap.py``.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from playwright.sync_api import Browser
from typer.testing import CliRunner

from fixtures import factories
from mapgen.cli import app
from mapgen.errors import PublishConflictError, PublishError, PublishPermissionError
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.publish import UmapClient, apply_plan, make_plan, parse_map_url, read_built_layers
from mapgen.writers.umap import write_umap
from tests.umap_server.maps import MadeMap, create_map, logged_in, point, save_layer
from tests.umap_server.proxy import body_limited_proxy
from tests.umap_server.server import UmapServer

pytestmark = pytest.mark.umap

#: The hand-made 2019 layer: two initiatives, as a person drew them in the editor.
LAYER_2019 = [
    point("Nido comunale", 12.49, 41.89, description="Edizione 2019"),
    point("Centro famiglie", 9.19, 45.46, description="Edizione 2019"),
]
COLLEAGUE = ("collega", "collega-test-password")


class CountingTransport(httpx.HTTPTransport):
    """Counts the requests by method, to prove that a no-op sends no write."""

    def __init__(self) -> None:
        super().__init__()
        self.methods: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.method)
        return super().handle_request(request)


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    folder = tmp_path_factory.mktemp("publish-output")
    write_umap(factories.sample_build(), folder, gazetteer=gazetteer, options=OutputOptions())
    return folder


@pytest.fixture(scope="module")
def owner(umap_server: UmapServer) -> Iterator[httpx.Client]:
    client = logged_in(umap_server, umap_server.username, umap_server.password)
    yield client
    client.close()


@pytest.fixture(scope="module")
def colleague_session(umap_server: UmapServer) -> str:
    """The session of a second account that is not an editor of the test maps."""
    umap_server.create_user(*COLLEAGUE)
    client = logged_in(umap_server, *COLLEAGUE)
    client.close()
    return str(client.cookies["sessionid"])


_OPENED: list[UmapClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Every UmapClient a test makes is closed after it (no ResourceWarning)."""
    yield
    while _OPENED:
        _OPENED.pop().close()


def new_client(url: str, **kwargs: object) -> UmapClient:
    client = UmapClient(parse_map_url(url), **kwargs)  # type: ignore[arg-type]
    _OPENED.append(client)
    return client


@pytest.fixture
def made(owner: httpx.Client, request: pytest.FixtureRequest) -> MadeMap:
    return create_map(owner, f"Famiglie {request.node.name[:30]}", {"2019": LAYER_2019})


def client_for(made: MadeMap, owner: httpx.Client, **kwargs: object) -> UmapClient:
    return new_client(made.url, session=owner.cookies["sessionid"], **kwargs)


def layers_of(owner: httpx.Client, made: MadeMap) -> dict[str, list[dict[str, object]]]:
    """The map as uMap stores it: layer name -> features (read with the owner's session)."""
    document = owner.get(f"/map/{made.id}/download/").json()
    return {layer["properties"]["name"]: layer["features"] for layer in document["layers"]}


# --- plan, apply, no-op ---------------------------------------------------------------------


def test_plan_writes_nothing_and_asks_before_replacing(
    output: Path, owner: httpx.Client, made: MadeMap
) -> None:
    built, properties = read_built_layers(output)
    transport = CountingTransport()
    client = client_for(made, owner, transport=transport)
    plan = make_plan(client, built, properties)
    assert [layer.action for layer in plan.layers] == ["create"] * len(built)
    assert [layer.name for layer in plan.left_alone] == ["2019"]
    assert any("--replace-layer" in warning for warning in plan.warnings)
    replacing = make_plan(client, built, properties, replace_layers=["2019"])
    top = replacing.layers[-1]
    assert (top.action, top.replaces, top.built.name) == (
        "update", "2019", "Edizione 2020 · 5 iniziative"
    )
    assert (top.added, top.removed) == (5, 2)
    assert set(transport.methods) == {"GET"}
    assert list(layers_of(owner, made)) == ["2019"]


def test_apply_replaces_the_2019_layer_then_a_second_run_is_a_no_op(
    output: Path, owner: httpx.Client, made: MadeMap, tmp_path: Path
) -> None:
    built, properties = read_built_layers(output)
    client = client_for(made, owner)
    plan = make_plan(client, built, properties, replace_layers=["2019"])
    result = apply_plan(client, plan, backup_dir=tmp_path / "backups", out_dir=output)
    assert result is not None
    # The backup is uMap's own download of the map as it was: the 2019 layer and its points.
    backup = json.loads(result.backup.read_text(encoding="utf-8"))
    assert result.backup.name.startswith(f"umap-{made.id}-")
    assert [layer["properties"]["name"] for layer in backup["layers"]] == ["2019"]
    assert len(backup["layers"][0]["features"]) == 2
    # The map now holds exactly the built layers, each once, with the built features.
    published = layers_of(owner, made)
    assert sorted(published) == sorted(layer.name for layer in built)
    for layer in built:
        assert len(published[layer.name]) == len(layer.features), layer.name
    assert "2019" not in published
    # The replaced layer kept its uMap id (the same layer, now holding the 2020 edition).
    assert plan.layers[-1].uuid == made.layers["2019"]
    # Map settings mapgen owns are set, the title is not touched.
    settings = owner.get(f"/en/map/{made.id}/geojson/").json()["properties"]
    assert [f["label"] for f in settings["filters"]] == [f["label"] for f in properties["filters"]]
    assert settings["name"].startswith("Famiglie")
    # Second run: same build, nothing to write, no request other than GET.
    transport = CountingTransport()
    again = make_plan(client_for(made, owner, transport=transport), built, properties)
    assert not again.writes
    assert {layer.action for layer in again.layers} == {"unchanged"}
    assert apply_plan(client, again, backup_dir=tmp_path / "b2", out_dir=output) is None
    assert set(transport.methods) == {"GET"}
    assert not (tmp_path / "b2").exists()


# --- concurrency ----------------------------------------------------------------------------


def test_a_colleague_saving_between_read_and_write_stops_the_run(
    output: Path, owner: httpx.Client, made: MadeMap, tmp_path: Path
) -> None:
    built, properties = read_built_layers(output)
    client = client_for(made, owner)
    plan = make_plan(client, built, properties, replace_layers=["2019"])
    edited = [LAYER_2019[0], point("Centro famiglie (nuova sede)", 9.2, 45.47)]
    assert save_layer(owner, made, "2019", edited, create=False).status_code == 200
    with pytest.raises(PublishConflictError, match=r"layer '2019' was saved by someone else") as err:
        apply_plan(client, plan, backup_dir=tmp_path, out_dir=output)
    assert "Layers already updated:" in str(err.value)
    assert str(tmp_path) in str(err.value)  # names the backup
    # The colleague's save is intact.
    names = [f["properties"]["name"] for f in layers_of(owner, made)["2019"]]  # type: ignore[index]
    assert "Centro famiglie (nuova sede)" in names


def test_umap_refuses_a_stale_write_and_mapgen_does_not_retry(
    owner: httpx.Client, made: MadeMap
) -> None:
    """The race left after mapgen's own check: uMap answers 412 to a stale reference."""
    client = client_for(made, owner)
    stale = client.read_layer(made.layers["2019"]).version
    moved = [point("Nido comunale (spostato)", 12.5, 41.9), LAYER_2019[1]]
    assert save_layer(owner, made, "2019", moved, create=False).status_code == 200
    with pytest.raises(PublishConflictError, match=r"'2019'.*refused to overwrite it \(412\)"):
        client.save_layer(
            made.layers["2019"], create=False, name="2019", rank=0, settings={"name": "2019"},
            features=[point("altro", 1, 1)], reference=stale,
        )


# --- sessions, permissions, addresses ---------------------------------------------------------


def test_an_expired_session_stops_before_any_write(
    output: Path, made: MadeMap, tmp_path: Path
) -> None:
    built, properties = read_built_layers(output)
    secret = "expiredsession0123456789abcdef"
    transport = CountingTransport()
    client = new_client(made.url, session=secret, transport=transport)
    plan = make_plan(client, built, properties, replace_layers=["2019"])
    with pytest.raises(PublishPermissionError, match="not logged in") as err:
        apply_plan(client, plan, backup_dir=tmp_path, out_dir=output)
    assert secret not in str(err.value)
    assert set(transport.methods) == {"GET"}


def test_a_user_without_edit_permission_is_told_so(
    output: Path, made: MadeMap, colleague_session: str, tmp_path: Path
) -> None:
    built, properties = read_built_layers(output)
    client = new_client(made.url, session=colleague_session)
    plan = make_plan(client, built, properties)
    with pytest.raises(PublishPermissionError, match="may not edit map"):
        apply_plan(client, plan, backup_dir=tmp_path, out_dir=output)
    # Even forcing the write, uMap refuses and mapgen says so in one line.
    with pytest.raises(PublishPermissionError, match=r"refused access \(403\)"):
        client.save_layer(
            made.layers["2019"], create=False, name="2019", rank=0, settings={},
            features=[], reference=None,
        )


def test_a_map_that_does_not_exist(umap_server: UmapServer, output: Path) -> None:
    built, properties = read_built_layers(output)
    client = new_client(f"{umap_server.url}/en/map/nessuna_987654")
    with pytest.raises(PublishError, match=r"map 987654 not found .*\(404\)"):
        make_plan(client, built, properties)


def test_the_cli_reports_a_bad_address_and_never_shows_the_session(
    umap_server: UmapServer, output: Path, made: MadeMap
) -> None:
    runner = CliRunner()
    secret = "sessionvalue-that-must-not-leak"
    env = {"MAPGEN_UMAP_SESSION": secret}
    for url, message in (
        (f"{umap_server.url}/en/map/nessuna_987654", "map 987654 not found"),
        (f"{umap_server.url}/en/about/", "is not the address of an uMap map"),
        ("http://192.0.2.1/it/map/x_1", "uses plain http://"),
    ):
        result = runner.invoke(app, ["publish", str(output), "--map", url, "--apply"], env=env)
        assert result.exit_code == 1, result.output
        assert message in result.output
        assert secret not in result.output
        assert "Traceback" not in result.output
    result = runner.invoke(app, ["publish", str(output), "--map", made.url, "--apply"], env=env)
    assert result.exit_code == 1
    assert "Error: not logged in" in result.output
    assert secret not in result.output


# --- remote data ------------------------------------------------------------------------------


class _CorsFiles(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder with the CORS header uMap's remote data needs in the browser."""

    requested: ClassVar[list[str]] = []

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        _CorsFiles.requested.append(self.path)


@pytest.fixture(scope="module")
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("served")
    handler = functools.partial(_CorsFiles, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()
    thread.join()


def test_remote_data_layers_load_from_the_web_server(
    chromium: Browser,
    umap_server: UmapServer,
    owner: httpx.Client,
    gazetteer: Gazetteer,
    file_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base, folder = file_server
    options = OutputOptions(remote_base_url=base)
    write_umap(factories.sample_build(), folder, gazetteer=gazetteer, options=options)
    files = {
        p.stem: len(json.loads(p.read_text(encoding="utf-8"))["features"])
        for p in (folder / "layers").glob("*.geojson")
    }
    built, properties = read_built_layers(folder)
    assert all(not layer.features and layer.settings["remoteData"]["url"].startswith(base) for layer in built)
    made = create_map(owner, "Famiglie remote", {})
    client = client_for(made, owner)
    apply_plan(client, make_plan(client, built, properties), backup_dir=tmp_path, out_dir=folder)
    context = chromium.new_context(locale="en-GB")
    allowed = (umap_server.url, base)
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort()
    )
    page = context.new_page()
    page.goto(made.url)
    expected = sorted((layer.name, files[layer.key]) for layer in built)
    page.wait_for_function(
        "([n]) => U.MAP.layers.tree.map(dl => dl.features.all().length).reduce((a, b) => a + b, 0) === n",
        arg=[sum(files.values())],
        timeout=30_000,
    )
    shown = sorted(tuple(x) for x in page.evaluate(
        "U.MAP.layers.tree.map(dl => [dl.getName(), dl.features.all().length])"
    ))
    context.close()
    assert shown == expected
    assert {f"/layers/{key}.geojson" for key in files} <= set(_CorsFiles.requested)


def test_the_cli_with_a_local_account_plans_applies_and_shows_no_secret(
    umap_server: UmapServer, output: Path, made: MadeMap, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"MAPGEN_UMAP_PASSWORD": umap_server.password}
    common = ["publish", str(output), "--map", made.url, "--user", umap_server.username]
    planned = runner.invoke(app, [*common, "--replace-layer", "2019"], env=env)
    assert planned.exit_code == 0, planned.output
    assert "  replace    '2019' (not created by mapgen) with 'Edizione 2020 · 5 iniziative'" in planned.output
    assert planned.output.rstrip().endswith("run again with --apply to make these changes.")
    backups = tmp_path / "backups"
    args = [*common, "--replace-layer", "2019", "--apply", "--backup-dir", str(backups)]
    applied = runner.invoke(app, args, env=env)
    assert applied.exit_code == 0, applied.output
    assert f"Backup: {backups}" in applied.output
    again = runner.invoke(app, [*common, "--apply", "--backup-dir", str(backups)], env=env)
    assert again.exit_code == 0, again.output
    assert "Nothing to change: the map already shows this build." in again.output
    assert len(list(backups.iterdir())) == 1  # no write, no second backup
    for result in (planned, applied, again):
        assert umap_server.password not in result.output
    wrong = runner.invoke(app, common, env={"MAPGEN_UMAP_PASSWORD": "not-the-password"})
    assert wrong.exit_code == 1
    assert "wrong user name or password" in wrong.output
    assert "not-the-password" not in wrong.output
    for backup in backups.iterdir():
        text = backup.read_text(encoding="utf-8")
        assert umap_server.password not in text and "sessionid" not in text


def test_a_layer_over_the_servers_upload_limit(
    umap_server: UmapServer, output: Path, owner: httpx.Client, made: MadeMap, tmp_path: Path
) -> None:
    """Behind a proxy with a 50 kB body limit, the 127 kB Regioni layer is refused with 413."""
    built, properties = read_built_layers(output)
    with body_limited_proxy(umap_server.url, limit=50_000) as proxy:
        url = made.url.replace(umap_server.url, proxy)
        client = new_client(url, session=owner.cookies["sessionid"])
        plan = make_plan(client, built, properties, replace_layers=["2019"])
        refused = r"saving layer 'Regioni' \(\d+ KB\): the server refused the upload as too large \(413\)"
        with pytest.raises(PublishError, match=refused) as err:
            apply_plan(client, plan, backup_dir=tmp_path, out_dir=output)
    assert "Layers already updated: none" in str(err.value)
    assert list(layers_of(owner, made)) == ["2019"]  # nothing changed
