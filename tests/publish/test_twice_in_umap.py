"""Issue 25 against the real uMap 3.8.1 of the test suite: publish, publish again, read back.

- The Department's map as the issue found it: a hand-made "Regioni" layer of points and a
  hand-made "2019" layer. The build of the example against it writes its own "Regioni" and
  carries the hand-made one as "Regioni (mappa precedente)"; the same publish command is run
  twice: every layer of ``map.umap`` ends up on the map once with its features, the hand-made
  "Regioni" is untouched, and the second run writes nothing and exits 0.
- The ``mapgen publish`` commands of the README and of ``docs/aggiornare-la-mappa.md`` run as
  written after ``make demo`` (placeholders replaced by the test map's address).

Run alone: ``pytest -m umap tests/publish/test_twice_in_umap.py`` (starts uMap, about a minute).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mapgen._resources import data_dir
from mapgen.umap.layers import layer_options
from tests.umap_server.maps import MadeMap, create_map, logged_in
from tests.umap_server.server import UmapServer

pytestmark = pytest.mark.umap

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = data_dir("examples")
#: The address the docs use for the Department's map, replaced by the test map's.
DOC_MAP_URL = "https://umap.openstreetmap.fr/it/map/famiglie_1234"


def example_layers() -> dict[str, list[dict[str, Any]]]:
    """The example's previous map (examples/previous_2019.umap), layer name -> features."""
    document = json.loads((EXAMPLES / "previous_2019.umap").read_text(encoding="utf-8"))
    return {layer["_umap_options"]["name"]: layer["features"] for layer in document["layers"]}


@pytest.fixture(scope="module")
def owner(umap_server: UmapServer) -> Iterator[httpx.Client]:
    client = logged_in(umap_server, umap_server.username, umap_server.password)
    yield client
    client.close()


def download(owner: httpx.Client, made: MadeMap) -> dict[str, Any]:
    """uMap's own ``.umap`` download of the map, read with the owner's session."""
    document: dict[str, Any] = owner.get(f"/map/{made.id}/download/").json()
    return document


def mapgen(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``mapgen ARGS`` as a person runs it (a new process), with this checkout's code."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MAPGEN_UMAP_")}
    environment |= {"PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mapgen", *args], cwd=cwd, env=environment, capture_output=True,
        text=True, timeout=600, check=False,
    )


def without_ids(features: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({k: v for k, v in f.items() if k != "id"}, sort_keys=True) for f in features)


# --- the same command twice ------------------------------------------------------------------


