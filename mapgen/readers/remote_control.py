"""Download a survey's responses from LimeSurvey through its RemoteControl 2 API (``mapgen fetch``).

Online and opt-in: it needs the ``limesurvey`` extra (the client ``citric``) and
a LimeSurvey whose JSON-RPC interface an administrator has enabled (it is off by
default). The export asks for the shape mapgen reads best: question-code
headings, answer codes, every response (complete and incomplete, so that the
incomplete ones can be excluded knowingly). Credentials are passed in, used for
one session and never written anywhere: they go only to the address given, over
https unless it is this machine, never after a redirect (``_rpc_session``), and
every text LimeSurvey sends back is shown without them (:func:`mapgen.remote.secrets.redact`).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from mapgen.errors import InputError, MapgenError, OutputError
from mapgen.i18n import _, _l
from mapgen.remote.secrets import plain_http_off_loopback, redact, remember

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Fetched", "RemoteControlError", "fetch_responses", "remote_control_url"]

#: Where LimeSurvey answers RemoteControl 2 calls, under its base address.
_ENDPOINT: Final = "index.php/admin/remotecontrol"
_ENABLE: Final = _l(
    "An administrator enables it in LimeSurvey: Configuration > Global settings > Interfaces > "
    "RPC interface enabled: JSON-RPC. Otherwise export the responses by hand (Responses > Export, "
    "Headings: question code, Responses: answer codes, Completion state: all)."
)


class RemoteControlError(MapgenError):
    """LimeSurvey's RemoteControl API refused or could not be reached; the message says why."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """What ``mapgen fetch`` wrote: the file, its size, its responses, and the structure file.

    ``structure`` is the survey structure written alongside (``export.lss``), or ``None``
    with ``note`` saying why it could not be made.
    """

    path: Path
    size: int
    responses: int
    structure: Path | None = None
    note: str = ""


def remote_control_url(url: str) -> str:
    """The RemoteControl endpoint of a LimeSurvey address (``https://host/`` is completed)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            _("{url} is not a web address. Give LimeSurvey's address, e.g. https://survey.example.org/ "
              "or https://survey.example.org/index.php/admin/remotecontrol", url=repr(url))
        )
    if plain_http_off_loopback(url):
        raise RemoteControlError(
            _("--limesurvey {url} uses plain http://: the password would travel unencrypted. Use the "
              "https:// address (plain http is allowed only on 127.0.0.1/localhost).", url=repr(url.strip()))
        )
    if "remotecontrol" in parts.path:
        return url.strip()
    return url.strip().rstrip("/") + "/" + _ENDPOINT


def fetch_responses(
    url: str,
    survey_id: int,
    out: Path,
    *,
    username: str,
    password: str,
    client_factory: Callable[[str, str, str], Any] | None = None,
) -> Fetched:
    """Export every response of ``survey_id`` as CSV (code headings, answer codes) into ``out``.

    Raises
    ------
    RemoteControlError
        The API is disabled, the login failed, the survey id is wrong or has no
        responses, or the server cannot be reached.
    OutputError
        ``out`` cannot be written (the previous file, if any, is left as it was).
    """
    endpoint = remote_control_url(url)
    try:
        from citric import Client
        from citric import exceptions as ls_errors
        from requests import RequestException

        from mapgen.readers._rpc_session import GuardedSession, Refused
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MapgenError(
            _("mapgen fetch needs the LimeSurvey client: pip install 'mapgen[limesurvey]'.")
        ) from None
    remember(password)

    def guarded_client(endpoint: str, username: str, password: str) -> Any:
        return Client(endpoint, username, password, requests_session=GuardedSession(endpoint))

    client = _log_in(client_factory or guarded_client, endpoint, username, password)
    remember(getattr(getattr(client, "session", None), "key", None))
    structure_path = out.with_suffix(".lss")
    note = ""
    try:
        with client:
            data = _export(client, survey_id, endpoint)
            try:
                structure = _structure_xml(client, survey_id)
            except (ls_errors.LimeSurveyError, ls_errors.ResponseMismatchError, AttributeError, KeyError,
                    TypeError, ValueError) as exc:  # fmt: skip
                structure = b""
                note = f"the survey structure could not be read through the API ({_server_text(exc)})"
    except Refused as exc:
        raise RemoteControlError(str(exc)) from None
    except ls_errors.LimeSurveyStatusError as exc:
        raise RemoteControlError(_status_message(endpoint, survey_id, redact(str(exc)))) from None
    except (ls_errors.LimeSurveyError, ls_errors.ResponseMismatchError) as exc:
        raise RemoteControlError(_("{endpoint}: LimeSurvey answered with an error: {reason}.", endpoint=endpoint,
                                   reason=_server_text(exc))) from None
    except RequestException as exc:
        raise RemoteControlError(_("{endpoint}: the connection failed during the export ({reason}).",
                                   endpoint=endpoint, reason=redact(str(exc)))) from None
    _write(out, data)
    if structure:
        _write(structure_path, structure)
    return Fetched(out, len(data), _count_rows(data), structure_path if structure else None, note)


