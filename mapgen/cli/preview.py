"""``mapgen preview``: open the built preview in the default web browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapgen.cli._common import reports_errors
from mapgen.i18n import _


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

    typer.echo(_("Opened {file}", file=open_preview(folder)))
