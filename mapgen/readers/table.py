"""Read a spreadsheet (CSV in any of the encodings Excel writes, or XLSX) into text cells.

This is the raw layer under :mod:`mapgen.readers.survey` and ``mapgen geocode``: every
cell comes back as a string exactly as stored (no type or NA guessing, so the
Comune "None" stays "None"), and the table says which format, encoding and
separator were detected.

What arrives in practice:

* CSV as LimeSurvey writes it: ``,``, UTF-8, quoted cells with line breaks inside;
* CSV as Excel re-saves it in Italy: ``;``, Windows-1252 (or UTF-8 with BOM),
  sometimes with a ``sep=;`` first line; "Unicode text": UTF-16 with tabs;
* XLSX: the first sheet unless another is named; dates and numbers as Excel
  stores them, written back as ISO dates and plain numbers.

Anything else (an empty file, a PDF, an old ``.xls``, a truncated workbook, a
web page saved by mistake) raises :class:`~mapgen.errors.UnreadableFileError`
with one line that says what the file is and what to do.
"""

from __future__ import annotations

import csv
import errno
import html
import io
import logging
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Final

from mapgen._csv import column_letter
from mapgen.errors import InputError, UnreadableFileError
from mapgen.i18n import Message, _, _l, _lp
from mapgen.text import fold

__all__ = ["ExcelNumber", "Limits", "Table", "TableIssue", "column_letter", "read_table"]

log = logging.getLogger(__name__)

#: Separators tried, in order of preference when two fit equally well.
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES: dict[str, Message] = {"\t": _l("tab")}
#: How much of a CSV is used to choose the separator.
_SNIFF_CHARS = 64_000
_SNIFF_RECORDS = 50
# Long descriptions can exceed the csv module's default 128 KiB field limit.
_FIELD_LIMIT = 2**31 - 1

#: First bytes of files that are certainly not a spreadsheet we read, and what they are.
_OLD_OFFICE: Final = b"\xd0\xcf\x11\xe0"
_MAGIC = (
    (b"%PDF", _l("a PDF document")),
    (b"\xd0\xcf\x11\xe0", _l("an old Excel .xls workbook (or another Office 97 file)")),
    (b"\x1f\x8b", _l("a gzip archive")),
    (b"\x89PNG", _l("a PNG image")),
    (b"\xff\xd8\xff", _l("a JPEG image")),
    (b"Rar!", _l("a RAR archive")),
    (b"7z\xbc\xaf", _l("a 7-Zip archive")),
)
#: A uMap backup (``"type": "umap"``) or a GeoJSON layer, found in the first 64 KB of a JSON file.
_MAP_TYPE = re.compile(rb'"type"\s*:\s*"(?P<type>umap|FeatureCollection|Feature)"')
#: A mapping file's first section (``[survey]``, ``[survey.columns]``, ``[output]``...).
_MAPPING_START = re.compile(rb"(?:#[^\n]*\n\s*)*\[(?:survey|output|previous)[.\]]")
_EXPORT_AGAIN = _l("Export the responses from LimeSurvey again as CSV or Excel (.xlsx).")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a file may hold before it is refused, so that a small hostile file cannot
    take gigabytes or minutes (issue 20: a 1 MB XLSX unpacking to 1 GiB, a million blank lines).

    Each limit is far above what a LimeSurvey or Excel export of a real survey holds (a
    large one: 5,000 responses x 1,500 columns = 7.5 million cells) and is raised with the
    environment variable named in :data:`ENVIRONMENT`, e.g. ``MAPGEN_MAX_CELLS=50000000``.
    With the defaults, any file under 10 MB is read within about 1 GB of memory.
    """

    file_mb: int = 500  # the file itself (it is read whole)
    cells: int = 10_000_000  # rows x columns, blank rows inside the sheet included
    columns: int = 16_384  # Excel's own maximum (XFD)
    cell_chars: int = 10_000_000  # the text of one cell
    unzipped_mb: int = 200  # an XLSX part read whole: shared strings, styles, workbook
    sheet_mb: int = 2_048  # the XLSX sheet itself, read as a stream
    sheet_ratio: int = 100  # unpacked / packed size of a sheet over SHEET_RATIO_FROM_MB (real ones: 5-20)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, with any ``MAPGEN_MAX_*`` variable set in ``environ`` (the process's)."""
        environ = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for name, variable in ENVIRONMENT.items():
            text = environ.get(variable, "").strip().replace("_", "")
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise InputError(
                    _("{variable}={environ} is not a positive whole number. Set it to a number such as "
                      "{value}, or unset it.",
                      variable=variable, environ=repr(environ[variable]), value=getattr(cls(), name) * 2)
                )
            values[name] = int(text)
        return cls(**values)


#: The environment variable that raises each limit of :class:`Limits`.
ENVIRONMENT = {
    "file_mb": "MAPGEN_MAX_FILE_MB",
    "cells": "MAPGEN_MAX_CELLS",
    "columns": "MAPGEN_MAX_COLUMNS",
    "cell_chars": "MAPGEN_MAX_CELL_CHARS",
    "unzipped_mb": "MAPGEN_MAX_UNZIPPED_MB",
    "sheet_mb": "MAPGEN_MAX_SHEET_MB",
    "sheet_ratio": "MAPGEN_MAX_SHEET_RATIO",
}

#: Below this unpacked size a sheet is read whatever its compression ratio (it is cheap anyway).
SHEET_RATIO_FROM_MB: Final = 64