def _log_in(factory: Callable[[str, str, str], Any], endpoint: str, username: str, password: str) -> Any:
    """A logged-in client, or one clear line saying why LimeSurvey would not let us in."""
    from citric import exceptions as ls_errors
    from requests import RequestException

    from mapgen.readers._rpc_session import Refused

    try:
        client = factory(endpoint, username, password)
    except Refused as exc:
        raise RemoteControlError(str(exc)) from None
    except ls_errors.LimeSurveyStatusError as exc:
        raise RemoteControlError(_(
            "{endpoint}: LimeSurvey refused the login of user {user} ({reason}). Check the user name and password "
            "(the password is never shown or stored).", endpoint=endpoint, user=repr(username),
            reason=redact(str(exc))
        )) from None
    except (ls_errors.RPCInterfaceNotEnabledError, ls_errors.InvalidJSONResponseError):
        raise RemoteControlError(
            _("{endpoint}: LimeSurvey's RemoteControl API is not enabled there.", endpoint=endpoint) + f" {_ENABLE}"
        ) from None
    except (ls_errors.LimeSurveyError, ls_errors.ResponseMismatchError) as exc:
        raise RemoteControlError(_(
            "{endpoint}: LimeSurvey answered the login with an error: {reason}. Check the address and the user (the "
            "password is never shown or stored).", endpoint=endpoint, reason=_server_text(exc)
        )) from None
    except RequestException as exc:
        raise RemoteControlError(_(
            "{endpoint}: cannot reach LimeSurvey ({kind}: {reason}). Check the address and the network; the API "
            "lives at <LimeSurvey>/index.php/admin/remotecontrol.", endpoint=endpoint, kind=type(exc).__name__,
            reason=redact(str(exc))
        )) from None
    return client


def _export(client: Any, survey_id: int, endpoint: str) -> bytes:
    """The responses as CSV; an answer that is not a file is a clear error, not a bug."""
    try:
        data = client.export_responses(
            survey_id,
            file_format="csv",
            completion_status="all",
            heading_type="code",
            response_type="short",
        )
    except (TypeError, ValueError):  # the result was not base64 text (binascii.Error is a ValueError)
        data = None
    if not isinstance(data, bytes):
        raise RemoteControlError(_(
            "{endpoint}: LimeSurvey's answer to the export of survey {survey} is not a file. Export the responses "
            "by hand (Responses > Export).", endpoint=endpoint, survey=survey_id
        ))
    return data


def _server_text(exc: BaseException) -> str:
    """What a server said in an error, short and without the secrets in use."""
    text = redact(str(exc)).replace("\n", " ")
    return text if len(text) <= 200 else text[:197] + "..."


