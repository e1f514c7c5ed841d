"""``mapgen publish``: update the map already published on uMap, in place."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapgen.cli._common import reports_errors
from mapgen.i18n import _, ngettext

if TYPE_CHECKING:
    from rich.progress import TaskID


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
    a layer meanwhile, then reads the map back and compares it with map.umap (exit
    status 1 on a difference). Running it again writes nothing. The session cookie is
    read from $MAPGEN_UMAP_SESSION or --session-file and never printed.

    Example: mapgen publish output --map https://umap.openstreetmap.fr/it/map/famiglie_1234 --session-file session.txt
    prints the plan and writes nothing; read it, then run the same command with --apply to publish.
    """
    import getpass

    from mapgen.errors import PublishError
    from mapgen.publish import (
        apply_plan,
        connect,
        credentials,
        make_plan,
        plan_lines,
        read_built_layers,
        verify_published,
    )
    from mapgen.publish.address import parse_map_url

    if not map_url:
        raise PublishError(_("--map URL is required: the address of the published map."))
    parse_map_url(map_url)  # a refused address stops before anyone types a password
    built, properties = read_built_layers(folder)
    session, password = credentials(session_file, user, ask=getpass.getpass)
    client = connect(map_url, session=session, user=user, password=password)
    try:
        plan = make_plan(client, built, properties, replace_layers=replace_layer or ())
        for line in plan_lines(plan):
            typer.echo(line)
        if not apply:
            if plan.writes:
                typer.echo(_("Nothing written: run again with --apply to make these changes."))
            return
        with _upload_bars() as progress:
            result = apply_plan(client, plan, backup_dir=backup_dir, out_dir=folder, progress=progress)
        if result is not None:
            typer.echo(_("Backup: {file}", file=result.backup))
            settings = ", ".join(result.map_settings) or _("unchanged")
            typer.echo(ngettext("Updated {count} layer; map settings: {settings}.",
                                "Updated {count} layers; map settings: {settings}.", len(result.written),
                                settings=settings))
        read_back = verify_published(client, plan, backup=result.backup if result else None)
    finally:
        client.close()
    for line in read_back.lines:
        typer.echo(line)
    if not read_back.ok:
        saved = _(" The map as it was before is saved in {file}.", file=result.backup) if result else ""
        raise PublishError(
            ngettext("the map read back from uMap differs from map.umap ({count} difference, listed above).",
                     "the map read back from uMap differs from map.umap ({count} differences, listed above).",
                     len(read_back.differences))
            + saved + " " + _("Open {url}, then run `mapgen publish` again for a new plan.", url=map_url)
        )
    if result is not None:
        typer.echo(_("Open {url} to check the map.", url=map_url))
