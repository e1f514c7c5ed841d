"""NominatimMatcher against a small HTTP server on 127.0.0.1 that answers like Nominatim.

No test touches the internet. The rate limiter is tested with a patched clock,
as geopy tests its own ``RateLimiter``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from geopy.extra.rate_limiter import RateLimiter

from mapgen.errors import GeocoderError
from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import Geocoder, NominatimMatcher
from mapgen.model import MatchStatus, Place


@dataclass
class FakeNominatim:
    """What the fake server answers (by ``city``) and every request it received."""

    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    clock: list[float] = field(default_factory=lambda: [0.0])
    domain: str = ""


def _handler(fake: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.requests.append(
                {
                    "path": url.path,
                    "query": query,
                    "at": fake.clock[0],
                    "agent": self.headers.get("User-Agent", ""),
                }
            )
            body = json.dumps(fake.answers.get(query.get("city", ""), [])).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture
def server() -> Iterator[FakeNominatim]:
    fake = FakeNominatim()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.domain = f"127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def answer(gazetteer: Gazetteer, code: str, name: str) -> dict[str, Any]:
    """A Nominatim answer placed at a Comune's point."""
    comune = gazetteer.comuni[code]
    return {
        "lat": f"{comune.lat}",
        "lon": f"{comune.lon}",
        "display_name": f"{name}, Italia",
        "osm_type": "node",
        "osm_id": 1,
        "class": "place",
        "type": "village",
    }


def matcher(gazetteer: Gazetteer, fake: FakeNominatim, cache: Path, delay: float = 0.0) -> NominatimMatcher:
    return NominatimMatcher(
        gazetteer,
        user_agent="mapgen-tests (test@example.org)",
        domain=fake.domain,
        scheme="http",
        cache_dir=cache,
        min_delay_seconds=delay,
    )


def test_answer_is_snapped_to_the_comune_that_contains_it(
    gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path
) -> None:
    server.answers["Marina Serra"] = [answer(gazetteer, "075088", "Marina Serra, Tricase")]
    match = matcher(gazetteer, server, tmp_path).geocode(Place("Marina Serra", regione="Puglia"))
    assert match is not None
    assert (match.status, match.istat_code, match.method) == (
        MatchStatus.ONLINE,
        "075088",
        "nominatim",
    )
    assert match.hint == ("Trovato online (OpenStreetMap Nominatim) come 'Marina Serra, Tricase, Italia': verificare.")
    (request,) = server.requests
    assert request["path"] == "/search"
    assert request["agent"] == "mapgen-tests (test@example.org)"
    query = request["query"]
    assert (query["city"], query["state"], query["country"], query["countrycodes"]) == (
        "Marina Serra",
        "Puglia",
        "Italia",
        "it",
    )
    assert query["featureType"] == "settlement"


def test_answers_are_cached_on_disk(gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path) -> None:
    server.answers["Marina Serra"] = [answer(gazetteer, "075088", "Marina Serra")]
    first = matcher(gazetteer, server, tmp_path)
    assert first.geocode(Place("Marina Serra")) is not None
    assert first.geocode(Place("Marina Serra")) is not None
    again = matcher(gazetteer, server, tmp_path).geocode(Place("Marina Serra"))
    assert again is not None and again.istat_code == "075088"
    assert len(server.requests) == 1
    cached = json.loads((tmp_path / "nominatim.json").read_text(encoding="utf-8"))
    assert list(cached) == ['{"city": "Marina Serra", "country": "Italia"}']


def test_answer_outside_the_typed_province_is_rejected(
    gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path
) -> None:
    server.answers["Marina Serra"] = [answer(gazetteer, "075088", "Marina Serra")]
    assert matcher(gazetteer, server, tmp_path).geocode(Place("Marina Serra", "BG")) is None


def test_answers_in_several_comuni_are_not_picked(gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path) -> None:
    server.answers["San Giovanni"] = [
        answer(gazetteer, "075088", "San Giovanni"),
        answer(gazetteer, "016065", "San Giovanni"),
    ]
    match = matcher(gazetteer, server, tmp_path).geocode(Place("San Giovanni"))
    assert match is not None and match.status is MatchStatus.UNRESOLVED
    assert {c.istat_code for c in match.candidates} == {"075088", "016065"}


def test_no_answer_is_no_opinion(gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path) -> None:
    assert matcher(gazetteer, server, tmp_path).geocode(Place("Atlantide")) is None


def test_server_error_is_reported_and_not_cached(gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path) -> None:
    server.status = 503
    match = matcher(gazetteer, server, tmp_path).geocode(Place("Marina Serra"))
    assert match is not None and match.status is MatchStatus.UNRESOLVED
    assert match.hint.startswith("Ricerca online non riuscita: ")
    assert not (tmp_path / "nominatim.json").exists()


def test_a_user_agent_is_required(gazetteer: Gazetteer, tmp_path: Path) -> None:
    with pytest.raises(GeocoderError, match="online geocoding needs a user agent"):
        NominatimMatcher(gazetteer, user_agent=" ", cache_dir=tmp_path)


def test_one_request_per_second(
    gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []

    def sleep(_: RateLimiter, seconds: float) -> None:
        sleeps.append(seconds)
        server.clock[0] += seconds

    monkeypatch.setattr(RateLimiter, "_clock", lambda _: server.clock[0])
    monkeypatch.setattr(RateLimiter, "_sleep", sleep)
    online = matcher(gazetteer, server, tmp_path, delay=1.0)
    for name in ("Uno", "Due", "Uno", "Tre"):  # the second "Uno" comes from the cache
        online.geocode(Place(name))
    assert [r["at"] for r in server.requests] == [0.0, 1.0, 2.0]
    assert sleeps == [1.0, 1.0]


def test_geocoder_asks_online_only_for_unresolved_places(
    gazetteer: Gazetteer, server: FakeNominatim, tmp_path: Path
) -> None:
    server.answers["Marina Serra"] = [answer(gazetteer, "075088", "Marina Serra")]
    geocoder = Geocoder(
        gazetteer,
        online=True,
        user_agent="mapgen-tests",
        cache_dir=tmp_path,
        nominatim_domain=server.domain,
        nominatim_scheme="http",
        min_delay_seconds=0,
    )
    progress: list[tuple[int, int]] = []
    places = [
        Place("Tricase"),
        Place("Marina Serra", "LE"),
        Place("Castro"),
        Place("Marina Serra", "LE"),
    ]
    found = geocoder.geocode_many(places, progress=lambda done, total: progress.append((done, total)))
    assert [m.status for m in found] == [
        MatchStatus.EXACT,
        MatchStatus.ONLINE,
        MatchStatus.AMBIGUOUS,
        MatchStatus.ONLINE,
    ]
    assert [r["query"]["city"] for r in server.requests] == ["Marina Serra"]
    assert progress == [(1, 1)]
    assert geocoder.count_online(places) == 1
    assert Geocoder(gazetteer).count_online(places) == 0


def test_nominatim_by_name_is_the_online_fallback(gazetteer: Gazetteer, tmp_path: Path) -> None:
    with pytest.raises(GeocoderError, match="online geocoding needs a user agent"):
        Geocoder(gazetteer, matchers=["name", "nominatim"], cache_dir=tmp_path)
    geocoder = Geocoder(gazetteer, matchers=["name", "nominatim"], user_agent="t", cache_dir=tmp_path)
    assert geocoder.online
