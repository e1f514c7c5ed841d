"""Make maps on the test uMap through its own views, as the editor does (plain httpx).

Independent of ``mapgen.publish`` on purpose: the tests of the publisher must not set
up their maps with the code they test. The views and form fields are those of uMap
3.8.1 (``umap/urls.py``: ``login``, ``map_create``, ``datalayer_create`` and
``datalayer_update``; the multipart fields of ``data/layer.js`` ``save``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tests.umap_server.server import UmapServer


def logged_in(server: UmapServer, username: str, password: str) -> httpx.Client:
    """An httpx client holding a session of ``username`` (Django's login form)."""
    client = httpx.Client(base_url=server.url, timeout=60, follow_redirects=True)
    client.get("/en/login/")
    client.post(
        "/en/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": f"{server.url}/en/login/"},
    )
    assert client.cookies.get("sessionid"), f"cannot log in as {username}"
    return client


def _csrf(client: httpx.Client, referer: str) -> dict[str, str]:
    if not client.cookies.get("csrftoken"):
        client.get(referer)
    return {"X-CSRFToken": client.cookies["csrftoken"], "Referer": referer}


@dataclass(frozen=True)
class MadeMap:
    """A map made for one test: its id, address and the uuid of each layer by name."""

    id: int
    url: str
    layers: dict[str, str]


def point(name: str, lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    """A GeoJSON point feature as the 2019 edition's hand-made layer holds them."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, **properties},
    }


def save_layer(
    client: httpx.Client,
    made: MadeMap,
    name: str,
    features: Sequence[Mapping[str, Any]],
    *,
    create: bool,
    reference: str | None = None,
) -> httpx.Response:
    """Create or update one layer with the editor's multipart form."""
    layer_id = made.layers.setdefault(name, str(uuid.uuid4()))
    settings = {"name": name, "displayOnLoad": True}
    body = {"type": "FeatureCollection", "features": list(features), "properties": settings}
    headers = _csrf(client, made.url)
    if reference:
        headers["X-Datalayer-Reference"] = reference
    action = "create" if create else "update"
    return client.post(
        f"/en/map/{made.id}/datalayer/{action}/{layer_id}/",
        data={
            "name": name,
            "display_on_load": "true",
            "rank": "0",
            "settings": json.dumps(settings),
            "parent": "",
        },
        files={"geojson": ("blob", json.dumps(body).encode(), "application/json")},
        headers=headers,
    )


def create_map(
    client: httpx.Client, name: str, layers: Mapping[str, Sequence[Mapping[str, Any]]]
) -> MadeMap:
    """A new map (public, owned by the client's user) holding the given layers."""
    centre = {"type": "Point", "coordinates": [12.5, 41.9]}
    settings = {"type": "Feature", "geometry": centre, "properties": {"name": name, "zoom": 6}}
    answer = client.post(
        "/en/map/create/",
        data={"name": name, "center": json.dumps(centre), "settings": json.dumps(settings)},
        headers=_csrf(client, f"{client.base_url}en/map/new/"),
    ).json()
    made = MadeMap(answer["id"], f"{str(client.base_url).rstrip('/')}{answer['url']}", {})
    for layer_name, features in layers.items():
        response = save_layer(client, made, layer_name, features, create=True)
        assert response.status_code == 200, response.text
    return made
