"""``mapgen fetch`` against a stand-in for LimeSurvey's RemoteControl 2 API on 127.0.0.1.

This is a stand-in, not LimeSurvey: LimeSurvey is a PHP application that cannot be installed
from the package registries reachable here. The stand-in answers JSON-RPC calls the way
LimeSurvey's ``application/helpers/remotecontrol/remotecontrol_handle.php`` documents them:
``get_session_key(username, password, plugin)`` gives a key or ``{"status": "Invalid user name or
password"}``; ``export_responses(key, survey_id, document_type, language, completion_status,
heading_type, response_type, ...)`` gives the file base64-encoded or ``{"status": "Invalid survey
ID"}``; ``list_groups``, ``list_questions`` (questions and sub-questions, one row each) and
``get_question_properties(key, qid, ["answeroptions"])`` describe the survey;
``release_session_key(key)`` gives ``"OK"``; with the interface disabled LimeSurvey answers
every call with an empty body. The survey the stand-in describes is ``shape_survey.lss``.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

pytest.importorskip("citric")

from mapgen.cli import app
from mapgen.config import load_config
from mapgen.readers.remote_control import (
    RemoteControlError,
    fetch_responses,
    remote_control_url,
)
from mapgen.readers.structure import read_structure
from mapgen.readers.survey import read_survey

DATA = Path(__file__).parents[1] / "data" / "survey"
SURVEY = 123456
EXPORT = (DATA / "shape_code_short.csv").read_bytes()
STRUCTURE = read_structure(DATA / "shape_survey.lss")


def _listed_questions() -> list[dict[str, Any]]:
    """The survey's questions as ``list_questions`` lists them: sub-questions as their own rows."""
    rows: list[dict[str, Any]] = []
    for order, q in enumerate(STRUCTURE.questions, start=1):
        base = {"sid": SURVEY, "gid": int(q.group), "language": "it", "help": "", "scale_id": 0}
        rows.append({**base, "id": int(q.qid), "qid": int(q.qid), "parent_qid": 0, "type": q.type,
                     "title": q.code, "question": q.texts["it"], "other": "Y" if q.other else "N",
                     "question_order": order})  # fmt: skip
        for n, (code, texts) in enumerate(q.subquestions, start=1):
            qid = int(q.qid) * 100 + n
            rows.append({**base, "id": qid, "qid": qid, "parent_qid": int(q.qid), "type": "T",
                         "title": code, "question": texts["it"], "other": "N", "question_order": n})  # fmt: skip
    return rows


def _answer_options(qid: int) -> dict[str, Any]:
    question = next(q for q in STRUCTURE.questions if int(q.qid) == qid)
    if not question.answers:
        return {"answeroptions": "No available answer options"}
    return {"answeroptions": {a.code: {"answer": a.texts["it"], "assessment_value": 0, "scale_id": 0,
                                       "order": n} for n, a in enumerate(question.answers, start=1)}}  # fmt: skip


