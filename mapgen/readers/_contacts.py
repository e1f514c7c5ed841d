"""The contact values of a survey file, for the write-time guard (:mod:`mapgen.contacts`).

Taken twice: from the table's contact columns, and from the raw lines of a CSV, each
line parsed on its own. The second way does not trust a quote to close, so the contacts
of rows that an unclosed quote swallowed into a description are known too (issue 20).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from mapgen.model import CONTACT_FIELDS
from mapgen.readers._columns import Layout
from mapgen.readers.table import Table

__all__ = ["survey_contacts"]

#: Python codecs for the encodings the table reader names (anything else: UTF-8).
_CODECS = {"UTF-16": "utf-16", "Windows-1252": "cp1252", "UTF-8 with BOM": "utf-8-sig"}


def _contact_indexes(layout: Layout) -> set[int]:
    return {
        index
        for group in (layout.shared, *layout.practices)
        for name, source in group.items()
        if name in CONTACT_FIELDS
        for index, _option in source.columns
    }


def _raw_cells(path: Path, table: Table, indexes: set[int]) -> Iterator[str]:
    """Cells at the contact positions of every physical line, quotes ignored."""
    codec = next((c for name, c in _CODECS.items() if table.encoding.startswith(name)), "utf-8")
    try:
        text = path.read_bytes().decode(codec, errors="replace")
    except (OSError, LookupError):  # the table was read: a file gone since is not a leak
        return
    for line in text.splitlines():
        # Each line parsed on its own: quotes inside a line count, one left open does not carry on
        cells = next(csv.reader(io.StringIO(line), delimiter=table.delimiter or ","), [])
        if len(cells) < len(table.columns):  # a line inside a multi-line cell, not a record
            continue
        for index in indexes:
            if index < len(cells):
                yield cells[index].strip()


def survey_contacts(path: Path | str, table: Table, layout: Layout) -> frozenset[str]:
    """Every non-empty value of the survey's contact columns (referente, email, telefono)."""
    indexes = _contact_indexes(layout)
    values = {row[i].strip() for row in table.rows for i in indexes if i < len(row)}
    if table.format == "csv" and indexes:
        values |= set(_raw_cells(Path(path), table, indexes))
    return frozenset(v for v in values if v)
