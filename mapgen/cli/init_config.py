"""``mapgen init-config``: a starter mapping file from the export's headers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import reports_errors
from mapgen.i18n import _


@reports_errors
def init_config(
    survey: Annotated[Path, typer.Argument(metavar="SURVEY", help="A real survey export (CSV or XLSX).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Mapping file to write.")] = Path(
        "mapping.toml"
    ),
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet name or number (default: first).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    structure: Annotated[
        Path | None,
        typer.Option("--structure", help="LimeSurvey's survey structure file (.lss): map the "
                     "questions by their texts and codes, options from the answer options."),
    ] = None,
) -> None:
    """Write a starter mapping file by recognising the export's headers; then edit it.

    With --structure survey.lss (LimeSurvey: Export > Survey structure) the mapping names question
    codes and the structure file, so it reads every export shape of the survey.

    Example: mapgen init-config survey_2020.csv --out mapping.toml
    """
    from mapgen.readers.starter_mapping import write_draft_config

    draft = write_draft_config(survey, out, sheet=sheet, structure=structure, force=force)
    typer.echo(_("Wrote {file}: {summary}.", file=out, summary=draft.summary()))
    typer.echo(_("Edit it, then run: mapgen validate {survey} --config {file}", survey=survey, file=out))
