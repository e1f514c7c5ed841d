"""The offline parts of ``mapgen.publish``: addresses, session files, the build, diffs.

What needs a server is in ``tests/publish/test_in_umap.py`` (real uMap 3.8.1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import factories
from mapgen.errors import PublishError
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.publish import credentials, parse_map_url, read_built_layers, read_session_file
from mapgen.publish.plan import diff_features
from mapgen.writers.umap import write_umap


@pytest.mark.parametrize(
    ("url", "server", "lang", "map_id"),
    [
        ("https://umap.openstreetmap.fr/it/map/famiglie_1234", "https://umap.openstreetmap.fr", "it", 1234),
        ("https://umap.openstreetmap.fr/it/map/famiglie_1234/", "https://umap.openstreetmap.fr", "it", 1234),
        ("https://example.org/umap/fr/map/a-b_c_7", "https://example.org/umap", "fr", 7),
        ("https://example.org/map/carte_12", "https://example.org", "en", 12),
        ("https://example.org/m/12/", "https://example.org", "en", 12),
        ("http://127.0.0.1:8019/en/map/x_3", "http://127.0.0.1:8019", "en", 3),
        ("http://localhost/en/map/x_3", "http://localhost", "en", 3),
    ],
)
def test_map_addresses(url: str, server: str, lang: str, map_id: int) -> None:
    address = parse_map_url(url)
    assert (address.server, address.lang, address.map_id) == (server, lang, map_id)
    assert address.i18n("map/3/geojson/") == f"{server}/{lang}/map/3/geojson/"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://umap.openstreetmap.fr/it/map/famiglie_1234", "uses plain http://"),
        ("umap.openstreetmap.fr/it/map/famiglie_1234", "is not a web address"),
        ("https://umap.openstreetmap.fr/it/user/mario/", "is not the address of an uMap map"),
        ("ftp://example.org/map/x_1", "is not a web address"),
    ],
)
def test_bad_map_addresses(url: str, message: str) -> None:
    with pytest.raises(PublishError, match=message):
        parse_map_url(url)


@pytest.mark.parametrize("text", ["abc123xyz\n", "sessionid=abc123xyz", "  abc123xyz  "])
def test_session_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "session.txt"
    path.write_text(text, encoding="utf-8")
    assert read_session_file(path) == "abc123xyz"


def test_session_file_with_a_whole_cookie_header_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "session.txt"
    path.write_text("csrftoken=secret1; sessionid=secret2", encoding="utf-8")
    with pytest.raises(PublishError, match="only the value of the 'sessionid' cookie") as err:
        read_session_file(path)
    assert "secret" not in str(err.value)


def _no_prompt(prompt: str) -> str:
    raise AssertionError(f"asked {prompt!r}")


def test_credentials_take_the_session_file_before_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "session.txt"
    path.write_text("sessionid=from-file", encoding="utf-8")
    monkeypatch.setenv("MAPGEN_UMAP_SESSION", "from-env")
    assert credentials(path, None, ask=_no_prompt) == ("from-file", None)
    assert credentials(None, None, ask=_no_prompt) == ("from-env", None)
    monkeypatch.delenv("MAPGEN_UMAP_SESSION")
    assert credentials(None, None, ask=_no_prompt) == (None, None)


def test_credentials_ask_a_local_accounts_password_only_without_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAPGEN_UMAP_SESSION", raising=False)
    monkeypatch.setenv("MAPGEN_UMAP_PASSWORD", "from-env")
    assert credentials(None, "anna", ask=_no_prompt) == (None, "from-env")
    monkeypatch.delenv("MAPGEN_UMAP_PASSWORD")
    asked: list[str] = []
    assert credentials(None, "anna", ask=lambda p: asked.append(p) or "typed") == (None, "typed")
    assert asked == ["uMap password for anna: "]


def _point(code: str | None, lon: float, name: str = "x") -> dict[str, object]:
    properties: dict[str, object] = {"name": name} | ({"codice": code} if code else {})
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 41.0]},
            "properties": properties}


def test_diff_matches_initiatives_by_code_and_ignores_ids_umap_adds() -> None:
    old = [_point("a", 1), _point("b", 2), _point("c", 3), _point(None, 9)]
    saved_by_umap = {**_point("a", 1), "id": "Ab3dE"}
    new = [saved_by_umap, _point("b", 2, name="renamed"), _point("d", 4)]
    assert diff_features(old, new) == (1, 2, 1)  # d added; c and the code-less point removed
    assert diff_features(new, new) == (0, 0, 0)


def test_built_layers_are_keyed_by_their_file(tmp_path: Path, gazetteer: Gazetteer) -> None:
    write_umap(factories.sample_build(), tmp_path, gazetteer=gazetteer, options=OutputOptions())
    built, properties = read_built_layers(tmp_path)
    assert sorted(layer.key for layer in built) == sorted(p.stem for p in (tmp_path / "layers").iterdir())
    document = json.loads((tmp_path / "map.umap").read_text(encoding="utf-8"))
    assert [len(layer.features) for layer in built] == [len(x["features"]) for x in document["layers"]]
    assert properties["filters"] == document["properties"]["filters"]


def test_an_edited_layer_file_is_reported(tmp_path: Path, gazetteer: Gazetteer) -> None:
    write_umap(factories.sample_build(), tmp_path, gazetteer=gazetteer, options=OutputOptions())
    victim = sorted((tmp_path / "layers").iterdir())[0]
    victim.write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    with pytest.raises(PublishError, match="do not match"):
        read_built_layers(tmp_path)


def test_a_folder_without_a_build(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"map.umap not found: run `mapgen build` first"):
        read_built_layers(tmp_path)
