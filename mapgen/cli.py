"""The ``mapgen`` command line: a thin layer over the library.

Each command parses its options, makes one library call, prints the result and
turns :class:`~mapgen.errors.MapgenError` into ``Error: …`` with exit status 1.
Heavy libraries (pandas, geopandas, folium) are imported inside the commands
that need them, so ``mapgen --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
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


@app.command("geocode")
@reports_errors
def geocode(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT", help="CSV or XLSX file with a Comune column.")
    ],
    comune_col: Annotated[
        str, typer.Option("--comune-col", help="Column holding the Comune as typed.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write (UTF-8).")],
    provincia_col: Annotated[
        str | None, typer.Option("--provincia-col", help="Column holding the province.")
    ] = None,
    regione_col: Annotated[
        str | None, typer.Option("--regione-col", help="Column holding the region.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet (default: the first).")
    ] = None,
    geocoder_names: Annotated[
        list[str] | None,
        typer.Option("--geocoder", help="Offline matcher (repeatable): istat_code, name, fuzzy."),
    ] = None,
    online: Annotated[
        bool, typer.Option("--online", help="Look unresolved rows up on OpenStreetMap Nominatim.")
    ] = False,
    user_agent: Annotated[
        str | None, typer.Option("--user-agent", help="Who you are, for Nominatim (with --online).")
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Cache of online answers (~/.cache/mapgen).")
    ] = None,
) -> None:
    """Resolve the Comune of every row of a CSV/XLSX file to its ISTAT code.

    Writes every input row and column unchanged, plus istat_code, comune_ufficiale, sigla,
    regione, lat, lon, match_status, match_score, candidates and hint.
    The output is UTF-8 CSV with a BOM, so that Excel shows accents.
    Prints the rows per status; ambiguous or unresolved rows do not make it fail.

    Example: mapgen geocode risposte.xlsx --comune-col Comune --provincia-col Provincia --out g.csv
    """
    from mapgen.geocoders import DEFAULT_MATCHERS, Geocoder, geocode_file

    geocoder = Geocoder(
        matchers=geocoder_names or DEFAULT_MATCHERS,
        online=online,
        user_agent=user_agent,
        cache_dir=cache_dir,
    )
    with _online_progress(enabled=online) as progress:
        result = geocode_file(
            input_file, out, comune_col=comune_col, provincia_col=provincia_col,
            regione_col=regione_col, sheet=sheet, geocoder=geocoder, progress=progress,
        )
    if result.replaced:
        typer.echo(f"Replaced the result columns of an earlier run: {', '.join(result.replaced)}")
    typer.echo(f"Geocoded {len(result.rows)} rows of {input_file.name} ({result.detected}): {out}")
    for status, count in result.counts().items():
        typer.echo(f"  {status.value:<13} {count:>7}")


@contextlib.contextmanager
def _online_progress(*, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr for the online pass (one request per second)."""
    if not enabled:
        yield None
        return
    from rich import progress as rp
    from rich.console import Console

    columns = (
        rp.TextColumn("Nominatim"), rp.BarColumn(),
        rp.MofNCompleteColumn(), rp.TimeRemainingColumn(),
    )
    with rp.Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("online", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


# --- validate, init-config (issue 4) --------------------------------------------------

# (mapgen validate and mapgen init-config are added here)


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
        raise MapgenError(f"no Comune is called {name!r}" + (f" in {provincia}" if provincia else "") + ".")
    for comune in found:
        state = "" if comune.active else f"  (soppresso {comune.valid_to}, ora {comune.successor or '?'})"
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
    typer.echo(f"Comuni:    {len(active)} current, {len(gazetteer) - len(active)} retired codes kept")
    typer.echo(f"Provinces: {len(gazetteer.provinces)}   Regions: {len(gazetteer.regions)}")
    typer.echo(f"Attribution: {gazetteer.attribution}")


def main() -> None:
    """Entry point for ``python -m mapgen`` and the console script."""
    app(prog_name="mapgen")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