def _mb(size: int) -> int:
    """Bytes as whole megabytes, rounded up (1.2 MB is over a 1 MB limit)."""
    return -(-size // 2**20)


_UNITS = {"cells": _l(" cells"), "columns": _l(" columns"), "cell_chars": _l(" characters"),
          "sheet_ratio": _l(" times its packed size")}


def _over_limit(file: str, what: str, found: int | None, limits: Limits, name: str) -> InputError:
    """One line: what is too large, the limit, and the variable that raises it."""
    limit: int = getattr(limits, name)
    unit = _UNITS.get(name, " MB")
    amount = f"{found:,}{unit}" if found is not None else _("more")
    raise_to = max(found or 0, limit) * 2
    return InputError(
        _("{file}: {what}: {amount}, over the limit of {limit:,}{unit} (it keeps a broken or hostile "
          "file from exhausting memory or time). If the file is genuine, set the environment variable "
          "{environment} higher, e.g. {environment}={raise_to}, and run again; otherwise export the "
          "responses again.",
          file=file, what=what, amount=amount, limit=limit, unit=unit, environment=ENVIRONMENT[name],
          raise_to=raise_to)
    )


@dataclass(frozen=True, slots=True)
class TableIssue:
    """Something odd in the file that did not stop the reading (a shifted row, a renamed header).

    ``row`` is the spreadsheet row (header = 1), ``None`` for the file as a whole.
    ``message`` is a full sentence that ends with the fix, rendered in the reader's language.
    """

    file: str
    row: int | None
    column: str
    message: Message
    data_lost: bool = False  # True when rows could not be read at all (an unclosed quote)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(_("row {row}", row=self.row))
        if self.column:
            where.append(_("column {column}", column=repr(self.column)))
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class Table:
    """A sheet of text cells.

    ``rows[i]`` is spreadsheet row ``i + 2`` (row 1 is the header); every row has
    exactly ``len(columns)`` cells. Blank rows inside the sheet are kept (as
    empty cells) so that the numbering matches what the user sees; trailing ones
    are dropped. Header names are unique: a repeated header gets `` (2)``,
    `` (3)``… and an issue says so.
    """

    path: Path
    columns: list[str]
    rows: list[list[str]]
    format: str  # "csv" or "xlsx"
    encoding: str = ""  # e.g. "UTF-8", "UTF-8 with BOM", "Windows-1252", "UTF-16 LE"
    delimiter: str = ""
    sheet: str = ""
    issues: list[TableIssue] = field(default_factory=list)
    sheets: tuple[str, ...] = ()  # XLSX: every sheet of the workbook, in order

    @property
    def name(self) -> str:
        """The file name as the user knows it (no folders, so reports don't leak paths)."""
        return self.path.name

    @property
    def warnings(self) -> list[str]:
        """The issues as printable lines."""
        return [str(issue) for issue in self.issues]

    @property
    def data_rows(self) -> int:
        """How many rows hold at least one non-blank cell."""
        return sum(1 for row in self.rows if any(cell.strip() for cell in row))

    def describe(self) -> Message:
        """What was detected, e.g. ``CSV, Windows-1252, separator ';', 120 rows``."""
        rows = _lp("{count} row", "{count} rows", self.data_rows)
        if self.format == "xlsx":
            return _l("XLSX, sheet {sheet}, {rows}", sheet=repr(self.sheet), rows=rows)
        separator = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        encoding = _l("UTF-8 with BOM") if self.encoding == "UTF-8 with BOM" else self.encoding
        return _l("CSV, {encoding}, separator {separator}, {rows}", encoding=encoding, separator=separator,
                  rows=rows)


def read_table(
    path: Path | str, *, sheet: str | None = None, limits: Limits | None = None
) -> Table:
    """Read a CSV or XLSX file into a :class:`Table` of text cells.

    Parameters
    ----------
    path
        The file. Its content decides the format, not its extension.
    sheet
        XLSX only: the sheet's name (or its 1-based number); the first sheet by
        default. Ignored for CSV.
    limits
        How much the file may hold; by default :meth:`Limits.from_environment`.

    Returns
    -------
    Table
        The cells as text, with what was detected (:meth:`Table.describe`).

    Raises
    ------
    UnreadableFileError
        The file is missing, empty, binary, truncated or not a spreadsheet, or it is
        not a regular file (a folder, a named pipe, a device).
    InputError
        The named sheet does not exist; a quote is never closed; the file is over
        one of the :class:`Limits`.
    """
    path = Path(path)
    limits = limits or Limits.from_environment()
    data = _read_bytes(path, limits)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _read_zip(path, data, sheet, limits)
    _refuse_known_binaries(path, data)
    return _read_csv(path, data, limits)


# --- bytes and formats ------------------------------------------------------------------


def _read_bytes(path: Path, limits: Limits) -> bytes:
    """The file's bytes; anything but a regular file is refused without opening it.

    Opening a named pipe would block until something writes to it, and ``/dev/zero``
    never ends: say what they are instead.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise UnreadableFileError(_missing(path, exc)) from exc
    if not stat.S_ISREG(info.st_mode):
        kind = _file_kind(info.st_mode)
        raise UnreadableFileError(_("{file} is {kind}, not a file. Give the survey export file.", file=path,
                                    kind=kind))
    if info.st_size > limits.file_mb * 2**20:
        raise _over_limit(path.name, _("the file is too large"), _mb(info.st_size), limits, "file_mb")
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.file_mb * 2**20 + 1)  # the file may grow while read
    except OSError as exc:
        raise UnreadableFileError(_("{file} cannot be read ({reason}).", file=path.name, reason=exc.strerror)) from exc
    if len(data) > limits.file_mb * 2**20:
        raise _over_limit(path.name, _("the file is too large"), _mb(len(data)), limits, "file_mb")
    if not data.strip(b" \t\r\n\x00"):
        raise UnreadableFileError(
            _("{file} is empty: it has no header row and no responses.", file=path.name) + f" {_EXPORT_AGAIN}"
        )
    return data


def _missing(path: Path, exc: OSError) -> str:
    """Why ``stat`` failed, in the user's terms."""
    if exc.errno == errno.ELOOP:
        return _("{file} is a symbolic link that leads back to itself (a loop). Give the file itself.", file=path)
    if exc.errno == errno.EACCES:
        return _("{file} cannot be read (permission denied). Check the folder's permissions.", file=path)
    if exc.errno == errno.ENAMETOOLONG:
        return _("{name}...: the file name is too long for the file system. Rename the file.", name=path.name[:40])
    if path.is_symlink():
        return _("{file} is a symbolic link to {target}, which does not exist. Give the file itself.", file=path,
                 target=repr(os.readlink(path)))
    return _("{file} does not exist. Check the file name and folder.", file=path)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISFIFO(mode):
        return _("a named pipe (FIFO)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device (such as /dev/zero)")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("not a regular file")  # pragma: no cover - every kind of Unix file is above


def _refuse_known_binaries(path: Path, data: bytes) -> None:
    """Stop early, and say what the file is, for the usual wrong files."""
    for magic, kind_of in _MAGIC:
        if data.startswith(magic):
            hint = _("Open it in Excel and save it as .xlsx or CSV.") if magic == _OLD_OFFICE else _EXPORT_AGAIN
            raise UnreadableFileError(_("{file} is {what}, not a CSV or XLSX file. {hint}",
                                        file=path.name, what=kind_of, hint=hint))
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"{") and (kind := _MAP_TYPE.search(data[:65536])) is not None:
        what = _("a uMap map") if kind["type"] == b"umap" else _("a GeoJSON map")
        raise UnreadableFileError(
            _("{file} is {what}, not a survey export (CSV or XLSX). A previous edition's map goes "
              "after --previous: mapgen build SURVEY.csv --previous {file}", file=path.name, what=what)
        )
    if path.suffix.lower() == ".toml" or _MAPPING_START.match(head) is not None:
        raise UnreadableFileError(
            _("{file} is a mapping file (TOML), not a survey export (CSV or XLSX). A mapping goes "
              "after --config: mapgen build SURVEY.csv --config {file}", file=path.name)
        )
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")):
        what = _("a web page (HTML)") if b"html" in head[:20] else _("an XML file")
        raise UnreadableFileError(_("{file} is {what}, not a CSV or XLSX file. {export_again}",
                                    file=path.name, what=what, export_again=_EXPORT_AGAIN))


