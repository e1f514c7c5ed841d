"""The whole job: read, geocode, merge, write — into an output folder replaced atomically.

:func:`run_pipeline` turns the inputs into a :class:`~mapgen.model.BuildResult`;
:func:`write_outputs` runs every writer into a staging folder beside the output
folder and swaps it into place only when all of them succeeded, so a failed or
killed build leaves the previous outputs intact. :func:`build` does both.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from mapgen._resources import data_dir
from mapgen.errors import InputError, OutputError
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.merge import Geocoded, merge_editions
from mapgen.model import BuildResult, Initiative, Match, OutputOptions, Place, RowOutcome

__all__ = ["BuildRequest", "BuildSummary", "build", "example_request", "run_pipeline", "write_outputs"]

log = logging.getLogger(__name__)

#: File that marks a folder as written by mapgen (only such folders are ever replaced).
OUTPUT_MARKER = ".mapgen-output"


class Progress(Protocol):
    """Told about long steps: ``progress(step, done, total)``; ``total`` None when unknown."""

    def __call__(self, step: str, done: int, total: int | None) -> None: ...


def _no_progress(step: str, done: int, total: int | None) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What to build: the inputs, the config and where the outputs go."""

    survey: Path | None
    previous: tuple[Path, ...] = ()
    config: Path | None = None
    out_dir: Path = Path("output")
    initiative_layers: tuple[str, ...] = ()
    include_incomplete: bool = False
    sheet: str | None = None
    options: OutputOptions | None = None  # None: from the config's [output], else defaults
    online: bool = False
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build did: the result, the folder and the files written (relative to it)."""

    result: BuildResult
    out_dir: Path
    files: tuple[Path, ...]
    options: OutputOptions
    extra: dict[str, Any] = field(default_factory=dict)


def example_request(out_dir: Path = Path("output")) -> BuildRequest:
    """The bundled example: the synthetic 2020 survey, its mapping and the 2019 map."""
    examples = data_dir("examples")
    return BuildRequest(
        survey=examples / "survey_2020.csv",
        previous=(examples / "previous_2019.umap",),
        config=examples / "mapping.toml",
        out_dir=out_dir,
    )


# --- writing -------------------------------------------------------------------------

Writer = Callable[..., list[Path]]


def _writers(options: OutputOptions) -> list[tuple[str, Writer]]:
    """The writers to run, imported here so that reading-only commands stay light."""
    from mapgen.report import write_report
    from mapgen.writers.gis import write_gis
    from mapgen.writers.umap import write_umap

    writers: list[tuple[str, Writer]] = [("uMap", write_umap), ("GIS", write_gis), ("report", write_report)]
    if options.preview:
        from mapgen.writers.preview import write_preview

        writers.insert(1, ("preview", write_preview))
    return writers


def _check_inside(paths: Iterable[Path], folder: Path) -> list[Path]:
    """Return the paths relative to ``folder``; refuse any that escaped it."""
    root = folder.resolve()
    relative: list[Path] = []
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise OutputError(f"a writer tried to write {path} outside the output folder {folder}.")
        relative.append(resolved.relative_to(root))
    return sorted(set(relative))


def _check_replaceable(target: Path) -> None:
    """Only an empty folder or one written by mapgen may be replaced."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} is a file, not a folder; choose another --out.")
    if target.is_dir() and any(target.iterdir()) and not (target / OUTPUT_MARKER).exists():
        raise OutputError(
            f"{target} already holds files that mapgen did not write; "
            "choose an empty or new folder with --out (mapgen replaces its output folder as a whole)."
        )


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames on the same file system."""
    if not target.exists():
        staging.rename(target)
        return
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def write_outputs(
    result: BuildResult,
    out_dir: Path,
    *,
    gazetteer: Gazetteer,
    options: OutputOptions,
    progress: Progress = _no_progress,
) -> list[Path]:
    """Run every writer into a staging folder, then move it into place as ``out_dir``.

    Returns the files written, relative to ``out_dir``. If a writer fails, the
    staging folder is removed and ``out_dir`` is left as it was.
    """
    target = out_dir.resolve()
    _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        written: list[Path] = []
        writers = _writers(options)
        for done, (name, writer) in enumerate(writers):
            progress(f"Scrittura: {name}", done, len(writers))
            written += writer(result, staging, gazetteer=gazetteer, options=options)
        files = _check_inside(written, staging)
        (staging / OUTPUT_MARKER).write_text("Folder written by mapgen build; replaced as a whole.\n")
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files
