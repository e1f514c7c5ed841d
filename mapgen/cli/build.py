"""``mapgen build``: read, geocode, merge with previous editions, write every output."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import progress_bar, reports_errors
from mapgen.i18n import _

#: The cyclic collector's thresholds during a build. A build keeps millions of objects to its end
#: (records, matches, the gazetteer); at the default (700, 10, 10) the collector scans them again
#: and again: about 1 s of a 10,000-practice build's 10 s of steps (benchmarks/README.md). The
#: collector's own time at 50,000 young objects, 10,000 / 100,000 initiatives, all processes:
#: 0.2 / 3.3 s; at 200,000, 0.08 / 2.0 s (most young objects are gone before a pass); the peak
#: memory within the measure's noise (100,000: 1,770-1,928 MB against 1,842-1,890 MB).
BATCH_GC_THRESHOLDS = (200_000, 20, 20)


@contextmanager
def _batch_collector() -> Iterator[None]:
    """Collect cyclic garbage less often while the build runs; the thresholds as they were after."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
    from mapgen.writers.report import build_summary_lines, needing_person

    if survey is None and not previous:
        request = replace(example_request(out), include_incomplete=include_incomplete, preview=preview,
                          corrections=corrections)
        typer.echo(_("No input given: building the bundled example."))
    else:
        request = BuildRequest(
            survey=survey, previous=tuple(previous or ()), config=config, out_dir=out,
            initiative_layers=tuple(initiative_layer or ()), include_incomplete=include_incomplete,
            sheet=sheet, online=online, user_agent=user_agent, preview=preview,
            all_complete=all_complete, corrections=corrections,
        )
    with progress_bar() as progress, _batch_collector():
        summary = build(request, progress=progress)
    for line in build_summary_lines(summary.result, summary.out_dir, summary.files):
        typer.echo(line)
    if strict and needing_person(summary.result):
        raise typer.Exit(code=1)