def _read_zip(path: Path, data: bytes, sheet: str | None, limits: Limits) -> Table:
    """A ZIP container: XLSX is read; ODS, DOCX and damaged files are refused clearly."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            names = set(sizes)
    # A damaged central directory may also claim a ZIP version zipfile does not implement.
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableFileError(
            _("{file} is a damaged XLSX workbook (truncated or not fully downloaded). Download it "
              "again, or open it in Excel and save it again.", file=path.name)
        ) from exc
    if "xl/workbook.xml" in names:
        _check_unzipped_sizes(path.name, sizes, limits)
        return _read_xlsx(path, data, sheet, limits)
    if "content.xml" in names:
        what = _("an OpenDocument spreadsheet (.ods)")
        hint = _("Open it in LibreOffice or Excel and save it as .xlsx or CSV.")
    elif any(name.startswith("word/") for name in names):
        what, hint = _("a Word document"), str(_EXPORT_AGAIN)
    else:
        what, hint = _("a ZIP archive"), _("Extract the survey export from it first.")
    raise UnreadableFileError(_("{file} is {what}, not a CSV or XLSX file. {hint}",
                                file=path.name, what=what, hint=hint))


# --- CSV ----------------------------------------------------------------------------------


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode with the encoding Excel or LimeSurvey used; return the text and its name."""
    boms = (
        (b"\xef\xbb\xbf", "utf-8", "UTF-8 with BOM"),
        (b"\xff\xfe", "utf-16-le", "UTF-16 LE"),
        (b"\xfe\xff", "utf-16-be", "UTF-16 BE"),
    )
    for bom, codec, name in boms:
        if data.startswith(bom):
            return _decode_strict(data[len(bom) :], codec, name, path), name
    bomless_utf16 = _utf16_without_bom(data)
    if bomless_utf16:
        codec, name = bomless_utf16
        return _decode_strict(data, codec, name, path), name
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _mixed_lines(data):
        return _decode_by_line(data), _MIXED
    return _decode_legacy(data)


#: The encoding name of a file whose lines are partly UTF-8, partly Windows-1252.
_MIXED = "UTF-8 mixed with Windows-1252"


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 defines them all.
        return data.decode("latin-1"), "Latin-1"


def _mixed_lines(data: bytes) -> list[int]:
    """The 1-based lines that are not UTF-8, when other lines hold accented UTF-8.

    Files pasted together from two exports (one saved by Excel) mix encodings; read
    as a whole in Windows-1252, the UTF-8 lines would turn "Forlì" into "ForlÃ¬".
    """
    bad: list[int] = []
    utf8_accents = False
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_accents = True
        except UnicodeDecodeError:
            bad.append(number)
    return bad if utf8_accents else []


def _decode_by_line(data: bytes) -> str:
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(_decode_legacy(line)[0])
    return "\n".join(lines)


