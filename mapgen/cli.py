"""The ``mapgen`` command line: a thin layer over the library.

Each command parses its options, makes one library call, prints the result and
turns :class:`~mapgen.errors.MapgenError` into ``Error: …`` with exit status 1.
Heavy libraries (pandas, geopandas, folium) are imported inside the commands
that need them, so ``mapgen --help`` starts fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from mapgen.errors import MapgenError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="mapgen",
    help="Turn survey records of local family-policy initiatives into uMap maps, "
    "an offline HTML preview, GIS files and a report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)
gazetteer_app = typer.Typer(
    help="Inspect or rebuild the offline ISTAT gazetteer of Italian Comuni.",
    no_args_is_help=True,
)
app.add_typer(gazetteer_app, name="gazetteer")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=1)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MapgenError raised by a command into ``Error: …`` and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MapgenError as exc:
            raise _fail(str(exc)) from None

    return wrapper


# --- build (issue 5; writers: issues 6-8) -----------------------------------------------

# (mapgen build is added here)


# --- preview (issue 7) ----------------------------------------------------------------

# (mapgen preview is added here)


# --- geocode (issue 3) ----------------------------------------------------------------

# (mapgen geocode is added here)


# --- validate, init-config (issue 4) --------------------------------------------------


@app.command("validate")
@reports_errors
def validate(
    survey: Annotated[Path, typer.Argument(help="The survey export (CSV or XLSX).")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Mapping/config TOML file.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet name or number (default: first).")
    ] = None,
    include_incomplete: Annotated[
        bool, typer.Option("--include-incomplete", help="Keep responses without submitdate.")
    ] = False,
) -> None:
    """Check a survey export without building: every problem with row, column, value and fix.

    Exits with status 1 when any practice cannot become an initiative.

    Example: mapgen validate examples/survey_2020.csv --config examples/mapping.toml
    """
    from mapgen.config import Config, load_config
    from mapgen.survey import read_survey, validation_report

    loaded = load_config(config) if config else Config()
    result = read_survey(survey, config=loaded, sheet=sheet, include_incomplete=include_incomplete)
    for line in validation_report(result):
        typer.echo(line)
    if result.errors:
        raise typer.Exit(code=1)


@app.command("init-config")
@reports_errors
def init_config(
    survey: Annotated[Path, typer.Argument(help="A real survey export (CSV or XLSX).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Mapping file to write.")] = Path(
        "mapping.toml"
    ),
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet name or number (default: first).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a starter mapping file by recognising the export's headers; then edit it.

    Example: mapgen init-config survey_2020.csv --out mapping.toml
    """
    from mapgen.config import draft_config

    if out.exists() and not force:
        raise MapgenError(f"{out} already exists; choose another --out or add --force.")
    draft = draft_config(survey, sheet=sheet)
    out.write_text(draft.text, encoding="utf-8")
    typer.echo(f"Wrote {out}: {draft.summary()}.")
    typer.echo(f"Edit it, then run: mapgen validate {survey} --config {out}")


# --- gazetteer --------------------------------------------------------------------------


@gazetteer_app.command("lookup")
@reports_errors
def gazetteer_lookup(
    name: Annotated[str, typer.Argument(help="Official name, ISTAT code or cadastral code.")],
    provincia: Annotated[
        str | None, typer.Option("--provincia", "-p", help="Province sigla, e.g. LE.")
    ] = None,
) -> None:
    """Look a Comune up by exact official name, ISTAT code or cadastral code.

    Example: mapgen gazetteer lookup Castro --provincia LE
    """
    from mapgen.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    found = gazetteer.by_name(name, sigla=provincia)
    for comune in (gazetteer.by_code(name), gazetteer.by_cadastral(name)):
        if comune is not None and comune not in found:
            found.append(comune)
    if not found:
        raise MapgenError(
            f"no Comune is called {name!r}" + (f" in {provincia}" if provincia else "") + "."
        )
    for comune in found:
        state = (
            ""
            if comune.active
            else f"  (soppresso {comune.valid_to}, ora {comune.successor or '?'})"
        )
        typer.echo(
            f"{comune.istat_code}  {comune.label}  {comune.region}  "
            f"{comune.lat:.5f},{comune.lon:.5f}  pop. {comune.population or '?'}{state}"
        )


@gazetteer_app.command("info")
@reports_errors
def gazetteer_info() -> None:
    """Show where the gazetteer lives, its sources, dates and counts.

    Example: mapgen gazetteer info
    """
    from mapgen.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    active = gazetteer.active()
    typer.echo(f"Folder:    {gazetteer.path}")
    typer.echo(
        f"Comuni:    {len(active)} current, {len(gazetteer) - len(active)} retired codes kept"
    )
    typer.echo(f"Provinces: {len(gazetteer.provinces)}   Regions: {len(gazetteer.regions)}")
    typer.echo(f"Attribution: {gazetteer.attribution}")


def main() -> None:
    """Entry point for ``python -m mapgen`` and the console script."""
    app(prog_name="mapgen")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
