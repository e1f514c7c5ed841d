"""The whole job: read, geocode, merge, write — into an output folder replaced atomically.

:func:`run_pipeline` turns the inputs into a :class:`~mapgen.model.BuildResult`;
:func:`write_outputs` runs every writer into a staging folder beside the output
folder and swaps it into place only when all of them succeeded, so a failed or
killed build leaves the previous outputs intact. :func:`build` does both.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapgen import _beside
from mapgen._beside import Ahead, Handout, Tickets, run_beside
from mapgen._resources import data_dir
from mapgen.contacts import (
    ContactScan,
    ScanPart,
    check_public_files,
    contact_values_of,
    joined_scan,
    protect_contacts,
    scan_part,
)
from mapgen.corrections import (
    APPLIED_NAME,
    Corrections,
    Review,
    apply_corrections,
    lost_decisions,
    put_back,
    read_corrections,
    settle_pairs,
)
from mapgen.errors import InputError, MapgenError, OutputError, output_fix
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.gazetteer.shipped import BoundaryShapes
from mapgen.i18n import Message, _, _l
from mapgen.merge import Clustered, Geocoded, MergeResult, cluster_editions, publish_practices, resolve_members_ahead
from mapgen.model import (
    BuildResult,
    CarriedLayer,
    Initiative,
    Match,
    Notice,
    Outcome,
    OutputOptions,
    Place,
    RowOutcome,
    Source,
    SourceRef,
)
from mapgen.text import slugify

if TYPE_CHECKING:
    from mapgen.config import Config
    from mapgen.geocoders import Geocoder
    from mapgen.readers.previous_map import PreviousEdition
    from mapgen.readers.survey import SurveyRead

__all__ = [
    "BuildRequest",
    "BuildSummary",
    "build",
    "check_output_folder",
    "example_request",
    "recover_interrupted",
    "review_places",
    "run_pipeline",
    "write_outputs",
]

log = logging.getLogger(__name__)

#: File that marks a folder as written by mapgen (only such folders are ever replaced).
OUTPUT_MARKER = ".mapgen-output"


#: Told about long steps: ``progress(step, done, total)``; ``total`` is None when unknown.
Progress = Callable[[str, int, int | None], None]


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
    preview: bool = True
    corrections: Path | None = None  # None: the config's ``corrections``, if any
    all_complete: bool = False  # accept a LimeSurvey export that cannot tell incomplete responses


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
    """The writers to run, in the order one process runs them."""
    first, second = _lanes_of_writers(options)
    return [*first, *second, *_writers_for_either_lane()]


def _lanes_of_writers(options: OutputOptions) -> tuple[list[tuple[str, Writer]], list[tuple[str, Writer]]]:
    """The writers in two lanes of about the same time (see :mod:`mapgen._beside`), imported
    here so that reading-only commands stay light. The uMap writer and the preview share the
    territories drawn once per build: one lane. At 10,000 initiatives (CPU s, the two lanes side
    by side): uMap 1.3, preview 1.0 (folium's import 0.3 of it), da_correggere 0.05 and their
    check 0.6; GIS 2.0 (pyogrio's import 0.15) and its check 0.6. The report goes to whichever
    lane is done first (:func:`_writers_for_either_lane`).
    """
    from mapgen.corrections import write_review
    from mapgen.writers.gis import write_gis
    from mapgen.writers.umap import write_umap

    first: list[tuple[str, Writer]] = [("uMap", write_umap)]
    if options.preview:
        from mapgen.writers.preview import write_preview

        first.append(("preview", write_preview))
    first.append(("da_correggere", write_review))
    return first, [("GIS", write_gis)]


def _writers_for_either_lane() -> list[tuple[str, Writer]]:
    """The writers a lane takes once done with its own and their check, the longest first: the
    report's two halves (0.6 and 0.3 CPU s at 10,000 initiatives; not checked: for staff). At
    10,000 the GIS lane is done first (2.6 s against 3.0), at 100,000 the other (22 s against 25):
    a fixed place was 0.4 s late at one size or 3 s at the other; in two halves, the lane done
    second takes the other half instead of waiting for the first."""
    from mapgen.writers.report import write_report_csv, write_report_html

    return [("report.html", write_report_html), ("report.csv", write_report_csv)]


def _check_inside(paths: Iterable[Path], folder: Path) -> list[Path]:
    """Return the paths relative to ``folder``; refuse any that escaped it."""
    root = folder.resolve()
    relative: list[Path] = []
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise OutputError(_("a writer tried to write {path} outside the output folder {folder}.",
                                path=path, folder=folder))
        relative.append(resolved.relative_to(root))
    return sorted(set(relative))


def _check_replaceable(target: Path) -> None:
    """Only an empty folder or one written by mapgen may be replaced."""
    if target.exists() and not target.is_dir():
        raise OutputError(_("{target} is a file, not a folder; choose another --out.", target=target))
    if target.is_dir() and any(target.iterdir()) and not (target / OUTPUT_MARKER).exists():
        raise OutputError(
            _("{target} already holds files that mapgen did not write; choose an empty or new folder "
              "with --out (mapgen replaces its output folder as a whole).", target=target)
        )


def check_output_folder(out_dir: Path, *, inputs: Iterable[Path] = ()) -> Path:
    """Refuse an output folder whose replacement would destroy more than earlier outputs.

    The folder is replaced as a whole, so it may not be the current, home or root
    folder (or hold one of them), nor hold an input file; an existing one must be
    empty or written by mapgen. Returns the resolved folder.

    Raises
    ------
    OutputError
        With the reason and the fix (choose another ``--out``).
    """
    target = out_dir.expanduser().resolve()
    for name, folder in _protected_folders():
        if folder.resolve().is_relative_to(target):
            raise OutputError(
                _("--out {out_dir} is {name} or holds it; mapgen replaces its output folder as a "
                  "whole. Give a folder of its own, such as --out output.", out_dir=out_dir, name=name)
            )
    for path in inputs:
        if path.expanduser().resolve().is_relative_to(target):
            raise OutputError(
                _("the input {path} is inside the output folder {out_dir}, which the build replaces as "
                  "a whole. Move the input elsewhere or choose another --out.", path=path, out_dir=out_dir)
            )
    _check_replaceable(target)
    return target


def _protected_folders() -> list[tuple[str, Path]]:
    folders = [("the current folder", Path.cwd())]
    with contextlib.suppress(RuntimeError, KeyError):  # no HOME and no passwd entry
        folders.append(("your home folder", Path.home()))
    return folders


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>[0-9]+)")


def _running(pid: int, *, windows: bool = os.name == "nt") -> bool:
    """True when process ``pid`` still exists (its leftovers may still be in use)."""
    if pid == os.getpid():
        return False
    if windows:
        import ctypes

        return _running_on_windows(pid, ctypes.windll.kernel32)  # type: ignore[attr-defined,unused-ignore]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def _running_on_windows(pid: int, kernel32: Any) -> bool:
    """Ask Windows whether ``pid`` runs: there ``os.kill(pid, 0)`` would terminate the process.

    ``OpenProcess`` fails with ERROR_INVALID_PARAMETER for a pid that does not exist and with
    ERROR_ACCESS_DENIED for another user's process (which runs); an exited process that someone
    still holds open reports an exit code other than STILL_ACTIVE.
    """
    import ctypes

    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return bool(kernel32.GetLastError() == _ERROR_ACCESS_DENIED)
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # cannot tell: keep its leftovers
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_ERROR_ACCESS_DENIED = 5
_STILL_ACTIVE = 259


def recover_interrupted(target: Path) -> list[Path]:
    """Clean up after builds that were killed: restore the outputs, remove staging folders.

    A build killed between its two renames leaves ``.NAME.old-PID`` and no ``NAME``:
    the previous outputs are moved back. Staging folders ``.NAME.tmp-PID`` and other
    ``.NAME.old-PID`` of processes that no longer run are removed. Only folders that
    hold mapgen's marker file are touched. Returns the leftovers handled.
    """
    found = sorted(
        (path for path in target.parent.glob(f".{glob.escape(target.name)}.*-*")
         if (m := _LEFTOVER.fullmatch(path.name)) and m["name"] == target.name and not _running(int(m["pid"]))
         and (path / OUTPUT_MARKER).is_file()),
        key=lambda path: path.name,
    )  # fmt: skip
    for path in found:
        restorable = ".old-" in path.name and path.is_dir() and not path.is_symlink()
        if restorable and not target.exists():
            log.warning("Restoring %s from %s, left by a build that was interrupted.", target, path.name)
            _rename(path, target)
        else:
            log.info("Removing %s, left by a build that was interrupted.", path.name)
            _remove(path)
    return found


def _remove(path: Path) -> None:
    """Remove a folder we made; a link is unlinked, never followed."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames on the same file system.

    A folder cannot be renamed over an existing one on Windows (nor, on POSIX, over a
    folder that is not empty), so the old one is first renamed aside. If the second
    rename fails, the old outputs are put back at once.
    """
    if not target.exists():
        _rename(staging, target)
        return
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    _remove(retired)
    _rename(target, retired)
    try:
        _rename(staging, target)
    except OSError:
        with contextlib.suppress(OSError):
            _rename(retired, target)
        raise
    _remove(retired)


#: Windows: access denied (5) or sharing violation (32) while a virus scanner or the search
#: indexer holds a file for a moment; a file open in Excel holds it until it is closed.
_BUSY_WINERRORS = frozenset({5, 32})


def _rename(source: Path, target: Path, *, attempts: int = 5, pause: float = 0.2) -> None:
    """``source.rename(target)``, tried again briefly while Windows says a file inside is busy."""
    import time

    for attempt in range(attempts):
        try:
            source.rename(target)
            return
        except PermissionError as exc:
            if getattr(exc, "winerror", None) not in _BUSY_WINERRORS or attempt == attempts - 1:
                raise
            time.sleep(pause * (attempt + 1))


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
    staging folder is removed and ``out_dir`` is left as it was. Leftovers of a
    build that was killed are cleaned up first (:func:`recover_interrupted`).
    """
    result = protect_contacts(result, options)  # second line of defence: see mapgen.contacts
    return _write_protected(result, out_dir, gazetteer=gazetteer, options=options, progress=progress)


def _write_protected(
    result: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions, progress: Progress
) -> list[Path]:
    """:func:`write_outputs` of a result :func:`protect_contacts` has already been through."""
    target = out_dir.expanduser().resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted(target)
        _check_replaceable(target)
        return _write_and_swap(result, target, gazetteer=gazetteer, options=options, progress=progress)
    except MapgenError:
        raise
    except OSError as exc:
        where = exc.filename or target
        raise OutputError(
            _("cannot write the outputs into {out_dir} ({reason}: {where}); the previous "
              "outputs are unchanged. {output_fix}",
              out_dir=out_dir, reason=exc.strerror or exc, where=where, output_fix=output_fix(exc))
        ) from exc


@dataclass
class _EitherLane:
    """The writers either lane may take, each once (:func:`_writers_for_either_lane`); ``taken``
    names those this process took (each process has its own copy of the list)."""

    writers: Sequence[tuple[str, Writer]]
    tickets: Tickets
    taken: list[str] = field(default_factory=list)


def _run_writers(writers: Sequence[tuple[str, Writer]], *, result: BuildResult, staging: Path, gazetteer: Gazetteer,
                 options: OutputOptions, progress: Progress, done: int, total: int,
                 either: _EitherLane | None = None) -> list[Path]:
    """Run ``writers`` into ``staging``, then each writer of ``either`` this lane takes; return
    their files once checked (inside it, no contact)."""

    def run(lane: Iterable[tuple[int, tuple[str, Writer]]]) -> list[Path]:
        written: list[Path] = []
        for step, (name, writer) in lane:
            progress(_("Writing: {file}", file=name), step, total)
            written += writer(result, staging, gazetteer=gazetteer, options=options)
        files = _check_inside(written, staging)
        check_public_files(staging, files, result, options)
        return files

    files = run(enumerate(writers, start=done))
    while either is not None and (ticket := either.tickets.take()) is not None:
        name, writer = either.writers[ticket]
        either.taken.append(name)
        files += run([(total - len(either.writers) + ticket, (name, writer))])
    return files


def _second_lane(run: Callable[..., list[Path]], writers: Sequence[tuple[str, Writer]], *, gazetteer: Gazetteer,
                 started_in: int, done: int) -> list[Path]:
    """The second lane of writers; in a process of its own, which ends with it, pyogrio comes
    without the DataFrame libraries (:func:`~mapgen.writers.gis.import_pyogrio_alone`), which
    reading the boundaries does not need either (:meth:`~mapgen.gazetteer.Gazetteer.shapes`).
    """
    if os.getpid() != started_in:
        from mapgen.writers.gis import import_pyogrio_alone

        import_pyogrio_alone()
    return run(writers, progress=_no_progress, done=done)


def _write_and_swap(
    result: BuildResult, target: Path, *, gazetteer: Gazetteer, options: OutputOptions, progress: Progress
) -> list[Path]:
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    _remove(staging)
    staging.mkdir()
    try:
        # Marked from the start: a later build may then clean it up if this one is killed.
        (staging / OUTPUT_MARKER).write_text("Folder written by mapgen build; replaced as a whole.\n")
        here, there = _lanes_of_writers(options)
        either_writers = _writers_for_either_lane()
        either = _EitherLane(either_writers, Tickets(len(either_writers)))
        total = len(here) + len(there) + len(either_writers)
        run = functools.partial(_run_writers, result=result, staging=staging, gazetteer=gazetteer, options=options,
                                total=total, either=either)

        def waiting() -> None:
            # The second lane may run in another process, whose progress cannot reach this terminal:
            # its step is said when this lane waits for it.
            names = [name for name, _w in [*there, *either_writers] if name not in either.taken]
            progress(_("Writing: {file}", file=", ".join(names)), len(here) + len(either.taken), total)

        second = functools.partial(_second_lane, run, there, gazetteer=gazetteer, started_in=os.getpid(),
                                   done=len(here))
        ours, theirs = run_beside(functools.partial(run, here, progress=progress, done=0), second, waiting=waiting)
        files = sorted([*ours, *theirs])
        _swap_into_place(staging, target)
    except BaseException:
        _remove(staging)
        raise
    return files


# --- reading and geocoding -----------------------------------------------------------


def _load_config(request: BuildRequest) -> Config:
    from mapgen.config import Config, load_config

    return load_config(request.config) if request.config is not None else Config()


def _options(request: BuildRequest, config: Config) -> OutputOptions:
    return request.options if request.options is not None else config.output


def _geocode_places(records: Sequence[Initiative], geocoder: Geocoder, progress: Progress) -> list[Match]:
    """Geocode the records' places (each distinct place once); progress follows the online pass."""
    places = [r.place for r in records]
    total = geocoder.count_online(places)

    def online_progress(done: int, of: int) -> None:
        progress(_("Online geocoding (1 request/s)"), done, of)

    if total:
        progress(_("Online geocoding (1 request/s)"), 0, total)
    return geocoder.geocode_many(places, progress=online_progress)


def _make_geocoder(request: BuildRequest, gazetteer: Gazetteer) -> Geocoder:
    from mapgen.geocoders import Geocoder

    if request.online:
        return Geocoder(gazetteer, online=True, user_agent=request.user_agent)
    return Geocoder(gazetteer)


def _read_survey(request: BuildRequest, config: Config) -> SurveyRead:
    from mapgen.readers.survey import read_survey

    assert request.survey is not None
    return read_survey(
        request.survey, config=config, sheet=request.sheet, include_incomplete=request.include_incomplete,
        all_complete=request.all_complete,
    )


def _point_duplicates(outcomes: Sequence[RowOutcome], duplicate_of: Mapping[str, str],
                      published: Mapping[str, str]) -> list[RowOutcome]:
    """Give the survey's duplicates the id of the initiative their kept twin became."""
    return [
        replace(o, initiative_id=published.get(duplicate_of.get(o.record_id, ""), ""))
        if o.outcome is Outcome.DUPLICATE and not o.initiative_id else o
        for o in outcomes
    ]


def _read_previous(path: Path, request: BuildRequest, config: Config) -> PreviousEdition:
    from mapgen.readers.previous_map import read_previous

    return read_previous(path, mapping=config.previous, initiative_layers=request.initiative_layers)


@dataclass
class _Read:
    """Every input read once and geocoded: the records to merge, the others' outcomes, the report's lines."""

    geocoded: list[Geocoded] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    included: dict[str, str] = field(default_factory=dict)  # put back by a person (includi): id -> kept twin
    duplicate_of: Mapping[str, str] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    inputs: list[Message] = field(default_factory=list)  # rendered in Italian in the report
    expected: int = 0  # records read, counted by each reader, to check that nothing was lost
    rows_read: int = 0  # non-blank rows of the survey file, counted from the file, not from outcomes
    contacts: set[str] = field(default_factory=set)
    carried: list[CarriedLayer] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    previous_map: Mapping[str, Any] | None = None


def _survey_in(read: _Read, survey: SurveyRead, corrections: Corrections | None, geocoder: Geocoder,
               progress: Progress) -> None:
    """Geocode the survey's records, with those a person put back (``includi``) among them."""
    back, read.included = put_back(corrections, [*survey.incomplete, *survey.dropped], survey.duplicate_of,
                                   placeable=survey.no_comune)
    records = [*survey.initiatives, *back]
    matches = _geocode_places(records, geocoder, progress)
    # A lead Comune's practice of its association gets the association's members.
    matches = [geocoder.associate(m, r.denominazione_ente) if r.denominazione_ente else m
               for r, m in zip(records, matches, strict=True)]
    read.geocoded += [Geocoded(r, m) for r, m in zip(records, matches, strict=True)]
    read.outcomes += survey.outcomes
    read.duplicate_of = survey.duplicate_of
    read.notices += _reader_notices(survey)
    read.expected += len(survey.initiatives) + len(survey.outcomes)
    read.rows_read = survey.responses
    read.contacts |= survey.contacts
    read.inputs.append(_l("{format} — {summary}", format=survey.format, summary=survey.summary()))
    read.inputs += [_l("Warning: {alert}.", alert=alert) for alert in survey.alerts]  # CLI summary and report


def _survey_part(request: BuildRequest, config: Config, geocoder: Geocoder,
                 places: Handout[Place]) -> SurveyRead | None:
    """Read the survey, if there is one, and find its places' offline answers: its places are
    handed out, and the other process takes a share once done with the previous maps."""
    survey = _read_survey(request, config) if request.survey is not None else None
    places.offer(list(dict.fromkeys(r.place for r in survey.initiatives)) if survey is not None else [])
    if places.beside:
        # The boundaries the other process sends back are shapely's. Imported now (0.08 s), while
        # the other process takes more places to geocode; imported when they arrive, it would
        # hold up a step that has the second core idle.
        import shapely  # noqa: F401
    for chunk in places.chunks():
        geocoder.answer_offline(chunk)
    return survey


#: Places a process geocodes at a time (about 7 ms of work at 10,000 initiatives).
_PLACES_A_CHUNK = 32


@dataclass(frozen=True)
class _PlacedEdition:
    """A previous map read, its features placed and its contact values found (in either process)."""

    edition: PreviousEdition
    matches: list[Match]
    contacts: set[str]


def _place_previous(edition: PreviousEdition, gazetteer: Gazetteer,
                    resolve: Callable[[Place], Match]) -> _PlacedEdition:
    """Place a previous map's features in their Comuni (point in polygon); find its contact values."""
    from mapgen.geocoders.point_in_polygon import assign_comuni

    edition.check_counts()
    return _PlacedEdition(edition, assign_comuni(edition.initiatives, gazetteer, resolve_name=resolve),
                          _previous_contacts(edition))


def _previous_part(request: BuildRequest, config: Config, gazetteer: Gazetteer, resolve: Callable[[Place], Match],
                   places: tuple[Geocoder, Handout[Place]], *, shapes: bool = False
                   ) -> tuple[Ahead[tuple[list[_PlacedEdition], BoundaryShapes | None]], dict[Place, Match]]:
    """The previous maps read and placed; with ``shapes``, the boundaries the writers draw, read
    here too: in the other process, the writers of this one then never import geopandas. Then
    the offline answers of the survey's places this process took (:func:`_survey_part`), with
    the maps pickled first, while the survey's side still geocodes (:class:`~mapgen._beside.Ahead`)."""
    geocoder, handout = places
    read = [_read_previous(path, request, config) for path in request.previous]  # a GeoPackage's with geopandas
    if handout.beside:  # a process that ends with the reading: the boundaries without pandas (0.5 s)
        from mapgen.writers.gis import import_pyogrio_alone

        import_pyogrio_alone()
    editions = [_place_previous(edition, gazetteer, resolve) for edition in read]
    done = Ahead((editions, gazetteer.read_shapes() if shapes else None), beside=handout.beside)
    answers: dict[Place, Match] = {}
    for chunk in handout.chunks_beside():
        answers.update(geocoder.answer_offline(chunk))
    return done, answers


def _previous_in(read: _Read, placed: _PlacedEdition) -> None:
    """Add a placed previous map's features; keep its carried layers and notes."""
    edition = placed.edition
    read.expected += edition.features
    read.geocoded += [Geocoded(r, m) for r, m in zip(edition.initiatives, placed.matches, strict=True)]
    read.outcomes += [*edition.problems, *_carried_outcomes(edition)]
    read.carried += edition.carried
    read.contacts |= placed.contacts
    for note in edition.notes:
        read.notes.setdefault(note.record_id, []).append(note.reason)
    read.previous_map = read.previous_map or edition.map_properties
    read.inputs += [edition.describe(), *(_l("  {layer}", layer=layer.describe()) for layer in edition.layers)]


def run_pipeline(
    request: BuildRequest,
    *,
    gazetteer: Gazetteer | None = None,
    config: Config | None = None,
    progress: Progress = _no_progress,
    compare_previous: bool = True,
    read_shapes: bool = False,
) -> BuildResult:
    """Read every input, geocode, apply a person's corrections, merge the editions; nothing is written.

    With ``compare_previous``, the decisions the previous build of ``request.out_dir`` applied
    (its ``correzioni_applicate.csv``) and the corrections file lacks are named as notices and
    come back in ``da_correggere.csv``. With ``read_shapes``, the gazetteer's boundaries the
    writers draw are read beside the survey (:meth:`~mapgen.gazetteer.Gazetteer.read_shapes`).

    Each input is read once and the merge runs once: the records a person puts back
    (``includi``) were kept by the reader, and the merge answers for the ``unisci``/
    ``separa`` lines too. Every survey record and every previous-map feature ends up
    in exactly one :class:`~mapgen.model.RowOutcome` of the result.
    """
    return _run_pipeline(request, gazetteer=gazetteer, config=config, progress=progress,
                         compare_previous=compare_previous, read_shapes=read_shapes)[0]


def _run_pipeline(
    request: BuildRequest,
    *,
    gazetteer: Gazetteer | None = None,
    config: Config | None = None,
    progress: Progress = _no_progress,
    compare_previous: bool = True,
    read_shapes: bool = False,
) -> tuple[BuildResult, ContactScan]:
    """:func:`run_pipeline`, with the records' contact scan :func:`protect_contacts` then uses."""
    if request.survey is None and not request.previous:
        raise InputError(_("nothing to build: give a survey export and/or --previous files."))
    gazetteer = gazetteer or load_gazetteer()
    config = config or _load_config(request)
    corrections = _read_corrections(request, config, gazetteer)  # first: a contradiction stops all work
    geocoder = _make_geocoder(request, gazetteer)
    # Member Comuni and previous features repeat names: resolve each distinct place once.
    resolve = _PlaceCache(geocoder.geocode)
    read = _Read()
    # The previous maps are read and placed beside the survey (another process where it can fork).
    beside = request.survey is not None and bool(request.previous or read_shapes) and _beside.can_fork()
    places: Handout[Place] = Handout(beside=beside, chunk=_PLACES_A_CHUNK)
    try:
        survey, (previous, answers) = run_beside(
            functools.partial(_survey_part, request, config, geocoder, places),
            functools.partial(_previous_part, request, config, gazetteer, resolve, (geocoder, places),
                              shapes=read_shapes),
            fork=beside,
        )
    finally:
        places.close()
    geocoder.learn(answers)
    if survey is not None:
        _survey_in(read, survey, corrections, geocoder, progress)
    editions, shapes = previous.value()
    if shapes is not None:
        shapes.adopt()
    for placed in editions:
        _previous_in(read, placed)
    review = apply_corrections(corrections or Corrections(file=""), [(g.record, g.match) for g in read.geocoded],
                               read.outcomes, included=read.included)
    pairs = [Geocoded(r, m) for r, m in review.pairs]
    contacts = frozenset(read.contacts)
    # The clustering here; beside it (another process where it can fork) the association members
    # the publishing will resolve; then each side takes parts of the records' contact scan.
    shared_scan = _SharedScan(contacts, [p.record for p in pairs], read.carried)
    beside = len(pairs) >= _FORK_MERGE_FROM and _beside.can_fork()
    (clustered, scanned_here), (members, scanned_there) = run_beside(
        functools.partial(_cluster_and_scan, pairs, gazetteer, review, shared_scan),
        functools.partial(_members_ahead, pairs, gazetteer, resolve, shared_scan, beside=beside),
        fork=beside,
    )
    scan = shared_scan.joined([*scanned_here, *scanned_there])
    resolve.update(members.value())
    merged = publish_practices(clustered, gazetteer=gazetteer, resolve_member=resolve, taught=review.taught)
    settle_pairs(review, merged.by_titles)  # a join or split the titles make by themselves is reported
    lost, back = _lost_decisions(request.out_dir, corrections) if compare_previous else ([], [])
    review.notices += lost
    if corrections is not None:  # counted once settled, as correzioni_applicate.csv and the notices are
        read.inputs.append(review.summary())
    rows = (*(corrections.rows if corrections is not None else ()), *map(tuple, back))
    return _result(read, review, merged, rows), scan


#: Fewer records than this are merged in one process: a fork would cost more than it saves.
_FORK_MERGE_FROM = 1_000


class _PlaceCache:
    """Each distinct place geocoded once; answers found elsewhere can be added (:meth:`update`)."""

    def __init__(self, geocode: Callable[[Place], Match]) -> None:
        self._geocode = geocode
        self.answers: dict[Place, Match] = {}

    def __call__(self, place: Place) -> Match:
        match = self.answers.get(place)
        if match is None:
            match = self.answers[place] = self._geocode(place)
        return match

    def update(self, answers: Mapping[Place, Match]) -> None:
        self.answers.update(answers)


def _cluster_and_scan(pairs: list[Geocoded], gazetteer: Gazetteer, review: Review, scan: _SharedScan
                      ) -> tuple[Clustered, list[ScanPart]]:
    """The merge's clustering, then the parts of the records' contact scan still left."""
    clustered = cluster_editions(pairs, gazetteer=gazetteer, practice_keys=review.keys,
                                 title_rules_for=review.pair_records())
    return clustered, scan.take_parts()


def _members_ahead(
    pairs: list[Geocoded], gazetteer: Gazetteer, resolve: Callable[[Place], Match], scan: _SharedScan,
    *, beside: bool = False,
) -> tuple[Ahead[dict[Place, Match]], list[ScanPart]]:
    """The member Comuni the publishing will resolve, resolved (pickled at once where ``beside``:
    :class:`~mapgen._beside.Ahead`); then the parts of the records' contact scan still left."""
    asked = _PlaceCache(resolve)  # in front of the cache: what is asked is what goes back
    resolve_members_ahead(pairs, gazetteer=gazetteer, resolve=asked)
    return Ahead(asked.answers, beside=beside), scan.take_parts()


class _SharedScan:
    """The records' contact scan (:func:`~mapgen.contacts.scan_for_contacts`, the carried layers'
    included) in parts of 256 records, each taken by whichever side of the merge is free first:
    at 100,000 initiatives the clustering takes as long as the members, and the scan 3 s more."""

    PART = 256

    def __init__(self, contacts: frozenset[str], records: list[Initiative], carried: list[CarriedLayer]) -> None:
        self.contacts, self.records, self.carried = contacts, records, carried
        self._tickets = Tickets(len(records) // self.PART + 1)  # the last part holds the layers

    def take_parts(self) -> list[ScanPart]:
        """Scan the parts not taken yet, one at a time: the other side takes the rest meanwhile."""
        parts = []
        while (number := self._tickets.take()) is not None:
            span = (number * self.PART, (number + 1) * self.PART)
            parts.append(scan_part(self.contacts, self.records, self.carried, [span]))
        return parts

    def joined(self, parts: Sequence[ScanPart]) -> ContactScan:
        return joined_scan(self.contacts, self.records, self.carried, parts)


def _lost_decisions(out_dir: Path, corrections: Corrections | None) -> tuple[list[Notice], list[list[str]]]:
    """The previous build's decisions the corrections file lacks; only in a folder mapgen wrote."""
    if not (out_dir / OUTPUT_MARKER).is_file():
        return [], []
    return lost_decisions(out_dir / APPLIED_NAME, corrections)


def _result(read: _Read, review: Review, merged: MergeResult, rows: tuple[tuple[str, ...], ...]) -> BuildResult:
    """Every outcome in input order, checked against the records read; nothing may be lost."""
    published = {o.record_id: o.initiative_id for o in merged.outcomes if o.initiative_id}
    others = _point_duplicates(review.outcomes, read.duplicate_of, published)
    outcomes = _in_input_order([*(_with_notes(o, read.notes) for o in merged.outcomes), *others])
    if len(outcomes) != read.expected:  # a bug, never the user's fault: refuse to publish a lossy map
        raise MapgenError(_("internal error: {expected} records read but {outcomes} accounted for; "
                            "please report this with the input files.",
                            expected=read.expected, outcomes=len(outcomes)))
    check_rows_accounted(read.rows_read, outcomes)
    return BuildResult(
        initiatives=merged.initiatives, outcomes=tuple(outcomes), diff=merged.diff,
        editions=tuple(sorted({e for i in merged.initiatives for e in i.edizioni})),
        carried_layers=tuple(read.carried), previous_map=read.previous_map, inputs=tuple(read.inputs),
        contacts=frozenset(read.contacts),
        notices=(*read.notices, *review.notices), corrections=tuple(review.applied),
        corrections_rows=rows,
    )


def _previous_contacts(edition: PreviousEdition) -> set[str]:
    """The contacts a previous map holds: its records' contact fields, its layers' contact properties."""
    found = {value for r in edition.initiatives for value in (r.referente, r.email, r.telefono) if value}
    for record in edition.initiatives:  # other names (email_referente, Recapito), lists, objects
        found |= set(contact_values_of(record.properties))
    for layer in edition.carried:
        for feature in layer.geojson.get("features") or []:
            props = feature.get("properties") if isinstance(feature, Mapping) else None
            found |= set(contact_values_of(props)) if isinstance(props, Mapping) else set()
    return found


def check_rows_accounted(rows_read: int, outcomes: Sequence[RowOutcome]) -> None:
    """Refuse a build in which a survey row read from the file has no outcome.

    Counting outcomes against outcomes cannot notice a row a reader skipped (issue 20: a
    repeated response id dropped its row and the totals still said "ok"), so the survey's
    non-blank rows, counted on the file, are compared with the rows the outcomes name.

    Raises
    ------
    MapgenError
        A bug, never the user's fault: the map would silently lose a response.
    """
    accounted = {o.source.row for o in outcomes if o.source.source == Source.SURVEY}
    if len(accounted) != rows_read:
        raise MapgenError(
            _("internal error: the survey has {rows_read} rows with data but {accounted} of them have "
              "an outcome in the report; please report this with the input files.",
              rows_read=rows_read, accounted=len(accounted))
        )


# --- a person's corrections ------------------------------------------------------------


def _reader_notices(survey: SurveyRead) -> list[Notice]:
    """Every problem the survey reader raised, for the report (row, column, value, fix)."""
    return list(survey.problems)


def corrections_path(request: BuildRequest, config: Config) -> Path | None:
    """The corrections file: ``--corrections``, else the config's ``corrections`` (relative to it)."""
    if request.corrections is not None:
        return request.corrections
    return config.corrections


def _read_corrections(request: BuildRequest, config: Config, gazetteer: Gazetteer) -> Corrections | None:
    path = corrections_path(request, config)
    return read_corrections(path, gazetteer=gazetteer) if path is not None else None


def review_places(request: BuildRequest, *, gazetteer: Gazetteer | None = None) -> BuildResult:
    """The survey geocoded offline with the corrections applied, for ``mapgen validate``.

    The previous maps are left out and nothing is written: this only says which
    records would need a person (:func:`mapgen.corrections.review_lines`).
    """
    return run_pipeline(replace(request, previous=(), online=False), gazetteer=gazetteer, compare_previous=False)


def _with_notes(outcome: RowOutcome, notes: Mapping[str, list[str]]) -> RowOutcome:
    """Add the reader's repairs and the geocoder's doubts (e.g. a point in another Comune) to the reason."""
    extra = [*notes.get(outcome.record_id, [])]
    if outcome.match is not None and outcome.match.hint and outcome.match.status.resolved:
        extra.append(outcome.match.hint)
    if not extra:
        return outcome
    return replace(outcome, reason=" ".join([outcome.reason, *extra]).strip())


def _carried_outcomes(edition: Any) -> list[RowOutcome]:
    """One CARRIED outcome per feature of a layer kept unchanged, so the report lists every feature."""
    outcomes: list[RowOutcome] = []
    for layer in edition.carried:
        for index, feature in enumerate(layer.geojson.get("features") or []):
            found = feature.get("properties") if isinstance(feature, Mapping) else None
            props = found if isinstance(found, Mapping) else {}
            feature_id = str(feature.get("id", index)) if isinstance(feature, Mapping) else str(index)
            outcomes.append(RowOutcome(
                source=SourceRef(Source.PREVIOUS, edition.file, layer=layer.name, feature=feature_id),
                record_id=f"{edition.edition}-{slugify(layer.name)}-{feature_id}",
                typed=Place(comune=str(props.get("comune") or "")),
                outcome=Outcome.CARRIED,
                titolo=str(props.get("name") or ""),
                reason=f"Livello «{layer.name}» riportato senza modifiche nella mappa.",
            ))
    return outcomes


def _in_input_order(outcomes: Sequence[RowOutcome]) -> list[RowOutcome]:
    """Survey rows first (by row, practice), then each previous file's features as read."""
    files = list(dict.fromkeys(o.source.file for o in outcomes))

    def key(o: RowOutcome) -> tuple[int, int, int, int]:
        survey_first = 0 if o.source.source == "survey" else 1
        return (survey_first, files.index(o.source.file), o.source.row or 0, o.source.group or 0)

    return sorted(outcomes, key=key)  # stable: features keep their reading order


def _inputs(request: BuildRequest) -> list[Path]:
    return [p for p in (request.survey, *request.previous, request.config, request.corrections) if p is not None]


def build(request: BuildRequest, *, progress: Progress = _no_progress) -> BuildSummary:
    """Run the pipeline and write every output into ``request.out_dir`` (replaced atomically)."""
    check_output_folder(request.out_dir, inputs=_inputs(request))
    gazetteer = load_gazetteer()
    config = _load_config(request)
    if request.corrections is None and config.corrections is not None:  # the config's: may not be in --out
        check_output_folder(request.out_dir, inputs=[config.corrections])
    result, scan = _run_pipeline(request, gazetteer=gazetteer, config=config, progress=progress, read_shapes=True)
    options = replace(_options(request, config), preview=request.preview)
    result = protect_contacts(result, options, scan)  # the totals printed then name the records changed
    files = _write_protected(result, request.out_dir, gazetteer=gazetteer, options=options, progress=progress)
    return BuildSummary(result=result, out_dir=request.out_dir, files=tuple(files), options=options)
