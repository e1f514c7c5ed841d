"""CSV files that Excel opens safely: UTF-8 with BOM, formulas neutralised; spreadsheet column letters.

Shared by the GIS writer (``initiatives.csv``), the report (``report.csv``) and
``mapgen geocode``: every CSV mapgen writes goes through :func:`write_excel_csv`. The
survey reader (where a cell is) and the workbook writer (cell references) share
:func:`column_letter`.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["column_letter", "excel_safe", "write_excel_csv"]

# A cell starting with one of these is run as a formula by Excel, LibreOffice and
# Google Sheets (OWASP "CSV injection"); tab and CR are in the list because
# spreadsheets strip them before looking at the first character.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIRST = frozenset(_FORMULA_START)
# A plain number such as "-12.5" is data, not a formula: left as it is.
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def excel_safe(text: str) -> str:
    """Return ``text`` made inert for spreadsheets: a leading ``'`` before ``= + - @`` tab, CR.

    Plain numbers (``-12.5``) are left alone: spreadsheets read them as numbers.

    Examples
    --------
    >>> excel_safe('=HYPERLINK("http://evil")')
    '\\'=HYPERLINK("http://evil")'
    >>> excel_safe("Roma")
    'Roma'
    """
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_excel_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str = ","
) -> Path:
    """Write a CSV file with a UTF-8 BOM, every cell passed through :func:`excel_safe`.

    Parameters
    ----------
    path
        The file to write; replaced only once the new one is complete.
    header
        Column names, written as the first row.
    rows
        Cells already formatted as text, one sequence per row, in the order to write.
    delimiter
        ``","`` for data files read by programs; ``";"`` for files people double-click
        in an Italian-locale Excel, which splits columns only on its list separator ``;``.
    """
    # Written beside, then renamed: a full disk or a kill never leaves a truncated file in
    # place of a good one (issue 20: `mapgen geocode` on a full disk).
    partial = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        # utf-8-sig writes the BOM that makes Excel read the file as UTF-8 (accents, €).
        with partial.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow([excel_safe(cell) for cell in header])
            # The first-character test inline: one call per risky cell, not per cell (millions).
            writer.writerows([excel_safe(cell) if cell[:1] in _FIRST else cell for cell in row] for row in rows)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 -> ``A``, 27 -> ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