def _mixed_issue(path: Path, data: bytes) -> TableIssue:
    lines = _mixed_lines(data)
    listed = ", ".join(map(str, lines[:10]))
    shown = _l("{lines} and {more} more", lines=listed, more=len(lines) - 10) if len(lines) > 10 else listed
    return TableIssue(
        path.name, None, "",
        _lp("line {lines} of the file is in Windows-1252 while the others are UTF-8 (two exports pasted "
            "together?); each line was read in its own encoding. Check the accents on those lines, then save "
            "the file again as CSV UTF-8.",
            "lines {lines} of the file are in Windows-1252 while the others are UTF-8 (two exports pasted "
            "together?); each line was read in its own encoding. Check the accents on those lines, then save "
            "the file again as CSV UTF-8.", len(lines), lines=shown),
    )  # fmt: skip


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a BOM: plain-ASCII text has a NUL in every other byte."""
    sample = data[:4000]
    if len(sample) < 4 or sample.count(0) < len(sample) // 3:
        return None
    odd_nuls, even_nuls = sample[1::2].count(0), sample[0::2].count(0)
    if odd_nuls > 2 * even_nuls:
        return "utf-16-le", "UTF-16 LE"
    if even_nuls > 2 * odd_nuls:
        return "utf-16-be", "UTF-16 BE"
    return None


def _decode_strict(data: bytes, codec: str, name: str, path: Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            _("{file} starts as {name} but byte {start} is not valid {name} (the file is damaged or "
              "was cut). Save or export it again.", file=path.name, name=name, start=exc.start)
        ) from exc


def _check_text(text: str, path: Path) -> None:
    """Refuse binary data that happened to decode (control characters are not in exports).

    A few stray control characters (NUL bytes of a damaged export, a vertical tab pasted
    from Word) are not binary: :func:`_strip_controls` drops them.
    """
    sample = text[:20_000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(8, len(sample) // 20):  # random bytes have ~11%
        raise UnreadableFileError(
            _("{file} holds binary data, not a CSV or XLSX file. {export_again}",
              file=path.name, export_again=_EXPORT_AGAIN)
        )


def _split_sep_line(text: str) -> tuple[str, str | None]:
    """Excel's optional first line ``sep=;`` names the separator (Excel hides that line)."""
    first, _newline, rest = text.partition("\n")
    match = re.fullmatch(r"sep=(.)\r?", first)
    if match:
        return rest, match.group(1)
    return text, None


def _parse(text: str, delimiter: str) -> list[list[str]]:
    csv.field_size_limit(_FIELD_LIMIT)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))


def _detect_delimiter(text: str) -> str:
    """The separator that splits the first records into the most rows as wide as the header."""
    sample = text[:_SNIFF_CHARS]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        records = [r for r in _parse(sample, delimiter)[:_SNIFF_RECORDS] if r]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(1 for r in records if len(r) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, data: bytes, limits: Limits) -> Table:
    text, encoding = _decode(data, path)
    _check_text(text, path)
    text, declared = _split_sep_line(text.lstrip("\ufeff"))
    delimiter = declared or _detect_delimiter(text)
    text = _drop_trailing_separators(_protect_bare_cr(text), delimiter)
    records, starts = _parse_records(text, delimiter, path.name, limits)
    over_lines = _records_over_lines(text, records, starts)  # no line break in the others' cells
    _refuse_swallowed_records(path.name, text, delimiter, records, starts, over_lines)
    cells = [[_line_breaks(cell) for cell in record] if index in over_lines else record
             for index, record in enumerate(records)]
    control_issues = _strip_controls(cells, path.name) if _CONTROLS.search(text) else []
    table = _build(path, cells, fmt="csv", encoding=encoding, delimiter=delimiter, limits=limits)
    if encoding == _MIXED:
        table.issues.insert(0, _mixed_issue(path, data))
    table.issues.extend(control_issues)
    return table


#: Stands for a bare CR inside a cell while the CSV is parsed (a private-use character).
_CR = "\ue000"


def _protect_bare_cr(text: str) -> str:
    """Keep a bare CR (old Mac line break pasted into a cell) from ending the record.

    The csv module ends a record at any of CR, LF or CRLF, so a CR inside an unquoted cell
    of a CRLF or LF file splits the response into two bogus rows. In a file whose records
    end with CR alone (old Mac Excel), CR stays the record separator.
    """
    if "\r\r\n" in text:  # line ends converted twice (CR CR LF): one line end each
        text = text.replace("\r\r\n", "\r\n")
    bare = text.count("\r") - text.count("\r\n")
    if not bare or bare > text.count("\n") or _CR in text:
        return text
    return re.sub(r"\r(?!\n)", _CR, text)


def _line_breaks(cell: str) -> str:
    """Every line break in a cell as ``\\n`` (CRLF, bare CR and the protected CR alike)."""
    if "\r" in cell or _CR in cell:
        return cell.replace("\r\n", "\n").replace("\r", "\n").replace(_CR, "\n")
    return cell


def _drop_trailing_separators(text: str, delimiter: str) -> str:
    """Remove long runs of separators at line ends (Excel's used range: up to 16,383 per line).

    Parsing them would create that many empty cells per row, to be dropped just after;
    runs of 64 or more cannot be meant as text, even inside a quoted cell.
    """
    if delimiter * 64 not in text:
        return text
    return re.sub(re.escape(delimiter) + r"{64,}(?=\r\n|\n|\r|\Z)", "", text)


def _parse_records(
    text: str, delimiter: str, file: str, limits: Limits
) -> tuple[list[list[str]], list[int]]:
    """The records, without their trailing blank cells, and the file line where each starts."""
    csv.field_size_limit(limits.cell_chars)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    starts: list[int] = []
    blank: list[str] = []  # shared by blank lines: a million of them cost one list
    line = 1
    try:
        for record in reader:
            while record and not record[-1].strip():
                record.pop()
            records.append(record or blank)
            starts.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        if "field limit" not in str(exc):  # pragma: no cover - strict=False raises nothing else
            raise UnreadableFileError(_("{file} is not a readable CSV file ({error}).", file=file,
                                        error=exc)) from exc
        what = _("a cell of row {row:,} (line {line:,} of the file) is too long", row=len(records) + 1, line=line)
        raise _over_limit(file, what, None, limits, "cell_chars") from exc
    finally:
        csv.field_size_limit(_FIELD_LIMIT)
    return records, starts


