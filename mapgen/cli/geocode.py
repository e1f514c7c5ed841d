"""``mapgen geocode``: resolve the Comune of every row of a CSV/XLSX file to its ISTAT code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import progress_bar, reports_errors
from mapgen.i18n import _, ngettext


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
        typer.Option(
            "--geocoder", help="Offline matcher (repeatable): istat_code, name, spelling, fuzzy, locality."
        ),
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
    sep: Annotated[
        str | None, typer.Option("--sep", help="Separator of the output CSV (default: the input's; ',' for XLSX).")
    ] = None,
) -> None:
    """Resolve the Comune of every row of a CSV/XLSX file to its ISTAT code.

    Writes every input row and column unchanged, plus istat_code, comune_ufficiale, sigla,
    regione, lat, lon, match_status, match_score, candidates and hint.
    The output is UTF-8 CSV with a BOM, so that Excel shows accents, in the input's separator
    (--sep to choose); cells Excel would run as formulas get a leading apostrophe.
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
            regione_col=regione_col, sheet=sheet, geocoder=geocoder, progress=progress, sep=sep,
        )
    for warning in result.warnings:
        typer.echo(_("Warning: {warning}", warning=warning), err=True)
    if result.replaced:
        typer.echo(_("Replaced the result columns of an earlier run: {columns}", columns=', '.join(result.replaced)))
    typer.echo(ngettext("Geocoded {count} row of {file} ({detected}): {out}",
                         "Geocoded {count} rows of {file} ({detected}): {out}", len(result.rows),
                         file=input_file.name, detected=result.detected, out=out))
    for status, count in result.counts().items():
        typer.echo(f"  {status.value:<13} {count:>7}")


@contextmanager
def _online_progress(*, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """The progress bar of the online pass (one request per second), when there is one."""
    if not enabled:
        yield None
        return
    with progress_bar() as update:
        yield lambda done, total: update("Nominatim", done, total)