class _StandIn(BaseHTTPRequestHandler):
    """Answers like LimeSurvey's RemoteControl 2 (JSON-RPC over POST)."""

    enabled: ClassVar[bool] = True
    describes: ClassVar[bool] = True
    calls: ClassVar[list[tuple[str, list[Any]]]] = []

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        method, params = request["method"], request["params"]
        type(self).calls.append((method, params))
        body = b""
        if self.enabled:
            body = json.dumps({"id": request["id"], "result": self._answer(method, params),
                               "error": None}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, method: str, params: list[Any]) -> Any:
        if method == "get_session_key":
            ok = params[:2] == ["ufficio", "segreta"]
            return "k3y" if ok else {"status": "Invalid user name or password"}
        if params[0] != "k3y":
            return {"status": "Invalid session key"}
        if method == "export_responses":
            if params[1] != SURVEY:
                return {"status": "Invalid survey ID"}
            return base64.b64encode(EXPORT).decode()
        if method == "release_session_key":
            return "OK"
        if not self.describes:
            return {"status": "No permission"}
        if method == "list_groups":
            return [{"id": int(gid), "gid": int(gid), "sid": SURVEY, "group_name": names["it"],
                     "group_order": n, "language": "it"}
                    for n, (gid, names) in enumerate(STRUCTURE.groups.items(), start=1)]  # fmt: skip
        if method == "list_questions":
            return _listed_questions()
        if method == "get_question_properties":
            return _answer_options(params[1])
        return {"status": "Method not found"}

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    _StandIn.enabled = True
    _StandIn.describes = True
    _StandIn.calls = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_writes_the_export_and_releases_the_session(server: str, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    fetched = fetch_responses(server, SURVEY, out, username="ufficio", password="segreta")
    assert out.read_bytes() == EXPORT
    assert (fetched.responses, fetched.size) == (5, len(EXPORT))
    methods = [m for m, _ in _StandIn.calls]
    assert methods[:4] == ["get_session_key", "export_responses", "list_groups", "list_questions"]
    assert methods[-1] == "release_session_key"
    export = _StandIn.calls[1][1]
    # the shape mapgen reads best: csv, every response, code headings, answer codes
    assert export[1:3] == [SURVEY, "csv"]
    assert export[4:7] == ["all", "code", "short"]
    result = read_survey(out, config=load_config(DATA / "shape_mapping.toml"))
    assert len(result.initiatives) == 4 and result.incomplete_rows == (4,)


def test_wrong_password_is_one_clear_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(RemoteControlError, match="refused the login of user 'ufficio'") as caught:
        fetch_responses(server, SURVEY, tmp_path / "x.csv", username="ufficio", password="sbagliata")
    assert "sbagliata" not in str(caught.value)
    assert not (tmp_path / "x.csv").exists()


def test_wrong_survey_id_is_one_clear_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(RemoteControlError, match="there is no survey 99"):
        fetch_responses(server, 99, tmp_path / "x.csv", username="ufficio", password="segreta")
    assert [m for m, _ in _StandIn.calls][-1] == "release_session_key"


def test_disabled_api_says_how_to_enable_it(server: str, tmp_path: Path) -> None:
    _StandIn.enabled = False
    with pytest.raises(RemoteControlError, match="RemoteControl API is not enabled") as caught:
        fetch_responses(server, SURVEY, tmp_path / "x.csv", username="ufficio", password="segreta")
    assert "RPC interface enabled: JSON-RPC" in str(caught.value)


def test_unreachable_server(tmp_path: Path) -> None:
    with pytest.raises(RemoteControlError, match="cannot reach LimeSurvey"):
        fetch_responses("http://127.0.0.1:9/", SURVEY, tmp_path / "x.csv", username="u", password="p")


def test_address_is_completed_and_checked() -> None:
    assert remote_control_url("https://s.example.org/") == (
        "https://s.example.org/index.php/admin/remotecontrol"
    )
    assert remote_control_url("https://s.example.org/index.php/admin/remotecontrol") == (
        "https://s.example.org/index.php/admin/remotecontrol"
    )
    with pytest.raises(Exception, match="not a web address"):
        remote_control_url("s.example.org")


def test_cli_takes_credentials_from_the_environment_and_never_prints_them(
    server: str, tmp_path: Path
) -> None:
    out = tmp_path / "export.csv"
    env = {"MAPGEN_LIMESURVEY_USER": "ufficio", "MAPGEN_LIMESURVEY_PASSWORD": "segreta"}
    done = CliRunner().invoke(
        app, ["fetch", "--limesurvey", server, "--survey", str(SURVEY), "--out", str(out)], env=env
    )
    assert done.exit_code == 0, done.output
    assert "5 responses" in done.output and "segreta" not in done.output
    wrong = CliRunner().invoke(
        app, ["fetch", "--limesurvey", server, "--survey", str(SURVEY), "--out", str(out)],
        env={**env, "MAPGEN_LIMESURVEY_PASSWORD": "sbagliata"},
    )  # fmt: skip
    assert wrong.exit_code == 1 and "Error:" in wrong.output and "sbagliata" not in wrong.output


def test_cli_prompts_for_the_password_without_echo(server: str, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    done = CliRunner().invoke(
        app,
        ["fetch", "--limesurvey", server, "--survey", str(SURVEY), "--out", str(out), "--user", "ufficio"],
        input="segreta\n",
        env={"MAPGEN_LIMESURVEY_PASSWORD": ""},
    )
    assert done.exit_code == 0, done.output
    assert "segreta" not in done.output


def test_fetch_writes_the_structure_alongside(server: str, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    fetched = fetch_responses(server, SURVEY, out, username="ufficio", password="segreta")
    assert fetched.structure == tmp_path / "export.lss"
    rebuilt = read_structure(tmp_path / "export.lss")
    assert [(q.code, q.type, q.texts, q.subquestions, q.other) for q in rebuilt.questions] == [
        (q.code, q.type, q.texts, q.subquestions, q.other) for q in STRUCTURE.questions]  # fmt: skip
    tipo = rebuilt.question("G01Q04")
    assert tipo is not None and [a.code for a in tipo.answers] == ["A1", "A2"]
    # the rebuilt structure lets the code mapping read a full-text export of the same survey
    mapping = tmp_path / "mapping.toml"
    mapping.write_text((DATA / "shape_mapping.toml").read_text(encoding="utf-8").replace(
        "shape_survey.lss", "export.lss"), encoding="utf-8")  # fmt: skip
    result = read_survey(DATA / "shape_full_long.csv", config=load_config(mapping))
    assert [r.record_id for r in result.initiatives] == ["2020-R11-G2", "2020-R12-G1", "2020-R14-G1",
                                                         "2020-R15-G1"]  # fmt: skip


def test_responses_are_kept_when_the_structure_cannot_be_read(server: str, tmp_path: Path) -> None:
    _StandIn.describes = False
    out = tmp_path / "export.csv"
    fetched = fetch_responses(server, SURVEY, out, username="ufficio", password="segreta")
    assert out.read_bytes() == EXPORT
    assert fetched.structure is None and "No permission" in fetched.note
    assert not (tmp_path / "export.lss").exists()
