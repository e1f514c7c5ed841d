"""Read a spreadsheet (CSV in any of the encodings Excel writes, or XLSX) into text cells.

This is the raw layer under :mod:`mapgen.survey` and ``mapgen geocode``: every
cell comes back as a string exactly as stored (no type or NA guessing, so the
Comune "None" stays "None"), with the detected format reported.

(First version; hardened by the survey-reader issue.)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from mapgen.errors import UnreadableFileError

__all__ = ["Table", "read_table"]


@dataclass(frozen=True)
class Table:
    """A sheet of text cells. ``rows[i]`` is spreadsheet row ``i + 2`` (row 1 is the header)."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line saying what was detected, e.g. ``CSV, cp1252, ';', 120 rows``."""
        if self.format == "xlsx":
            return f"XLSX, sheet {self.sheet!r}, {len(self.rows)} rows"
        return f"CSV, {self.encoding}, {self.delimiter!r}, {len(self.rows)} rows"


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError(f"{path.name} is empty.")
    text, encoding = _decode(data, path)
    try:
        dialect = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, *rows = records
    return Table(path, [h.strip() for h in header], rows, "csv", encoding, delimiter)


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    values = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    book.close()
    if not values:
        raise UnreadableFileError(f"{path.name}: sheet {ws.title!r} is empty.")
    header, *rows = values
    return Table(path, [h.strip() for h in header], rows, "xlsx", sheet=ws.title)


def read_table(path: Path | str, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file into a :class:`Table` of text cells."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFileError(f"{path} does not exist.")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        return _read_xlsx(path, sheet)
    return _read_csv(path)