def _refuse_swallowed_records(
    file: str, text: str, delimiter: str, records: list[list[str]], starts: list[int], over_lines: Collection[int]
) -> None:
    """Stop when a quote left open has swallowed whole responses into one cell.

    Read leniently, the cell would hold the other responses (and their contacts) and be
    published as one initiative's description. Two signs: the quote runs to the end of
    the file, or a line inside a quoted cell has as many separators as the header.
    Multi-line free text (LimeSurvey writes it quoted) has neither, and stays readable.
    """
    if '"' not in text or not records:
        return
    header = _clean_header(records[0])
    where = _QuoteSite(file, header, records, starts)
    if _ends_inside_quotes(text, delimiter):
        raise where.unclosed(len(records) - 1)
    # At least 3: in a 3-column file a line of free text with two commas is common, and
    # there is no column left for a contact to leak through.
    separators = max(len(header) - 1, 3)
    for index in sorted(over_lines):
        record = records[index]
        for column, cell in enumerate(record):
            if "\n" not in cell and "\r" not in cell and _CR not in cell:
                continue
            lines = _line_breaks(cell).split("\n")
            inner = next((n for n, t in enumerate(lines) if n and t.count(delimiter) >= separators), 0)
            if inner:
                raise where.swallowed(index, column, inner, lines[inner].count(delimiter))


def _records_over_lines(text: str, records: list[list[str]], starts: list[int]) -> set[int]:
    """The records that may hold a line break in a cell: those the file's lines show running
    over several lines (a record of one line has none), the last one, and, in a file with a
    bare CR protected inside its cells, every record (such a CR does not count as a line)."""
    if _CR in text:
        return set(range(len(records)))
    return {index for index in range(len(records))
            if index + 1 == len(starts) or starts[index + 1] - starts[index] > 1}


@dataclass(frozen=True)
class _QuoteSite:
    """Where a quote opens, and the error that names it."""

    file: str
    header: list[str]
    records: list[list[str]]
    starts: list[int]

    def _where(self, index: int, column: int) -> str:
        name = self.header[column] if column < len(self.header) else column_letter(column)
        return _("{file}, row {row} (line {line} of the file), column {column}", file=self.file, row=index + 1,
                 line=self.starts[index], column=repr(name))

    def unclosed(self, index: int) -> InputError:
        record = self.records[index]
        column = max(len(record) - 1, 0)
        lines = _line_breaks(record[column]).rstrip().count("\n") if record else 0
        return InputError(
            _('{where}: a quote (") opens in this cell and is never closed, so the {lines} line(s) '
              "after it, to the end of the file, would be read into this one cell and the responses on "
              "them lost or published as its text. Close the quote where the cell's text ends (or "
              "delete it), or export the responses again.", where=self._where(index, column), lines=lines)
        )

    def swallowed(self, index: int, column: int, inner: int, separators: int) -> InputError:
        line = self.starts[index] + inner
        return InputError(
            _("{where}: the quoted cell that opens here runs over several lines, and line {line} of "
              "the file inside it has {separators} separators, as a whole response has: a closing "
              'quote (") is missing, so the responses on those lines would be read into this one cell. '
              "Close the quote where the cell's text ends, or export the responses again.",
              where=self._where(index, column), line=line, separators=separators)
        )


#: Invisible control characters: no export means them, and GIS and XML tools choke on them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strip_controls(records: list[list[str]], file: str) -> list[TableIssue]:
    """Drop control characters (NUL bytes of a damaged export...) from the cells; one issue per row."""
    header = [_CONTROLS.sub("", name) for name in records[0]] if records else []
    issues = []
    for number, record in enumerate(records, start=1):
        hit = [index for index, cell in enumerate(record) if _CONTROLS.search(cell)]
        for index in hit:
            record[index] = _CONTROLS.sub("", record[index])
        if hit:
            names = [header[i] if i < len(header) else column_letter(i) for i in hit]
            issues.append(TableIssue(
                file, number, names[0],
                _lp("invisible control characters (such as the NUL bytes of a damaged export) were removed from "
                    "{count} cell of this row ({columns}). Check the row's text.",
                    "invisible control characters (such as the NUL bytes of a damaged export) were removed from "
                    "{count} cells of this row ({columns}). Check the row's text.",
                    len(hit), columns=", ".join(map(repr, names))),
            ))  # fmt: skip
    return issues


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    """True when a quote opened in the file is never closed (the lenient parse hides it)."""
    try:
        for _record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


# --- XLSX ---------------------------------------------------------------------------------


class ExcelNumber(str):
    """The text of a workbook cell Excel stores as a number (``2.125`` is 2.125, never 2125).

    A ``str`` like every cell, so that nothing else changes; the survey reader reads it as
    the number it is, and a cell typed as text by the Italian convention.
    """

    __slots__ = ()


def _cell_text(value: Any) -> str:
    """A cell value as text, the way a person would read it in Excel (ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float):  # bool was handled above
        return ExcelNumber(_number_text(value))
    text = str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _number_text(value: float) -> str:
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 1e15):
        return format(value, ".15g")  # Excel keeps 15 significant digits
    return str(int(value))


def _pick_sheet(book: Any, path: Path, sheet: str | None) -> Any:
    names: list[str] = list(book.sheetnames)
    if sheet is None or sheet == "":
        return book.worksheets[0]
    found = _find_sheet(sheet, names)
    if found is None:
        raise _no_such_sheet(path, sheet, names)
    return book[found]


def _find_sheet(sheet: str, names: Sequence[str]) -> str | None:
    """The sheet named ``sheet`` (exactly, then ignoring case and accents, then by number)."""
    if sheet in names:
        return sheet
    folded = {fold(name): name for name in names}
    if fold(sheet) in folded:
        return folded[fold(sheet)]
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    return None


def _no_such_sheet(path: Path, sheet: str, names: Sequence[str]) -> InputError:
    listed = ", ".join(repr(n) for n in names)
    return InputError(
        _("{file} has no sheet {sheet}{closest_hint}. Sheets: {listed}. Give one of them with --sheet.",
          file=path.name, sheet=repr(sheet), closest_hint=_closest_hint(sheet, names), listed=listed)
    )


_XML_SHEET_NAME = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"')


def _listed_sheets(data: bytes) -> list[str]:
    """The sheet names ``xl/workbook.xml`` lists, when openpyxl could not open the workbook."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("xl/workbook.xml")  # its size was checked against the limits
    except (KeyError, zipfile.BadZipFile, OSError, NotImplementedError, EOFError, ValueError):
        return []
    return [html.unescape(name.decode("utf-8", "replace")) for name in _XML_SHEET_NAME.findall(xml)]


