"""Geocode a whole table (CSV/XLSX) and write it back with the result columns.

This is the library side of ``mapgen geocode``: every input row and column is
kept as read, and the columns of :data:`RESULT_COLUMNS` are appended. Distinct
places are resolved once (survey tables repeat the same Comune many times).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mapgen._csv import write_excel_csv
from mapgen.errors import InputError, OutputError, output_fix
from mapgen.i18n import _
from mapgen.model import Match, MatchStatus, Place
from mapgen.readers.table import Table, read_table
from mapgen.text import fold

if TYPE_CHECKING:
    from mapgen.geocoders.chain import Geocoder

__all__ = ["RESULT_COLUMNS", "GeocodedTable", "geocode_file", "geocode_table"]

log = logging.getLogger(__name__)

#: The columns ``mapgen geocode`` appends to every row.
RESULT_COLUMNS: Final = (
    "istat_code",
    "comune_ufficiale",
    "sigla",
    "regione",
    "lat",
    "lon",
    "match_status",
    "match_score",
    "candidates",
    "hint",
)


# Below this similarity (rapidfuzz WRatio) no header is offered as the one meant.
_CLOSEST_CUTOFF: Final = 60


@dataclass(frozen=True)
class GeocodedTable:
    """A table with one :class:`~mapgen.model.Match` per row.

    ``replaced`` names result columns the input already had (from an earlier
    run): they are dropped and written anew. ``warnings`` are the reader's
    remarks on the file (a repeated header, cells past the last column).
    """

    name: str
    detected: str
    columns: list[str]
    rows: list[list[str]]
    matches: list[Match]
    replaced: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def counts(self) -> dict[MatchStatus, int]:
        """Rows per status, in :class:`~mapgen.model.MatchStatus` order, zeros left out."""
        found = Counter(m.status for m in self.matches)
        return {s: found[s] for s in MatchStatus if found[s]}

    def write_csv(self, path: Path, *, delimiter: str = ",") -> Path:
        """Write the table and its result columns as UTF-8 CSV (with a BOM, for Excel).

        Cells that a spreadsheet would run as formulas are neutralised and the file is
        replaced only once complete (:func:`mapgen._csv.write_excel_csv`).
        """
        keep = [i for i, c in enumerate(self.columns) if c not in self.replaced]
        header = [self.columns[i] for i in keep] + list(RESULT_COLUMNS)
        rows = ([row[i] for i in keep] + result_cells(match)
                for row, match in zip(self.rows, self.matches, strict=True))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_excel_csv(path, header, rows, delimiter=delimiter)
        except OSError as exc:
            raise OutputError(_("cannot write {path}: {reason}. {output_fix}",
                                path=path, reason=exc.strerror or exc, output_fix=output_fix(exc))) from exc
        return path


def result_cells(match: Match) -> list[str]:
    """The values of :data:`RESULT_COLUMNS` for one match."""

    def coord(value: float | None) -> str:
        return "" if value is None else f"{value:.6f}"

    candidates = "; ".join(f"{c.name} ({c.sigla}) {c.istat_code}" for c in match.candidates)
    return [
        match.istat_code or "",
        match.name or "",
        match.sigla or "",
        match.region or "",
        coord(match.lat),
        coord(match.lon),
        match.status.value,
        f"{match.score:.1f}",
        candidates,
        match.hint,
    ]


def geocode_table(
    table: Table,
    *,
    comune_col: str,
    provincia_col: str | None = None,
    regione_col: str | None = None,
    geocoder: Geocoder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GeocodedTable:
    """Resolve the place of every row of ``table``.

    Parameters
    ----------
    table
        Rows read by :func:`mapgen.readers.table.read_table`.
    comune_col, provincia_col, regione_col
        Header names of the columns holding the Comune and, optionally, its
        province and region.
    geocoder
        The geocoder to use (default: the offline chain on the shipped gazetteer).
    progress
        Called as ``progress(done, total)`` during online lookups.

    Raises
    ------
    InputError
        When a column is missing; the message lists the columns present and the closest.
    """
    from mapgen.geocoders.chain import Geocoder

    wanted = {
        "--comune-col": comune_col,
        "--provincia-col": provincia_col,
        "--regione-col": regione_col,
    }
    index = _column_indexes(table, {k: v for k, v in wanted.items() if v})
    places = [_place(row, index) for row in table.rows]
    matches = (geocoder or Geocoder()).geocode_many(places, progress=progress)
    replaced = tuple(c for c in table.columns if c in RESULT_COLUMNS)
    return GeocodedTable(
        table.name,
        str(table.describe()),
        table.columns,
        table.rows,
        matches,
        replaced,
        tuple(table.warnings),
    )


def geocode_file(
    path: Path,
    out: Path,
    *,
    comune_col: str,
    provincia_col: str | None = None,
    regione_col: str | None = None,
    sheet: str | None = None,
    geocoder: Geocoder | None = None,
    progress: Callable[[int, int], None] | None = None,
    sep: str | None = None,
) -> GeocodedTable:
    """Read a CSV/XLSX file, geocode every row, write ``out`` (CSV); see :func:`geocode_table`.

    ``sep`` is the output's separator; by default the input's (``;`` stays ``;``, so
    an Italian Excel opens it in columns), ``,`` for an XLSX input.
    """
    if out.resolve() == path.resolve():
        raise OutputError(_("--out {out} is the input file; write the result to another file.", out=out))
    if sep is not None and len(sep) != 1:
        raise OutputError(_("--sep {sep} is not one character; use for example --sep ';' or --sep ','.",
                            sep=repr(sep)))
    table = read_table(path, sheet=sheet)
    result = geocode_table(
        table,
        comune_col=comune_col,
        provincia_col=provincia_col,
        regione_col=regione_col,
        geocoder=geocoder,
        progress=progress,
    )
    result.write_csv(out, delimiter=sep or (table.delimiter if table.format == "csv" else "") or ",")
    return result


def _place(row: Sequence[str], index: dict[str, int]) -> Place:
    def cell(option: str) -> str:
        return row[index[option]] if option in index else ""

    return Place(cell("--comune-col"), cell("--provincia-col"), cell("--regione-col"))


def _column_indexes(table: Table, wanted: dict[str, str]) -> dict[str, int]:
    """Header position of each wanted column; every missing one reported together."""
    found: dict[str, int] = {}
    problems: list[str] = []
    for option, name in wanted.items():
        position = _find_column(table.columns, name)
        if position is None:
            problems.append(_missing_column(table, option, name))
        else:
            found[option] = position
    if problems:
        raise InputError(" ".join(problems))
    return found


def _find_column(columns: list[str], name: str) -> int | None:
    """Exact header first, then the one header equal up to case, accents and spacing."""
    if name in columns:
        return columns.index(name)
    loose = [i for i, c in enumerate(columns) if fold(c) == fold(name)]
    return loose[0] if len(loose) == 1 else None


def _missing_column(table: Table, option: str, name: str) -> str:
    from rapidfuzz import process

    present = ", ".join(repr(c) for c in table.columns) or "none"
    choices = {i: fold(c) for i, c in enumerate(table.columns)}
    best = process.extractOne(fold(name), choices, score_cutoff=_CLOSEST_CUTOFF)
    closest = f" Closest: {table.columns[best[2]]!r}; use {option} {table.columns[best[2]]!r}." if best else ""
    return f"{table.path.name} has no column {name!r} ({option}). Columns present: {present}.{closest}"