def test_publishing_twice_over_a_hand_made_regioni_layer(
    owner: httpx.Client, tmp_path: Path
) -> None:
    layers = example_layers()
    hand_made = {"Regioni": layers["Progetti regionali"], "2019": layers["Iniziative 2019"]}
    made = create_map(owner, "Famiglie Regioni a mano", hand_made)
    before = {layer["properties"]["name"]: layer for layer in download(owner, made)["layers"]}
    previous = tmp_path / "mappa_2019.umap"
    previous.write_text(json.dumps(download(owner, made)), encoding="utf-8")
    built = mapgen(
        "build", str(EXAMPLES / "survey_2020.csv"), "--previous", str(previous), "--config",
        str(EXAMPLES / "mapping.toml"), "--initiative-layer", "2019", "--out", "output", "--no-preview",
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    document = json.loads((tmp_path / "output" / "map.umap").read_text(encoding="utf-8"))
    names = [layer_options(layer)["name"] for layer in document["layers"]]
    assert "Regioni" in names and "Regioni (mappa precedente)" in names  # the case

    command = ["publish", "output", "--map", made.url, "--apply", "--replace-layer", "2019"]
    env = {"MAPGEN_UMAP_SESSION": str(owner.cookies["sessionid"])}
    first = mapgen(*command, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "  create     'Regioni' as 'Regioni (mappa attuale)': 20 features" in out
    assert ("  keep       'Regioni (mappa precedente)': the map's own layer 'Regioni', carried from the "
            "previous map, left as it is") in out
    assert "left alone 'Regioni'" not in out
    assert "DIFFERENT" not in out
    assert "layers mapgen publishes once each, with the features of map.umap; 1 other layer kept as it was." in out

    second = mapgen(*command, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "--replace-layer '2019': done before: layer 'Edizione 2020" in second.stdout
    assert "Nothing to change: the map already shows this build." in second.stdout
    assert "Backup:" not in second.stdout
    assert "DIFFERENT" not in second.stdout and "1 other layer kept as it was." in second.stdout
    assert len(list((tmp_path / "backups").iterdir())) == 1  # the second run saved nothing: it wrote nothing

    # Read independently of mapgen: uMap's own download of the map.
    after = download(owner, made)["layers"]
    assert len({layer["properties"]["name"] for layer in after}) == len(after)  # no name twice
    keyed = Counter(layer["properties"].get("mapgenId") for layer in after)
    for layer in document["layers"]:
        name = layer_options(layer)["name"]
        if name == "Regioni (mappa precedente)":
            continue  # the hand-made layer itself, checked below
        key = next(p.stem for p in (tmp_path / "output" / "layers").glob("*.geojson")
                   if layer_options(json.loads(p.read_text(encoding="utf-8")))["name"] == name)
        assert keyed[key] == 1, (name, key)
        live = next(x for x in after if x["properties"].get("mapgenId") == key)
        assert without_ids(live["features"]) == without_ids(layer["features"]), name
    # The hand-made "Regioni" is as it was; "2019" now holds the newest edition, under its name.
    regioni = [layer for layer in after if layer["properties"]["name"] == "Regioni"]
    assert len(regioni) == 1
    assert regioni[0]["properties"] == before["Regioni"]["properties"]
    assert without_ids(regioni[0]["features"]) == without_ids(before["Regioni"]["features"])
    assert "mapgenId" not in regioni[0]["properties"]
    assert "2019" not in {layer["properties"]["name"] for layer in after}
    assert len(after) == len(document["layers"])  # every layer of map.umap once, the kept one included


# --- the commands of the docs, as written ----------------------------------------------------

DOCS = ("README.md", "docs/aggiornare-la-mappa.md")


def publish_commands(doc: str) -> list[str]:
    """The ``mapgen publish`` lines of the fenced code blocks of ``doc``, joined across ``\\``."""
    text = (REPO / doc).read_text(encoding="utf-8")
    commands = []
    # Every fence pairs with the next one, whatever its language (```bat, ```text), so a block of
    # another language never shifts the pairing; only shell lines that start a publish count.
    for language, block in re.findall(r"^ *```([\w-]*)\n(.*?)^ *```", text, flags=re.S | re.M):
        if language not in ("", "sh", "bash", "console"):
            continue
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if re.match(r"^(\.venv/bin/)?mapgen publish\b", line):
                commands.append(line.split("  #", 1)[0])
    return commands


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder after ``make demo``: the bundled example built into ``output/``."""
    folder = tmp_path_factory.mktemp("demo")
    built = mapgen("build", "--out", "output", "--no-preview", cwd=folder)
    assert built.returncode == 0, built.stdout + built.stderr
    return folder


@pytest.mark.parametrize("doc", DOCS)
def test_the_publish_commands_of_the_docs_run_as_written(
    doc: str, demo: Path, owner: httpx.Client, umap_server: UmapServer
) -> None:
    commands = publish_commands(doc)
    assert len(commands) >= 3, commands  # plan, apply, the first time with --replace-layer
    layers = example_layers()
    made = create_map(owner, f"Famiglie {doc}", {
        "2019": layers["Iniziative 2019"], "Progetti regionali": layers["Progetti regionali"],
    })
    session = str(owner.cookies["sessionid"])
    for name in ("session.txt", "sessione.txt"):
        (demo / name).write_text(session + "\n", encoding="utf-8")
    for command in commands:
        assert DOC_MAP_URL in command, command
        args = shlex.split(command.replace(DOC_MAP_URL, made.url))
        assert args[:2] in (["mapgen", "publish"], [".venv/bin/mapgen", "publish"]), args
        done = mapgen(*args[1:], cwd=demo)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        if "--apply" in args:
            assert "Read back from uMap:" in done.stdout and "DIFFERENT" not in done.stdout, done.stdout
        assert session not in done.stdout + done.stderr
    live = download(owner, made)["layers"]
    assert len({layer["properties"]["name"] for layer in live}) == len(live)
    assert Counter(layer["properties"].get("mapgenId") for layer in live if "mapgenId" in layer["properties"]) == \
        Counter(p.stem for p in (demo / "output" / "layers").glob("*.geojson") if not p.stem.startswith("precedente-"))
