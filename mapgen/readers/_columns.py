"""Which column holds which field: headers read as LimeSurvey writes them, or as a mapping says.

A :class:`Layout` says, for one table, where each canonical field of the
respondent and of each repeated practice group comes from. It is built either
from a mapping (:func:`layout_from_mapping`) or, without one, by recognising
headers named like the canonical Italian fields (:func:`recognise_layout`).

LimeSurvey headers come in two styles, and both are understood:

* question codes: ``G01Q03``, ``area[SQ001]``, ``area[other]``, ``comuni[SQ002]``
  (some tools write ``area_SQ001``);
* full question texts: ``Comune``, ``Area di intervento [Infanzia]``.

A field mapped to ``area`` reads the column ``area`` if there is one (a list of
labels in one cell) and every sub-column ``area[...]`` (one per option).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Final

from mapgen.config import (
    CANONICAL_FIELDS,
    FIELD_HEADERS,
    PRACTICE_FIELDS,
    REQUIRED_FIELDS,
    SurveyConfig,
)
from mapgen.errors import InputError
from mapgen.model import CONTACT_FIELDS
from mapgen.readers.table import column_letter
from mapgen.text import fold

__all__ = [
    "HEADER_ALIASES",
    "Layout",
    "Source",
    "closest_column",
    "layout_from_mapping",
    "recognise_layout",
    "split_subcolumn",
]

_SUB = re.compile(r"^(?P<base>.*?)\s*\[(?P<sub>[^\[\]]*)\]$")
_RENAMED = re.compile(r"^(?P<name>.*\])\s*\((?P<group>\d{1,2})\)$")
_GROUP_SUFFIX = re.compile(r"^(?P<name>.+?)\s+(?:n\s+)?(?P<group>\d{1,2})$")

#: Folded header -> field, for tidy spreadsheets (besides the names in FIELD_HEADERS).
HEADER_ALIASES: Final[Mapping[str, str]] = {
    **{fold(header): name for name, header in FIELD_HEADERS.items()},
    **{fold(name): name for name in CANONICAL_FIELDS},
    "aree": "aree",
    "area di intervento": "aree",
    "aree di intervento": "aree",
    "altra area": "aree_altro",
    "aree altro": "aree_altro",
    "fonte": "fonti",
    "fonti": "fonti",
    "fonti di finanziamento": "fonti",
    "fonte altro": "fonti_altro",
    "fonti altro": "fonti_altro",
    "altra fonte": "fonti_altro",
    "importo euro": "importo",
    "importo in euro": "importo",
    "data di inizio": "data_inizio",
    "data di fine": "data_fine",
    "sito": "sito_web",
    "sito internet": "sito_web",
    "e mail": "email",
    "mail": "email",
    "tel": "telefono",
    "tipo di ente": "tipo_ente",
    "denominazione": "denominazione_ente",
}

#: LimeSurvey's own columns (code style and full-text style), folded.
ID_HEADERS: Final = ("id", "response id", "id risposta", "id della risposta")
SUBMIT_HEADERS: Final = (
    "submitdate",
    "date submitted",
    "data invio",
    "data di invio",
    "data completamento",
)
#: Columns that identify a person or a device: never copied into a record's properties.
PERSONAL_HEADERS: Final = frozenset(
    {
        "ipaddr",
        "ip address",
        "indirizzo ip",
        "token",
        "firstname",
        "lastname",
        "first name",
        "last name",
    }
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where one field's value comes from: one column, sub-columns, or both.

    ``columns`` holds ``(index, option)`` pairs; ``option`` is ``""`` for a plain
    column and the text between brackets (``SQ001``, ``Infanzia``, ``other``)
    for a sub-column. ``label`` is the name the mapping or header used.
    """

    field: str
    label: str
    columns: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where every field is, for one table.

    ``shared`` fields apply to every practice of a response; ``practices[k]``
    holds the fields of practice group ``k + 1``. ``id_index`` and
    ``submit_index`` are LimeSurvey's response id and submission date, if present.
    """

    shared: Mapping[str, Source]
    practices: tuple[Mapping[str, Source], ...]
    id_index: int | None = None
    submit_index: int | None = None
    personal: frozenset[int] = frozenset()
    notes: tuple[str, ...] = field(default=())

    def group_columns(self) -> list[set[int]]:
        """The column indexes that belong to each practice group."""
        return [{i for s in group.values() for i, _ in s.columns} for group in self.practices]


def split_subcolumn(name: str) -> tuple[str, str] | None:
    """``area[SQ001]`` -> ``("area", "SQ001")``; ``Area [Infanzia]`` -> ``("Area", "Infanzia")``."""
    match = _SUB.match(name)
    if match is None or not match.group("base"):
        return None
    return match.group("base"), match.group("sub").strip()


def closest_column(wanted: str, columns: Sequence[str]) -> str | None:
    """The header most like ``wanted`` (case, accents and spacing ignored), if any is close."""
    folded: dict[str, str] = {}
    for column in columns:
        folded.setdefault(fold(column), column)
    target = fold(wanted)
    # "Titolo" is closest to "Titolo della pratica": the same words first, then similar spelling
    containing = [f for f in folded if re.search(rf"\b{re.escape(target)}\b", f)]
    found = containing or get_close_matches(target, list(folded), n=1, cutoff=0.6)
    return folded[found[0]] if found else None


# --- from a mapping ---------------------------------------------------------------------------


def _find(columns: Sequence[str], name: str) -> int | None:
    if name in columns:
        return columns.index(name)
    folded = fold(name)
    return next((i for i, c in enumerate(columns) if fold(c) == folded), None)


def _family(columns: Sequence[str], base: str) -> list[tuple[int, str]]:
    """Sub-columns ``base[x]`` (or ``base_x`` for codes) with their option ``x``."""
    folded = fold(base)
    found: list[tuple[int, str]] = []
    for index, column in enumerate(columns):
        parts = split_subcolumn(column)
        if parts is not None and (parts[0] == base or fold(parts[0]) == folded):
            found.append((index, parts[1]))
        elif re.fullmatch(r"\w+", base) and column.startswith(base + "_"):
            found.append((index, column[len(base) + 1 :]))
    return found


def _source(columns: Sequence[str], field_name: str, name: str) -> Source | None:
    plain = _find(columns, name)
    pairs = ([(plain, "")] if plain is not None else []) + _family(columns, name)
    return Source(field_name, name, tuple(pairs)) if pairs else None


@dataclass
class _Missing:
    """Mapped names not found in the table, collected to report them together."""

    file: str
    config_file: str
    columns: Sequence[str]
    lines: list[str] = field(default_factory=list)

    def add(self, field_name: str, where: str, name: str) -> None:
        close = closest_column(name, self.columns)
        hint = f"; closest {close!r}" if close else "; nothing close"
        self.lines.append(f"  {field_name}{where} = {name!r}{hint}")

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        count = len(self.lines)
        noun = "column named" if count == 1 else "columns named"
        raise InputError(
            f"{self.file}: {count} {noun} in {self.config_file} "
            f"{'is' if count == 1 else 'are'} not in the file:\n"
            + "\n".join(self.lines)
            + f"\nColumns in the file: {_listing(self.columns)}.\n"
            f"Fix the names in {self.config_file}, "
            f"or write a new one with: mapgen init-config {self.file}"
        )


def _listing(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns)


def _resolve_group(
    columns: Sequence[str], mapping: Mapping[str, str], where: str, missing: _Missing
) -> dict[str, Source]:
    resolved: dict[str, Source] = {}
    for field_name, name in mapping.items():
        if not name:
            continue  # "" = not in this export
        source = _source(columns, field_name, name)
        if source is None:
            missing.add(field_name, where, name)
        else:
            resolved[field_name] = source
    return resolved


def layout_from_mapping(
    columns: Sequence[str], survey: SurveyConfig, *, file: str, config_file: str
) -> Layout:
    """The layout a mapping describes; every missing column is reported in one error.

    Raises
    ------
    InputError
        A mapped column is not in the table, or a required field is not mapped.
    """
    missing = _Missing(file, config_file, columns)
    shared = _resolve_group(columns, survey.columns, "", missing)
    practices = tuple(
        _resolve_group(columns, group, f" (practice {n})", missing)
        for n, group in enumerate(survey.practices or ({},), start=1)
    )
    missing.raise_if_any()
    for required in REQUIRED_FIELDS:
        if not (survey.columns.get(required) or any(g.get(required) for g in survey.practices)):
            raise InputError(
                f"{config_file} maps no column to {required!r}, which every initiative needs. "
                f'Add {required} = "<column>" to [survey.columns] or [[survey.practices]]. '
                f"Columns in {file}: {_listing(columns)}."
            )
    return _finish(columns, shared, practices, survey)


# --- without a mapping ------------------------------------------------------------------------


def _field_and_group(header: str) -> tuple[str, int | None] | None:
    """``Titolo (2)`` -> ``("titolo", 2)``; ``Comune`` -> ``("comune", None)``."""
    folded = fold(header)
    if folded in HEADER_ALIASES:
        return HEADER_ALIASES[folded], None
    match = _GROUP_SUFFIX.match(folded)
    if match is None:
        return None
    name = re.sub(r"\s+(?:pratica|practice)$", "", match.group("name"))
    if name in HEADER_ALIASES:
        return HEADER_ALIASES[name], int(match.group("group"))
    return None


def recognise_layout(columns: Sequence[str], survey: SurveyConfig, *, file: str) -> Layout:
    """The layout of a tidy sheet whose headers are the canonical Italian field names.

    ``Titolo``, ``Titolo 2`` / ``Titolo (2)``… are practice groups 1, 2…;
    ``Area [Infanzia]`` is one option of ``Area``.

    Raises
    ------
    InputError
        A required field has no column; the message lists the columns there are
        and the closest one.
    """
    found = _recognised_columns(columns)
    _require(found, columns, file)
    shared = {
        f: Source(f, FIELD_HEADERS[f], tuple(c))
        for (f, g), c in found.items()
        if f not in PRACTICE_FIELDS
    }
    groups = sorted({g for (f, g) in found if f in PRACTICE_FIELDS})
    practices = tuple(
        {
            f: Source(f, FIELD_HEADERS[f], tuple(c))
            for (f, gg), c in found.items()
            if gg == g and f in PRACTICE_FIELDS
        }
        for g in groups
    )
    return _finish(columns, shared, practices or ({},), survey)


def _recognised_columns(columns: Sequence[str]) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """(field, practice group) -> the (index, option) of the columns named like that field."""
    found: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for index, header in enumerate(columns):
        # "Area [Altro] (2)": a repeated header renamed by the table reader is group 2
        renamed = _RENAMED.match(header)
        name = renamed.group("name") if renamed else header
        parts = split_subcolumn(name)
        base, option = parts if parts else (name, "")
        recognised = _field_and_group(base)
        if recognised is None:
            continue
        field_name, group = recognised
        if renamed:
            group = int(renamed.group("group"))
        if group is not None and field_name not in PRACTICE_FIELDS:
            continue  # "Comune 2": not a practice field, kept as a plain property
        found[(field_name, group or 1)].append((index, option))
    return found


def _require(found: Mapping[tuple[str, int], object], columns: Sequence[str], file: str) -> None:
    fields = {f for f, _ in found}
    absent = [f for f in REQUIRED_FIELDS if f not in fields]
    if not absent:
        return
    lines = []
    for name in absent:
        close = closest_column(FIELD_HEADERS[name], columns)
        hint = f"closest {close!r}" if close else "nothing close"
        lines.append(f"{FIELD_HEADERS[name]!r} ({hint})")
    raise InputError(
        f"{file} has no column for {' and '.join(lines)}, which every initiative needs. "
        f"Columns in the file: {_listing(columns)}. Rename the column, or map it in a mapping file "
        f"(start one with: mapgen init-config {file})."
    )


# --- shared ending ----------------------------------------------------------------------------


def _finish(
    columns: Sequence[str],
    shared: Mapping[str, Source],
    practices: tuple[Mapping[str, Source], ...],
    survey: SurveyConfig,
) -> Layout:
    id_index = _system_column(columns, survey.id, ID_HEADERS)
    submit_index = _system_column(columns, survey.submitdate, SUBMIT_HEADERS)
    notes = []
    if id_index is None:
        notes.append("no response id column: records are numbered by spreadsheet row")
    if submit_index is None:
        notes.append("no submitdate column: every response counts as complete")
    contacts = {
        i
        for group in (shared, *practices)
        for s in group.values()
        if s.field in CONTACT_FIELDS
        for i, _ in s.columns
    }
    personal = {i for i, c in enumerate(columns) if fold(c) in PERSONAL_HEADERS} | contacts
    return Layout(
        dict(shared), practices, id_index, submit_index, frozenset(personal), tuple(notes)
    )


def _system_column(columns: Sequence[str], configured: str, known: Sequence[str]) -> int | None:
    if configured:
        index = _find(columns, configured)
        if index is not None:
            return index
    return next((i for i, c in enumerate(columns) if fold(c) in known), None)


def describe_column(columns: Sequence[str], index: int) -> str:
    """``"G01Q03" (D)``: the header and its spreadsheet letter."""
    return f'"{columns[index]}" ({column_letter(index)})'
