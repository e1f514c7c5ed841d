"""``mapgen validate``: check a survey export without building."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import reports_errors


@reports_errors
def validate(
    survey: Annotated[Path, typer.Argument(metavar="SURVEY", help="The survey export (CSV or XLSX).")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Mapping/config TOML file.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet name or number (default: first).")
    ] = None,
    include_incomplete: Annotated[
        bool, typer.Option("--include-incomplete", help="Keep responses without submitdate.")
    ] = False,
    corrections: Annotated[
        Path | None,
        typer.Option("--corrections", help="A person's corrections file to apply (default: the config's)."),
    ] = None,
    all_complete: Annotated[
        bool, typer.Option("--all-complete", help="Accept a LimeSurvey export without submit date or "
                           "response id: every response counts as complete.")
    ] = False,
) -> None:
    """Check a survey export without building: every problem with row, column, value and fix.

    Then geocodes it offline, with the corrections applied, and lists the records
    that would need a person. Exits with status 1 when any practice cannot become
    an initiative.

    Example: mapgen validate examples/survey_2020.csv --config examples/mapping.toml
    """
    from mapgen.build import BuildRequest, review_places
    from mapgen.config import Config, load_config
    from mapgen.corrections import review_lines
    from mapgen.readers.survey import read_survey, validation_report

    loaded = load_config(config) if config else Config()
    result = read_survey(survey, config=loaded, sheet=sheet, include_incomplete=include_incomplete,
                         all_complete=all_complete)
    places = review_places(BuildRequest(survey=survey, config=config, sheet=sheet,
                                        include_incomplete=include_incomplete, all_complete=all_complete,
                                        corrections=corrections))
    *problems, counts = validation_report(result)
    for line in [*problems, *review_lines(places), counts]:  # the counts stay the last line
        typer.echo(line)
    if result.errors:
        raise typer.Exit(code=1)