def _closest_hint(wanted: str, names: Sequence[str]) -> str:
    found = get_close_matches(fold(wanted), [fold(n) for n in names], n=1, cutoff=0.5)
    if not found:
        return ""
    original = next(n for n in names if fold(n) == found[0])
    return _("; closest {name}", name=repr(original))


#: Parts of a workbook that openpyxl's read-only mode never opens (the sheets are streamed).
_NOT_LOADED = ("xl/worksheets/", "xl/drawings/", "xl/media/", "xl/comments", "xl/printerSettings/")


def _check_unzipped_sizes(file: str, sizes: Mapping[str, int], limits: Limits) -> None:
    """Refuse, before unpacking anything, a part that would unpack to more than the limits.

    The sizes come from the ZIP directory; :mod:`zipfile` never unpacks more than a
    member's declared size (a lie there fails its CRC check), so the check holds.
    """
    for name, size in sizes.items():
        if name.startswith(_NOT_LOADED):
            continue
        if size > limits.unzipped_mb * 2**20:
            what = _("the workbook part {name} unpacks too large", name=repr(name))
            raise _over_limit(file, what, _mb(size), limits, "unzipped_mb")


def _load_workbook(data: bytes) -> Any:
    """openpyxl's read-only workbook (values only), skipping chart sheets.

    openpyxl 3.1 fails on any chart sheet in read-only mode (``'list' object has no
    attribute 'find'``); a chart sheet holds no responses, so it is left out.
    """
    from openpyxl.reader.excel import ExcelReader  # heavy: only when an XLSX arrives

    class _Reader(ExcelReader):  # type: ignore[misc]
        def read_chartsheet(self, sheet: Any, rel: Any) -> None:
            return None

    # From bytes, not the path: openpyxl refuses a workbook whose name does not end in .xlsx.
    reader = _Reader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _read_xlsx(path: Path, data: bytes, sheet: str | None, limits: Limits) -> Table:
    scan = _SheetScan(path.name, limits)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they don't affect values.
            warnings.simplefilter("ignore")
            book = _load_workbook(data)
            try:
                ws = _pick_sheet(book, path, sheet)
                _stream_sheet(ws, book, scan, limits)
                values = _sheet_values(ws, path.name, limits)
                title, names = ws.title, tuple(book.sheetnames)
            finally:
                book.close()
    except (InputError, UnreadableFileError):
        raise
    except Exception as exc:  # openpyxl raises many kinds for damaged workbooks
        log.debug("openpyxl failed on %s", path, exc_info=True)
        listed = _listed_sheets(data)
        if sheet and listed and not _find_sheet(sheet, listed):  # a wrong name first: it is the user's fix
            raise _no_such_sheet(path, sheet, listed) from exc
        raise UnreadableFileError(
            _("{file} is a damaged XLSX workbook ({type}). Open it in Excel and save it again, or "
              "export the responses again.", file=path.name, type=type(exc).__name__)
        ) from exc
    if not values:
        raise _empty_sheet(path, title, names)
    table = _build(path, values, fmt="xlsx", sheet=title, sheets=names, limits=limits)
    table.issues.extend(_merged_header(table, scan.merges))
    table.issues.extend(_formulas_without_result(table, scan.formulas))
    return table


def _stream_sheet(ws: Any, book: Any, scan: _SheetScan, limits: Limits) -> None:
    """Make openpyxl read the sheet through :class:`_SheetStream` (checked, filtered, scanned)."""
    member = ws._worksheet_path.lstrip("/")
    info = book._archive.getinfo(member)
    size = info.file_size
    if size > limits.sheet_mb * 2**20:
        what = _("sheet {title} unpacks too large", title=repr(ws.title))
        raise _over_limit(scan.file, what, _mb(size), limits, "sheet_mb")
    # A sheet packed hundreds of times over is filler, not responses (a 4.7 MB file held a
    # 1.5 GB sheet): refused before minutes of unpacking; real sheets pack 5-20 times.
    ratio = size // max(info.compress_size, 1)
    if size > SHEET_RATIO_FROM_MB * 2**20 and ratio > limits.sheet_ratio:
        what = _("sheet {title} unpacks to {size:,} MB from {packed:,} MB", title=repr(ws.title), size=_mb(size),
                 packed=_mb(info.compress_size))
        raise _over_limit(scan.file, what, ratio, limits, "sheet_ratio")
    ws.reset_dimensions()  # some writers store wrong dimensions; read every row
    ws._get_source = lambda: _SheetStream(book._archive.open(member), scan)


