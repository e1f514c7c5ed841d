"""``mapgen publish`` against hostile servers on 127.0.0.1: redirects, echoes, endless and odd answers.

Each case must end in one clear ``PublishError`` (exit status 1 from the CLI), and the secrets
(the password, the session cookie, the ``csrftoken``) must never reach another server, the
message, the terminal or an error log.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures import factories
from mapgen.cli import app
from mapgen.errors import PublishError, save_traceback
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.publish import UmapClient, connect, parse_map_url
from mapgen.remote.secrets import plain_http_off_loopback, redact, remember, same_origin
from mapgen.writers.umap import write_umap
from tests.local_server import Handler, Seen, serve

pytest.importorskip("httpx")

PASSWORD = "pw-Segreta-7319"
SESSION = "sess-Segreta-4471"
CSRF = "csrf-Segreta-5582"
SECRETS = (PASSWORD, SESSION, CSRF)
MAP = "/it/map/famiglie_12"

runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    folder = tmp_path_factory.mktemp("built")
    write_umap(factories.sample_build(), folder, gazetteer=gazetteer, options=OutputOptions())
    return folder


def assert_hidden(*texts: str, logs: Path | None = None) -> None:
    """No secret in the texts, nor in any file under ``logs``."""
    written = [p.read_text(encoding="utf-8", errors="replace") for p in logs.rglob("*") if p.is_file()] if logs else []
    for secret in SECRETS:
        for text in (*texts, *written):
            assert secret not in text


def _geojson(datalayers: list[object] | None = None) -> bytes:
    properties = {"name": "x", "datalayers": datalayers or [], "umap_version": "3.8.1", "editMode": "advanced"}
    return json.dumps({"type": "Feature", "properties": properties}).encode()


# --- where a secret may go ------------------------------------------------------------------


def test_the_rule_for_secrets() -> None:
    assert same_origin("https://a.org/x", "https://a.org:443/y")
    assert not same_origin("http://a.org/x", "https://a.org/x")  # down to plain http
    assert not same_origin("https://a.org.evil.net/", "https://a.org/")
    assert not same_origin("http://127.0.0.1:2/", "http://127.0.0.1:1/")
    assert plain_http_off_loopback("http://example.org/") and not plain_http_off_loopback("http://127.0.0.2:8/")
    assert not plain_http_off_loopback("https://example.org/") and not plain_http_off_loopback("http://[::1]/")


def test_redaction_hides_every_spelling_of_a_secret() -> None:
    remember("pa ss/é\"")
    text = redact('pa ss/é" pa%20ss%2F%C3%A9%22 pa+ss%2F%C3%A9%22 pa ss/\\u00e9\\" Cookie: sessionid=zz; csrftoken=yy')
    assert text == "*** *** *** *** Cookie: sessionid=***; csrftoken=***"


# --- credentials and redirects --------------------------------------------------------------


def test_the_login_form_is_never_sent_to_another_origin(capsys: pytest.CaptureFixture[str], logs: Path) -> None:
    with serve(lambda h, s: h.reply(200, b"stolen")) as elsewhere:

        def umap(h: Handler, seen: Seen) -> None:
            if seen.method == "GET":
                h.reply(200, b"<form>", [("Set-Cookie", f"csrftoken={CSRF}; Path=/")])
            else:  # 307: "post the same form there"
                h.reply(307, headers=[("Location", f"{elsewhere.url}/steal")])

        with serve(umap) as server, pytest.raises(PublishError, match="redirected mapgen to another") as caught:
            connect(f"{server.url}{MAP}", user="ufficio", password=PASSWORD)
    assert elsewhere.seen == []
    assert "never over plain http" in str(caught.value)
    assert_hidden(str(caught.value), *capsys.readouterr(), logs=logs)


def test_the_session_cookie_never_follows_a_redirect_to_another_origin(logs: Path) -> None:
    def redirect(h: Handler, seen: Seen) -> None:
        h.reply(302, headers=[("Location", f"{elsewhere.url}{seen.path}")])

    with serve(lambda h, s: h.reply(200, _geojson())) as elsewhere, serve(redirect) as server:
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        with client, pytest.raises(PublishError, match="another address") as caught:
            client.read_map()
    assert elsewhere.seen == [] and SESSION in server.received
    assert_hidden(str(caught.value), logs=logs)


def test_a_redirect_on_the_maps_own_origin_is_followed() -> None:
    def umap(h: Handler, seen: Seen) -> None:
        if seen.path.startswith("/m/"):
            h.reply(302, headers=[("Location", "/it/map/famiglie_12/geojson/")])
        else:
            h.reply(200, _geojson())

    with serve(umap) as server:
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        with client:
            answer = client._request("GET", f"{server.url}/m/12/", "reading")
    assert answer.status_code == 200 and answer.content == _geojson()
    assert all(SESSION in s.headers.get("Cookie", "") for s in server.seen)


def test_cli_stops_on_a_redirect_to_another_origin(built: Path, logs: Path) -> None:
    def redirect(h: Handler, seen: Seen) -> None:
        h.reply(308, headers=[("Location", f"{elsewhere.url}{seen.path}")])

    with serve(lambda h, s: h.reply(200, _geojson())) as elsewhere, serve(redirect) as server:
        result = runner.invoke(app, ["publish", str(built), "--map", f"{server.url}{MAP}"],
                               env={"MAPGEN_UMAP_SESSION": SESSION})  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: reading map 12: ") and len(result.output.splitlines()) == 1
    assert elsewhere.seen == []
    assert_hidden(result.output, logs=logs)


# --- secrets echoed by the server -----------------------------------------------------------


def test_a_save_answer_echoing_the_cookie_header_is_redacted(logs: Path) -> None:
    def umap(h: Handler, seen: Seen) -> None:
        if seen.method == "GET":
            h.reply(200, b"<html>", [("Set-Cookie", f"csrftoken={CSRF}; Path=/")])
        else:
            echo = f"bad request; Cookie: {seen.headers.get('Cookie')}; X-CSRFToken: {seen.headers.get('X-CSRFToken')}"
            h.reply(200, json.dumps({"error": echo}).encode())

    with serve(umap) as server:
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        with client, pytest.raises(PublishError, match="did not confirm the save") as caught:
            client.save_map_settings(name="x", center={}, settings={}, tags=[], is_template=False)
    assert SESSION in server.received and CSRF in server.received
    assert_hidden(str(caught.value), logs=logs)


def test_error_logs_are_private_and_redacted(logs: Path) -> None:
    remember(PASSWORD)
    try:
        raise KeyError(f"the server said: {PASSWORD}")
    except KeyError as exc:
        first, second = save_traceback(exc), save_traceback(exc)
    assert first != second  # a new file each time, of a name no one can take first
    for name in (first, second):
        path = Path(name)
        assert path.parent == logs / "cache" / "mapgen" / "errors"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "KeyError" in path.read_text(encoding="utf-8")
    assert_hidden(logs=logs)


def test_the_temp_folder_log_never_follows_a_link(logs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (logs / "cache").write_text("not a folder", encoding="utf-8")  # the cache folder cannot be made
    victim = logs / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in (f"mapgen-error-{stamp}-{os.getpid()}.log", f"mapgen-error-{stamp}.log"):
        (logs / "tmp" / name).symlink_to(victim)  # the names the old code would have used
    log = Path(save_traceback(RuntimeError("boom")))
    assert log.parent == logs / "tmp" and not log.is_symlink()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert victim.read_text(encoding="utf-8") == "keep me"


# --- servers without bounds -----------------------------------------------------------------


def _endless(h: Handler, seen: Seen) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()
    h.wfile.write(b'{"type": "Feature", "properties": {"name": "')
    for _ in range(4096):  # 64 MB at most, well past the test's 1 MB bound
        h.wfile.write(b"x" * 16384)


def test_an_endless_answer_stops_at_the_size_bound(small_bounds: None, logs: Path) -> None:
    with serve(_endless) as server:
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        with client, pytest.raises(PublishError, match="larger than 1 MB") as caught:
            client.read_map()
    assert_hidden(str(caught.value), logs=logs)


def _dripping(h: Handler, seen: Seen) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()
    for _ in range(40):  # one byte every 0.25 s for 10 s: no read ever times out
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.25)


def _dripping_headers(h: Handler, seen: Seen) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(40):
        h.wfile.write(b"X")
        h.wfile.flush()
        time.sleep(0.25)


@pytest.mark.parametrize("script", [_dripping, _dripping_headers], ids=["body", "headers"])
def test_a_dripping_server_stops_at_the_total_time(small_bounds: None, logs: Path, script: object) -> None:
    with serve(script) as server:  # type: ignore[arg-type]
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        started = time.monotonic()
        with client, pytest.raises(PublishError, match="did not answer within 2 s") as caught:
            client.read_map()
        assert time.monotonic() - started < 5
    assert_hidden(str(caught.value), logs=logs)


# --- internal errors on hostile answers -----------------------------------------------------


def test_an_answer_nested_100000_deep(built: Path, logs: Path) -> None:
    deep = b'{"properties": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with serve(lambda h, s: h.reply(200, deep)) as server:
        result = runner.invoke(app, ["publish", str(built), "--map", f"{server.url}{MAP}"],
                               env={"MAPGEN_UMAP_SESSION": SESSION})  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "did not answer as uMap does" in result.output and len(result.output.splitlines()) == 1
    assert_hidden(result.output, logs=logs)


def test_an_answer_nested_deep_but_within_the_parser() -> None:
    deep = b'{"properties": {"datalayers": [], "x": ' + b"[" * 500 + b"]" * 500 + b"}}"
    with serve(lambda h, s: h.reply(200, deep)) as server:
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        with client, pytest.raises(PublishError, match="did not answer as uMap does"):
            client.read_map()


def test_two_csrftoken_cookies(logs: Path) -> None:
    def umap(h: Handler, seen: Seen) -> None:
        h.reply(200, b"<form>", [("Set-Cookie", f"csrftoken={CSRF}; Path=/"),
                                 ("Set-Cookie", f"csrftoken={CSRF}x; Path=/it/")])  # fmt: skip

    with serve(umap) as server, pytest.raises(PublishError, match="two different 'csrftoken' cookies") as caught:
        connect(f"{server.url}{MAP}", user="ufficio", password=PASSWORD)
    assert PASSWORD not in server.received  # the form was never sent
    assert_hidden(str(caught.value), logs=logs)


def test_a_session_value_with_a_non_ascii_letter(built: Path, logs: Path) -> None:
    with serve(lambda h, s: h.reply(200, _geojson())) as server:
        result = runner.invoke(app, ["publish", str(built), "--map", f"{server.url}{MAP}"],
                               env={"MAPGEN_UMAP_SESSION": SESSION + "è"})  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "a character a cookie cannot carry" in result.output and len(result.output.splitlines()) == 1
    assert server.seen == []
    assert_hidden(result.output, logs=logs)


def test_a_session_cookie_set_by_the_server_with_a_non_ascii_letter(logs: Path) -> None:
    def umap(h: Handler, seen: Seen) -> None:
        if seen.method == "GET":
            h.reply(200, b"<form>", [("Set-Cookie", f"csrftoken={CSRF}; Path=/")])
        else:
            # Latin-1 on the wire, as a server may send it; send_header would refuse nothing either.
            h.send_response(302)
            h.send_header("Location", "/")
            h.send_header("Set-Cookie", "sessionid=s\u00e9ssion; Path=/")
            h.send_header("Content-Length", "0")
            h.end_headers()

    with serve(umap) as server, pytest.raises(PublishError) as caught:
        connect(f"{server.url}{MAP}", user="ufficio", password=PASSWORD).read_map()
    assert_hidden(str(caught.value), logs=logs)


def test_every_error_message_hides_the_secrets_in_use() -> None:
    remember(PASSWORD)
    error = PublishError(f"the server said {PASSWORD!r}; Cookie: sessionid={SESSION}")
    assert str(error) == "the server said '***'; Cookie: sessionid=***"


def test_a_layer_version_no_header_can_carry() -> None:
    layer = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    with serve(lambda h, s: h.reply(200, layer, [("X-Datalayer-Version", "17\u00e9")])) as server:
        client = UmapClient(parse_map_url(f"{server.url}{MAP}"), session=SESSION)
        with client, pytest.raises(PublishError, match="did not answer as uMap does"):
            client.read_layer("0b7c2f7e-1f34-4c55-8d0e-3a2b1c0d9e8f")
