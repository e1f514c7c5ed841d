"""``mapgen fetch``: download every response of a survey from LimeSurvey."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import reports_errors
from mapgen.i18n import _, ngettext


@reports_errors
def fetch(
    limesurvey: Annotated[
        str, typer.Option("--limesurvey", help="LimeSurvey's address (its RemoteControl API is completed).")
    ],
    survey_id: Annotated[int, typer.Option("--survey", help="The survey id (the number in its address).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")] = Path("export.csv"),
    user: Annotated[
        str | None, typer.Option("--user", help="LimeSurvey user (default: $MAPGEN_LIMESURVEY_USER, else asked).")
    ] = None,
) -> None:
    """Download every response of a survey from LimeSurvey (online, needs mapgen\\[limesurvey]).

    Asks LimeSurvey's RemoteControl 2 API (JSON-RPC, enabled by an administrator) for a CSV with
    question-code headings, answer codes and every response, complete or not, and writes the
    survey structure (questions, answer options) alongside as OUT.lss. The password comes from
    $MAPGEN_LIMESURVEY_PASSWORD or a prompt; it is never shown or stored.

    Example: mapgen fetch --limesurvey https://survey.example.org --survey 123456 --out export.csv
    """
    import os

    from mapgen.readers.remote_control import fetch_responses, remote_control_url

    remote_control_url(limesurvey)  # a refused address stops before anyone types a password
    username = user or os.environ.get("MAPGEN_LIMESURVEY_USER") or typer.prompt(_("LimeSurvey user"))
    password = os.environ.get("MAPGEN_LIMESURVEY_PASSWORD") or typer.prompt(
        _("LimeSurvey password"), hide_input=True
    )
    fetched = fetch_responses(limesurvey, survey_id, out, username=username, password=password)
    typer.echo(ngettext("Wrote {file}: {count} response ({size:,.0f} KB).",
                        "Wrote {file}: {count} responses ({size:,.0f} KB).",
                        fetched.responses, file=fetched.path, size=fetched.size / 1024))
    if fetched.structure is not None:
        typer.echo(_("Wrote {file}: the survey structure (questions and answer options).", file=fetched.structure))
        typer.echo(_("Next: mapgen init-config {file} --structure {structure}", file=fetched.path,
                     structure=fetched.structure))
    else:
        typer.echo(_("Note: {note}; export it by hand if needed (Survey > Export > Survey structure).",
                      note=fetched.note))
        typer.echo(_("Next: mapgen init-config {file}", file=fetched.path))