def _sheet_values(ws: Any, file: str, limits: Limits) -> list[list[str]]:
    """The sheet's rows as text, without trailing blank cells and rows, within the limits.

    Blank rows are only kept once a filled row follows them, so that a styled row
    1,048,576 costs nothing, and the cell count is checked before they are added.
    """
    values: list[list[str]] = []
    blank: list[str] = []  # shared by blank rows
    pending = width = 0
    for row in ws.iter_rows(values_only=True):
        cells = [_cell_text(value) for value in row]
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            pending += 1
            continue
        width = max(width, len(cells))
        number = len(values) + pending + 1
        if width > limits.columns:
            raise _over_limit(file, _("row {number} of the sheet is too wide", number=number), width, limits, "columns")
        if number * width > limits.cells:
            what = _("the sheet up to row {number:,} ({number:,} rows x {width:,} columns)", number=number, width=width)
            raise _over_limit(file, what, number * width, limits, "cells")
        longest = max(len(cell) for cell in cells)
        if longest > limits.cell_chars:
            what = _("a cell of row {number:,} is too long", number=number)
            raise _over_limit(file, what, longest, limits, "cell_chars")
        values.extend([blank] * pending)
        values.append(cells)
        pending = 0
    return values


class _SheetScan:
    """What the sheet's XML says besides values: merged header cells, formulas without result."""

    #: At most this many formulas without a saved result are reported.
    MAX_FORMULAS = 1_000

    def __init__(self, file: str, limits: Limits) -> None:
        self.file, self.limits = file, limits
        self.merges: list[tuple[bytes, bytes, bytes, bytes]] = []
        self.formulas: list[tuple[bytes, bytes]] = []

    def read(self, xml: bytes) -> None:
        """Scan a piece of the sheet that ends between two rows (or at the end)."""
        if b"mergeCell" in xml:
            self.merges.extend(_XML_MERGE.findall(xml))
        if b"<f" not in xml and b":f" not in xml:
            return
        for attributes, body in _XML_CELL.findall(xml):
            if len(self.formulas) < self.MAX_FORMULAS and _XML_FORMULA.search(body) and not _XML_VALUE.search(body):
                self.formulas.append((attributes, body))


#: A cell without a value (``<c r="D2" s="1"/>``): Excel writes thousands per row for a styled range.
_EMPTY_XML_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*/>")


class _SheetStream(io.RawIOBase):
    """The sheet's XML as openpyxl reads it, without empty cells, scanned on the way.

    Empty styled cells cost openpyxl as much as real ones (16,000 per row in a sheet
    whose columns were formatted whole); removing them from the bytes, a piece at a
    time, reads the same values at a fraction of the time and memory. Pieces end after
    a ``</row>``, so that no cell is cut; a text with no tag for longer than a cell may
    hold is refused (it would be read whole into memory).
    """

    CHUNK = 1 << 20

    def __init__(self, source: Any, scan: _SheetScan) -> None:
        super().__init__()
        self.source, self.scan = source, scan
        self.pending = bytearray()  # read, not yet cut at a row end
        self.ready = b""  # filtered, given to openpyxl from self.given on
        self.given = 0
        self.done = False
        self.longest_text = max(scan.limits.cell_chars * 4, self.CHUNK)  # UTF-8: <= 4 bytes a char
        self.in_comment = False
        self.carry = b""  # the end of a chunk that may begin "<!--" or "-->"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.given == len(self.ready) and not self.done:
            self._fill()
        size = min(len(buffer), len(self.ready) - self.given)
        buffer[:size] = self.ready[self.given : self.given + size]
        self.given += size  # an offset, not a slice: slicing would copy the rest each time
        return size

    def _fill(self) -> None:
        chunk = self.source.read(self.CHUNK)
        self.pending += self._uncommented(chunk)
        if not chunk:
            self.done, cut = True, len(self.pending)
        else:
            cut = self._cut()
        if cut:
            piece = _EMPTY_XML_CELL.sub(b"", bytes(self.pending[:cut]))
            del self.pending[:cut]
            self.scan.read(piece)
            self.ready = self.ready[self.given :] + piece
            self.given = 0

    def _uncommented(self, chunk: bytes) -> bytes:
        """``chunk`` without XML comments, which hold no value.

        expat reads a comment as one token and rescans it whenever more arrives: 20 MB of
        comment took 32 s. A comment may begin in one chunk and end chunks later, so a few
        bytes that may start ``<!--`` or end ``-->`` wait for the next chunk (all at the end).
        """
        data, self.carry = self.carry + chunk, b""
        keep = 3 if chunk else 0
        parts: list[bytes] = []
        at = 0
        while True:
            if self.in_comment:
                end = data.find(b"-->", at)
                if end < 0:
                    self.carry = data[max(at, len(data) - keep) :]
                    return b"".join(parts)
                at, self.in_comment = end + 3, False
            start = data.find(b"<!--", at)
            if start < 0:
                tail = max(at, len(data) - keep)
                parts.append(data[at:tail])
                self.carry = data[tail:]
                return b"".join(parts)
            parts.append(data[at:start])
            at, self.in_comment = start + 4, True

    def _cut(self) -> int:
        """Where the unread bytes can be cut: after the last row end, or a tag in a long row."""
        row_end = self.pending.rfind(b"row>")  # </row> or </x:row>
        if row_end >= 0:
            return row_end + 4
        if len(self.pending) < 16 * self.CHUNK:
            return 0
        tag = self.pending.rfind(b"<")
        if tag <= 0 and len(self.pending) > self.longest_text:
            what = _("a text in the sheet is too long")
            raise _over_limit(self.scan.file, what, None, self.scan.limits, "cell_chars")
        return max(tag, 0)

    def close(self) -> None:
        self.source.close()
        super().close()


# Cells and merged ranges as they appear in a worksheet's XML (any namespace prefix).
_XML_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*[^/>])>(.*?)</(?:\w+:)?c>', re.DOTALL)
_XML_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_XML_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_XML_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*\S", re.DOTALL)
_XML_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')


