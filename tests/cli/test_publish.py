"""``mapgen publish`` errors that need no server: one ``Error:`` line, exit status 1."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fixtures import factories
from mapgen.cli import app
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.writers.umap import write_umap

runner = CliRunner()


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    folder = tmp_path_factory.mktemp("built")
    write_umap(factories.sample_build(), folder, gazetteer=gazetteer, options=OutputOptions())
    return folder


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["publish", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Example: mapgen publish output --map https://" in result.output


def test_missing_map_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["publish", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --map URL is required: the address of the published map."


def test_no_build_in_the_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["publish", str(tmp_path), "--map", "https://example.org/it/map/x_1"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'map.umap'} not found")


def test_unreachable_server_is_one_line_and_keeps_the_secret(tmp_path: Path, sample_output: Path) -> None:
    secret = "do-not-print-this-session"
    result = runner.invoke(
        app,
        ["publish", str(sample_output), "--map", "http://127.0.0.1:9/it/map/x_1"],
        env={"MAPGEN_UMAP_SESSION": secret},
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in result.output and secret not in result.output


class _NotUmap(http.server.BaseHTTPRequestHandler):
    """A web server that is not an uMap: every page is the same HTML."""

    def do_GET(self) -> None:
        body = b"<html><body>Benvenuti</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_server_that_is_not_umap(sample_output: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotUmap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/it/map/famiglie_12"
        result = runner.invoke(app, ["publish", str(sample_output), "--map", url])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert result.exit_code == 1
    assert result.output.startswith("Error: reading map 12: the server did not answer as uMap does;")
    assert "known to work with uMap 3.8.1" in result.output
    assert "docs/aggiornare-la-mappa.md" in result.output


def test_publishing_needs_nothing_beyond_the_default_install() -> None:
    """`make demo` installs the default dependencies only; the guide's next step is `mapgen publish`.

    Issue 25: after `make demo` the Italian guide's command failed with "ModuleNotFoundError: httpx".
    Every package that `mapgen publish` imports (its own modules and the server rules it uses) is
    a default dependency.
    """
    import ast
    import re
    import sys
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    default = {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in project["dependencies"]}
    imported = set()
    for path in [*(root / "mapgen" / "publish").glob("*.py"), *(root / "mapgen" / "remote").glob("*.py"),
                 root / "mapgen" / "cli" / "publish.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = {name for name in imported if name not in sys.stdlib_module_names and name != "mapgen"}
    assert "httpx" in third_party  # the scan sees the import the client makes
    assert third_party - default == set()


def test_a_map_that_reads_back_different_exits_1(
    sample_output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-back after --apply is printed, and a difference is an error (issue 25)."""
    import mapgen.publish
    from mapgen.publish import ApplyResult
    from tests.publish.test_plan import MapInMemory

    remote = MapInMemory([("uuid-2019", {"name": "2019"}, [])])
    remote.close = lambda: None  # type: ignore[attr-defined]

    backup = tmp_path / "backup.umap"
    backup.write_text('{"layers": [{"properties": {"name": "2019"}, "features": []}]}', encoding="utf-8")

    def lossy_apply(client: MapInMemory, plan: Any, **_: object) -> ApplyResult:
        client.publish(plan)
        top = plan.layers[-1]
        settings, features = client.layers[top.uuid]
        client.layers[top.uuid] = (settings, features[1:])  # the server lost one initiative
        return ApplyResult(backup, (), ())

    monkeypatch.setattr(mapgen.publish, "connect", lambda *a, **k: remote)
    monkeypatch.setattr(mapgen.publish, "apply_plan", lossy_apply)
    args = ["publish", str(sample_output), "--map", "https://umap.example.org/it/map/famiglie_1234", "--apply",
            "--replace-layer", "2019"]
    result = runner.invoke(app, args, env={"MAPGEN_UMAP_SESSION": "s"})
    assert result.exit_code == 1, result.output
    assert "  DIFFERENT  'Edizione 2020 · 5 iniziative': features: 1 of map.umap missing, 0 more, 0 different; "\
        "geometries 4 Point instead of 5 Point" in result.output
    assert "Error: the map read back from uMap differs from map.umap (2 differences, listed above)." in result.output
