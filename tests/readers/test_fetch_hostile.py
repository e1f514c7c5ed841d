"""``mapgen fetch`` against hostile JSON-RPC servers on 127.0.0.1: redirects, echoes, endless and odd answers.

Each case must end in one clear ``RemoteControlError`` (exit status 1 from the CLI), and the
secrets (the password, LimeSurvey's session key) must never reach another server, the message,
the terminal or an error log.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("citric")

from mapgen.cli import app
from mapgen.readers.remote_control import RemoteControlError, fetch_responses
from tests.local_server import Handler, Seen, serve

PASSWORD = "pw-Segreta-8123"
KEY = "key-Segreta-9034"
SURVEY = 123456
CSV = b"id,submitdate\n1,2024-01-01\n"

runner = CliRunner()


def assert_hidden(*texts: str, logs: Path | None = None) -> None:
    """No secret in the texts, nor in any file under ``logs``."""
    written = [p.read_text(encoding="utf-8", errors="replace") for p in logs.rglob("*") if p.is_file()] if logs else []
    for secret in (PASSWORD, KEY):
        for text in (*texts, *written):
            assert secret not in text


def rpc(answer: Callable[[str, list[Any]], Any]) -> Callable[[Handler, Seen], None]:
    """A JSON-RPC server whose ``answer(method, params)`` gives the whole envelope (a dict) or bytes."""

    def script(h: Handler, seen: Seen) -> None:
        request = json.loads(seen.body)
        envelope = answer(request["method"], request["params"])
        if isinstance(envelope, dict):
            envelope = json.dumps({"id": request["id"], **envelope}).encode()
        h.reply(200, envelope, [("Content-Type", "application/json")])

    return script


def limesurvey(method: str, params: list[Any]) -> dict[str, Any]:
    """A well-behaved LimeSurvey: login, export, release."""
    results = {"get_session_key": KEY, "export_responses": base64.b64encode(CSV).decode(), "release_session_key": "OK"}
    return {"result": results.get(method, {"status": "No permission"}), "error": None}


def fetch(url: str, tmp_path: Path) -> None:
    fetch_responses(url, SURVEY, tmp_path / "export.csv", username="ufficio", password=PASSWORD)


def test_the_stand_in_is_fetched(tmp_path: Path) -> None:
    with serve(rpc(limesurvey)) as server:
        fetch(server.url, tmp_path)
    assert (tmp_path / "export.csv").read_bytes() == CSV


# --- where the password may go --------------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
def test_the_password_never_follows_a_redirect(tmp_path: Path, logs: Path, status: int) -> None:
    with serve(rpc(limesurvey)) as elsewhere:

        def redirect(h: Handler, seen: Seen) -> None:
            h.reply(status, headers=[("Location", f"{elsewhere.url}/index.php/admin/remotecontrol")])

        with serve(redirect) as server, pytest.raises(RemoteControlError, match="after a redirect") as caught:
            fetch(server.url, tmp_path)
    assert elsewhere.seen == [] and PASSWORD in server.received
    assert elsewhere.url in str(caught.value)
    assert_hidden(str(caught.value), logs=logs)


def test_plain_http_off_loopback_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    called: list[str] = []

    def factory(endpoint: str, username: str, password: str) -> Any:
        called.append(endpoint)
        raise AssertionError("no client may be made")

    with pytest.raises(RemoteControlError, match="uses plain http://") as caught:
        fetch_responses("http://survey.example.org/", SURVEY, tmp_path / "x.csv", username="u",
                        password=PASSWORD, client_factory=factory)  # fmt: skip
    assert called == []
    assert "https://" in str(caught.value)
    assert_hidden(str(caught.value))


# --- secrets echoed by the server -----------------------------------------------------------


def test_a_status_echoing_the_password_is_redacted(tmp_path: Path, logs: Path) -> None:
    def echo(method: str, params: list[Any]) -> dict[str, Any]:
        return {"result": {"status": f"Invalid user name or password for {params}"}, "error": None}

    with serve(rpc(echo)) as server, pytest.raises(RemoteControlError, match="refused the login") as caught:
        fetch(server.url, tmp_path)
    assert PASSWORD in server.received
    assert_hidden(str(caught.value), logs=logs)


def test_an_export_status_echoing_the_session_key_is_redacted(tmp_path: Path, logs: Path) -> None:
    def echo(method: str, params: list[Any]) -> dict[str, Any]:
        if method == "export_responses":
            return {"result": {"status": f"Invalid survey ID (session {params[0]})"}, "error": None}
        return limesurvey(method, params)

    with serve(rpc(echo)) as server, pytest.raises(RemoteControlError, match="no survey") as caught:
        fetch(server.url, tmp_path)
    assert KEY in server.received
    assert_hidden(str(caught.value), logs=logs)


def test_cli_an_rpc_error_echoing_the_request(tmp_path: Path, logs: Path) -> None:
    def echo(method: str, params: list[Any]) -> dict[str, Any]:
        return {"result": None, "error": f"cannot call {method} with {json.dumps(params)}"}

    with serve(rpc(echo)) as server:
        result = runner.invoke(
            app, ["fetch", "--limesurvey", server.url, "--survey", str(SURVEY), "--out", str(tmp_path / "x.csv")],
            env={"MAPGEN_LIMESURVEY_USER": "ufficio", "MAPGEN_LIMESURVEY_PASSWORD": PASSWORD},
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and len(result.output.splitlines()) == 1
    assert "answered the login with an error: cannot call get_session_key" in result.output
    assert_hidden(result.output, logs=logs)


# --- servers without bounds -----------------------------------------------------------------


def _endless(h: Handler, seen: Seen) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()
    h.wfile.write(b'{"id": 1, "error": null, "result": "')
    for _ in range(512):  # 8 MB at most, well past the test's 1 MB bound
        h.wfile.write(b"A" * 16384)


def _dripping(h: Handler, seen: Seen) -> None:
    h.send_response(200)
    h.end_headers()
    for _ in range(40):  # one byte every 0.25 s for 10 s: no read ever times out
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.25)


def _silent(h: Handler, seen: Seen) -> None:
    time.sleep(10)  # says nothing at all


def test_an_endless_answer_stops_at_the_size_bound(tmp_path: Path, logs: Path, small_bounds: None) -> None:
    with serve(_endless) as server, pytest.raises(RemoteControlError, match="larger than 1 MB") as caught:
        fetch(server.url, tmp_path)
    assert_hidden(str(caught.value), logs=logs)


@pytest.mark.parametrize("script", [_dripping, _silent], ids=["dripping", "silent"])
def test_a_slow_server_stops_at_the_total_time(
    tmp_path: Path, logs: Path, small_bounds: None, script: Callable[[Handler, Seen], None]
) -> None:
    started = time.monotonic()
    with serve(script) as server, pytest.raises(RemoteControlError, match="did not answer within 2 s") as caught:
        fetch(server.url, tmp_path)
        assert time.monotonic() - started < 5
    assert_hidden(str(caught.value), logs=logs)


# --- internal errors on hostile answers -----------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda m, p: {"result": KEY}, "did not answer as LimeSurvey's RemoteControl API does"),  # no error
        (lambda m, p: b'{"result": "k", "error": null}', "did not answer as LimeSurvey's RemoteControl API does"),
        (lambda m, p: b"[" * 100_000 + b"]" * 100_000, "did not answer as LimeSurvey's RemoteControl API does"),
        (lambda m, p: {"result": None, "error": "Calling parameters do not match"}, "answered the login with an error"),
        (lambda m, p: b'{"id": 1, "result": "k", "error": null}', "answered the login with an error"),  # wrong id
    ],
    ids=["no-error-key", "no-id", "nested-100000", "error", "other-id"],
)
def test_hostile_login_answers_are_one_line(
    tmp_path: Path, logs: Path, answer: Callable[[str, list[Any]], Any], message: str
) -> None:
    with serve(rpc(answer)) as server:
        result = runner.invoke(
            app, ["fetch", "--limesurvey", server.url, "--survey", str(SURVEY), "--out", str(tmp_path / "x.csv")],
            env={"MAPGEN_LIMESURVEY_USER": "ufficio", "MAPGEN_LIMESURVEY_PASSWORD": PASSWORD},
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert message in result.output and len(result.output.splitlines()) == 1
    assert_hidden(result.output, logs=logs)


def test_an_export_that_is_not_a_file(tmp_path: Path, logs: Path) -> None:
    def odd(method: str, params: list[Any]) -> dict[str, Any]:
        return {"result": 42, "error": None} if method == "export_responses" else limesurvey(method, params)

    with serve(rpc(odd)) as server, pytest.raises(RemoteControlError, match="is not a file") as caught:
        fetch(server.url, tmp_path)
    assert not (tmp_path / "export.csv").exists()
    assert_hidden(str(caught.value), logs=logs)