def _column_index(letters: bytes) -> int:
    index = 0
    for char in letters.decode("ascii"):
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def _merged_header(table: Table, merges: list[tuple[bytes, bytes, bytes, bytes]]) -> list[TableIssue]:
    """A header cell merged over several columns leaves the others without a name."""
    issues = []
    for first, top, last, _bottom in merges:
        start, end = _column_index(first), _column_index(last)
        if top != b"1" or end <= start:
            continue
        span = f"{first.decode()}1:{last.decode()}1"
        name = table.columns[start] if start < len(table.columns) else ""
        issues.append(TableIssue(
            table.name, 1, name,
            _l("the header cells {span} are merged, so only the first of those {count} columns has a name. "
               "Unmerge them and give every column its own header in row 1.", span=span, count=end - start + 1),
        ))  # fmt: skip
    return issues


def _formulas_without_result(table: Table, cells: list[tuple[bytes, bytes]]) -> list[TableIssue]:
    """Formulas whose result was never saved (files written by scripts) read as empty cells."""
    issues = []
    for attributes, body in cells:
        formula = _XML_FORMULA.search(body)
        ref = _XML_REF.search(attributes)
        if formula is None or ref is None:
            continue
        column, row = _column_index(ref.group(1)), int(ref.group(2))
        text = html.unescape((formula.group(1) or b"").decode("utf-8", "replace"))
        name = table.columns[column] if column < len(table.columns) else column_letter(column)
        issues.append(TableIssue(
            table.name, row, name,
            _l("the cell holds the formula {formula} but no saved result, so it is read as empty. Open the file "
               "in Excel or LibreOffice and save it again to store the results.", formula=repr("=" + text)),
        ))  # fmt: skip
    return issues


def _empty_sheet(path: Path, title: str, names: Sequence[str]) -> UnreadableFileError:
    others = ", ".join(repr(n) for n in names if n != title)
    hint = _(" Choose the sheet with the responses with --sheet ({others}).", others=others) if others else ""
    return UnreadableFileError(_("{file}: sheet {title} is empty.{hint}",
                                 file=path.name, title=repr(title), hint=hint))


# --- common shaping -----------------------------------------------------------------------


def _trim(records: list[list[str]]) -> list[list[str]]:
    """Drop trailing blank rows and the empty columns Excel leaves on the right."""
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    width = max((len(r) for r in records), default=0)
    while width > 1 and all(len(r) < width or not r[width - 1].strip() for r in records):
        width -= 1
    return [r[:width] if len(r) > width else r for r in records]  # blank rows stay one shared list


def _check_size(file: str, records: list[list[str]], limits: Limits) -> None:
    """Refuse a table too large to fill in before its rows are padded to the header's width."""
    width = max((len(r) for r in records), default=0)
    if width > limits.columns:
        where = next(n for n, r in enumerate(records, start=1) if len(r) == width)
        raise _over_limit(file, _("row {row:,} is too wide", row=where), width, limits, "columns")
    if len(records) * width > limits.cells:
        what = _("the table ({rows:,} rows, blank ones included, x {width:,} columns)", rows=len(records), width=width)
        raise _over_limit(file, what, len(records) * width, limits, "cells")


def _clean_header(names: Iterable[str]) -> list[str]:
    """Strip spaces and line breaks inside headers; name blank headers by their letter."""
    cleaned = []
    for index, name in enumerate(names):
        text = " ".join(name.replace("\ufeff", "").replace("\u00a0", " ").split())
        cleaned.append(text or f"(column {column_letter(index)})")
    return cleaned


def _unique(names: list[str], file: str) -> tuple[list[str], list[TableIssue]]:
    seen: dict[str, int] = {}
    unique: list[str] = []
    issues: list[TableIssue] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            unique.append(name)
            continue
        renamed = f"{name} ({seen[name]})"
        unique.append(renamed)
        issues.append(
            TableIssue(
                file,
                1,
                name,
                _l("the header appears more than once; occurrence {occurrence} is read as {renamed}.",
                   occurrence=seen[name], renamed=repr(renamed)),
            )
        )
    return unique, issues


def _fit_rows(
    rows: list[list[str]], width: int, file: str
) -> tuple[list[list[str]], list[TableIssue]]:
    """Make every row exactly ``width`` cells; say so when non-blank cells had to be dropped."""
    fitted: list[list[str]] = []
    issues: list[TableIssue] = []
    for index, row in enumerate(rows):
        extra = [cell for cell in row[width:] if cell.strip()]
        if extra:
            issues.append(
                TableIssue(
                    file,
                    index + 2,
                    "",
                    _lp("the row has {cells} cells but the header has {width}; {count} non-blank cell past the "
                        "last column is not read (first: {first}). A separator inside an unquoted cell shifts the "
                        "columns: check the row.",
                        "the row has {cells} cells but the header has {width}; {count} non-blank cells past the "
                        "last column are not read (first: {first}). A separator inside an unquoted cell shifts the "
                        "columns: check the row.", len(extra), cells=len(row), width=width, first=repr(extra[0][:40])),
                )
            )
        fitted.append((row + [""] * width)[:width])
    return fitted, issues


def _build(
    path: Path,
    records: list[list[str]],
    *,
    fmt: str,
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
    sheets: tuple[str, ...] = (),
    limits: Limits | None = None,
) -> Table:
    records = _trim(records)
    _check_size(path.name, records, limits or Limits())
    if not records:
        raise UnreadableFileError(
            _("{file} is empty: it has no header row and no responses.", file=path.name) + f" {_EXPORT_AGAIN}"
        )
    header, *rows = records
    if not any(cell.strip() for cell in header):
        raise UnreadableFileError(
            _("{file}: row 1 is blank, but the column headers must be in row 1. Delete the blank rows "
              "above the headers, or export the responses again.", file=path.name)
        )
    columns, issues = _unique(_clean_header(header), path.name)
    rows, row_issues = _fit_rows(rows, len(columns), path.name)
    return Table(path, columns, rows, fmt, encoding, delimiter, sheet, issues + row_issues, sheets)
