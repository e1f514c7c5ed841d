"""The ``mapgen`` command line: a thin layer over the library, one module per command.

Each command parses its options, makes one library call, prints the result and
turns :class:`~mapgen.errors.MapgenError` into ``Error: …`` with exit status 1
(:mod:`mapgen.cli._common`). Heavy libraries (pandas, geopandas, folium) are
imported inside the commands that need them, so ``mapgen --help`` starts fast.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import Annotated, NoReturn

import typer

from mapgen.cli import _common  # (patches how --help names values, before any command)
from mapgen.cli.build import build_command
from mapgen.cli.fetch import fetch
from mapgen.cli.gazetteer import gazetteer_app
from mapgen.cli.geocode import geocode
from mapgen.cli.init_config import init_config
from mapgen.cli.preview import preview
from mapgen.cli.publish import publish_command
from mapgen.cli.validate import validate

__all__ = ["app", "main"]

_common.tolerant_console()

app = typer.Typer(
    name="mapgen",
    help="Turn survey records of local family-policy initiatives into uMap maps, "
    "an offline HTML preview, GIS files and a report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


@app.callback()
def language_option(
    lingua: Annotated[
        str | None,
        typer.Option("--lingua", metavar="it|en", help="Language of the messages: it or en (default: "
                     "MAPGEN_LANG, else the system's language)."),
    ] = None,
) -> None:
    # Every command speaks the person's language; chosen anew at each invocation.
    from mapgen.i18n import choose_language, set_language

    if lingua is not None and lingua.strip().lower() not in ("it", "en"):
        raise typer.BadParameter(f"{lingua!r}: use it or en", param_hint="--lingua")
    set_language(choose_language(lingua))


app.add_typer(gazetteer_app, name="gazetteer")
app.command("build")(build_command)  # issue 5; writers: issues 6-8
app.command("preview")(preview)  # issue 7
app.command("geocode")(geocode)  # issue 3
app.command("validate")(validate)  # issue 4
app.command("init-config")(init_config)  # issue 4
app.command("publish")(publish_command)  # issue 17
app.command("fetch")(fetch)  # issue 18


def main() -> NoReturn:
    """Entry point for ``python -m mapgen`` and the console script: run a command, then end at once.

    A build holds hundreds of MB of objects when it ends; the interpreter freed them one by one
    before the process ended, 0.5 s of a 10,000-practice build's 8 s. The exit handlers run and
    the streams are flushed, then the process ends and the system takes its memory back whole.
    """
    try:
        app(prog_name="mapgen")
    except SystemExit as ended:  # how click ends every command, in success or not
        _exit_now(ended.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """End the process with ``sys.exit(code)``'s status, without freeing each object first."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("text") prints the text and ends with 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()  # logging's flush, multiprocessing's and tempfile's clean-up
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe ("mapgen ... | head") or stream
            stream.flush()
    os._exit(status)