def _structure_xml(client: Any, survey_id: int) -> bytes:
    """A survey structure file (older ``.lss`` layout) rebuilt from the API's question lists.

    RemoteControl 2 has no call that exports the ``.lss`` itself; ``list_groups``,
    ``list_questions`` (questions and sub-questions) and ``get_question_properties``
    (answer options of list questions) hold what mapgen reads from it.
    """
    import xml.etree.ElementTree as ET

    groups = client.list_groups(survey_id)
    questions = client.list_questions(survey_id)
    root = ET.Element("document")
    ET.SubElement(root, "LimeSurveyDocType").text = "Survey"
    ET.SubElement(root, "DBVersion").text = "0"  # rebuilt by mapgen fetch, not exported by LimeSurvey
    languages = ET.SubElement(root, "languages")
    for language in dict.fromkeys(str(q.get("language", "")) for q in questions):
        ET.SubElement(languages, "language").text = language
    group_rows = [{k: g.get(k, "") for k in ("gid", "group_name", "group_order", "language")}
                  for g in groups]  # fmt: skip
    keys = ("qid", "parent_qid", "gid", "type", "title", "question", "other", "question_order",
            "scale_id", "language")  # fmt: skip
    parents = [{k: q.get(k, "") for k in keys} for q in questions if str(q.get("parent_qid", 0)) == "0"]
    children = [{k: q.get(k, "") for k in keys} for q in questions if str(q.get("parent_qid", 0)) != "0"]
    answers = []
    for question in parents:
        if str(question["type"]) not in "L!O":
            continue
        found = client.get_question_properties(int(question["qid"]), settings=["answeroptions"])
        options = found.get("answeroptions") if isinstance(found, dict) else None
        for code, option in (options.items() if isinstance(options, dict) else ()):
            answers.append({"qid": question["qid"], "code": code, "answer": option.get("answer", ""),
                            "sortorder": option.get("order", ""), "scale_id": option.get("scale_id", 0),
                            "language": question["language"]})  # fmt: skip
    for name, rows in (("groups", group_rows), ("questions", parents), ("subquestions", children),
                       ("answers", answers)):  # fmt: skip
        table = ET.SubElement(root, name)
        fields = ET.SubElement(table, "fields")
        for key in rows[0] if rows else ():
            ET.SubElement(fields, "fieldname").text = key
        body = ET.SubElement(table, "rows")
        for row in rows:
            element = ET.SubElement(body, "row")
            for key, value in row.items():
                ET.SubElement(element, key).text = "" if value is None else str(value)
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def _status_message(endpoint: str, survey_id: int, status: str) -> str:
    folded = status.casefold()
    if "invalid survey" in folded or "survey id" in folded:
        return _("{endpoint}: there is no survey {survey} ({status}). The id is the number in the survey's address "
                 "in LimeSurvey (surveyid=…) or in its list of surveys.", endpoint=endpoint, survey=survey_id,
                 status=status)
    if "no data" in folded or "no response" in folded:
        return _("{endpoint}: survey {survey} has no responses yet, or is not active ({status}). Nothing was "
                 "written.", endpoint=endpoint, survey=survey_id, status=status)
    if "permission" in folded:
        return _("{endpoint}: the user may not export survey {survey}'s responses ({status}). Ask the survey's "
                 "owner for the 'Responses: export' permission.", endpoint=endpoint, survey=survey_id, status=status)
    return _("{endpoint}: LimeSurvey refused the export of survey {survey}: {status}.", endpoint=endpoint,
             survey=survey_id, status=status)


def _count_rows(data: bytes) -> int:
    """Responses in the CSV: records after the header, line breaks inside quotes ignored."""
    import csv
    import io

    text = data.decode("utf-8-sig", errors="replace")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=_separator(text)) if any(r)]
    return max(0, len(rows) - 1)


def _separator(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _write(out: Path, data: bytes) -> None:
    """Write beside the target then rename, so that a failure never leaves half a file."""
    temporary = ""
    try:
        handle, temporary = tempfile.mkstemp(prefix=".mapgen-fetch-", dir=out.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, out)
    except OSError as exc:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise OutputError(_("{out}: cannot write the responses ({reason}). Choose another "
                            "--out or check the folder's permissions.", out=out, reason=exc.strerror)) from None
