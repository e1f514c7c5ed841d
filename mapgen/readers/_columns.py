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
from mapgen.i18n import Message, _, _l, ngettext
from mapgen.model import CONTACT_FIELDS
from mapgen.readers._headings import Headings, Style, flatten_text
from mapgen.readers.table import column_letter
from mapgen.text import fold

__all__ = [
    "HEADER_ALIASES",
    "INCOMPLETE_ALERT",
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
#: LimeSurvey's own columns that only a LimeSurvey export has (a tidy sheet may have an id).
_LIMESURVEY_ONLY: Final = frozenset({"lastpage", "startlanguage", "seed", "startdate", "datestamp"})
_CODE_LIKE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\[[^\]]*\])?")
#: Said in the CLI summary and the report when a LimeSurvey export cannot tell incomplete
#: responses from complete ones.
INCOMPLETE_ALERT: Final = _l(
    "the LimeSurvey export has no submit date or no response id column, so incomplete "
    "responses cannot be told apart: export with 'Completion state: all' and the id and "
    "submitdate columns, or pass --all-complete to accept every response as complete"
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
    notes: tuple[Message, ...] = field(default=())
    style: Style = "text"
    alerts: tuple[Message, ...] = field(default=())
    limesurvey: bool = False  # LimeSurvey's own columns (lastpage, seed...) are there

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

#: A mapped name ``@F`` is the column at letter F, whatever its heading says.
_POSITION = re.compile(r"^@(?P<letter>[A-Za-z]{1,3})$")


def _letter_index(letter: str) -> int:
    index = 0
    for char in letter.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def _repeated_names(headings: Headings, repeated: frozenset[str], name: str) -> list[int]:
    """The columns of a heading; for one the file repeats, every copy (renamed ``Comune (2)``...)."""
    found = list(headings.by_name.get(name, []))
    if name not in repeated:
        return found
    number = 2
    while f"{name} ({number})" in headings.by_name:
        found += headings.by_name[f"{name} ({number})"]
        number += 1
    return sorted(set(found))


def _plain(headings: Headings, name: str, repeated: frozenset[str]) -> list[int]:
    """The columns a mapped name can mean: by position, exact heading, code, folded text."""
    position = _POSITION.match(name)
    if position is not None:
        index = _letter_index(position.group("letter"))
        return [index] if index < len(headings.columns) else []
    if name in headings.by_name:
        return _repeated_names(headings, repeated, name)
    if headings.carries_codes and name.casefold() in headings.by_code:
        return headings.by_code[name.casefold()]
    folded = fold(name)
    if folded in headings.by_folded:
        return headings.by_folded[folded]
    return headings.by_text.get(fold(flatten_text(name)), [])


def _family(headings: Headings, base: str) -> list[tuple[int, str]]:
    """Sub-columns ``base[x]`` (by code or by text, or ``base_x`` for codes) with their option."""
    found = headings.code_family.get(base.casefold()) if headings.carries_codes else None
    if not found:
        found = headings.text_family.get(fold(flatten_text(base)))
    if not found and re.fullmatch(r"\w+", base):
        found = headings.underscore_family.get(base)
    return list(found or [])


@dataclass
class _Ambiguous:
    """Mapped names that match more than one column, collected to report them together."""

    file: str
    config_file: str
    headings: Headings
    lines: list[str] = field(default_factory=list)

    def add(self, field_name: str, where: str, name: str, indexes: Sequence[int]) -> None:
        listed = ", ".join(describe_column(self.headings.columns, i) for i in indexes)
        self.lines.append("  " + _("{field}{where} = {name} matches {listed}", field=field_name, where=where,
                                     name=repr(name), listed=listed))

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        letter = column_letter(0)
        raise InputError(
            _("{file}: {count} mapped name(s) in {config_file} match more than one column, and mapgen "
              "never guesses which one:", file=self.file, count=len(self.lines), config_file=self.config_file)
            + "\n" + "\n".join(self.lines) + "\n"
            + _("The file repeats these headings (full question texts often repeat). Export the responses "
                "with question codes as headings (Headings: 'Question code' or 'Question code & question "
                "text'), or name the column by its letter in {config_file} "
                '(e.g. comune = "@{letter}" for column {letter}).', config_file=self.config_file, letter=letter)
        )


def _source(
    headings: Headings,
    field_name: str,
    name: str,
    repeated: frozenset[str],
    ambiguous: _Ambiguous,
    where: str,
) -> Source | None:
    plain = _plain(headings, name, repeated)
    if len(plain) > 1:
        ambiguous.add(field_name, where, name, plain)
        return None
    family = [] if _POSITION.match(name) else _family(headings, name)
    options = [option for _, option in family]
    if len(set(options)) < len(options):
        ambiguous.add(field_name, where, name, [i for i, _ in family])
        return None
    pairs = [(plain[0], "")] if plain else []
    pairs += [pair for pair in family if not plain or pair[0] != plain[0]]
    return Source(field_name, name, tuple(pairs)) if pairs else None


@dataclass
class _Missing:
    """Mapped names not found in the table, collected to report them together."""

    file: str
    config_file: str
    columns: Sequence[str]
    style: Style = "text"
    coded: bool = False
    lines: list[str] = field(default_factory=list)
    codes_in_text_file: bool = False

    def add(self, field_name: str, where: str, name: str) -> None:
        hint = _hint_for(name, self.columns)
        self.lines.append(f"  {field_name}{where} = {name!r}{hint}")
        if self.style == "text" and _CODE_LIKE.fullmatch(name) and hint == _("; nothing close") and not self.coded:
            self.codes_in_text_file = True

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        count = len(self.lines)
        raise InputError(
            ngettext("{file}: {count} column named in {config_file} is not in the file:",
                     "{file}: {count} columns named in {config_file} are not in the file:", count,
                     file=self.file, config_file=self.config_file) + "\n"
            + "\n".join(self.lines)
            + "\n" + _("Columns in the file: {listing}.", listing=_listing(self.columns, self.file)) + "\n"
            + (
                _("The file's headings are question texts but the mapping names question codes: "
                  'add structure = "<survey>.lss" (LimeSurvey\'s survey structure export) under '
                  "[survey], or export the responses with question codes as headings.") + "\n"
                if self.codes_in_text_file
                else ""
            )
            + _("Fix the names in {config_file}, or write a new one with: mapgen init-config {file}",
                config_file=self.config_file, file=self.file)
        )


#: How many of a file's columns an error line shows; the file's first row holds them all.
LISTED_COLUMNS: Final = 10


def _listing(columns: Sequence[str], file: str) -> str:
    """The first columns, and where the others are: an export has 80 or more."""
    shown = ", ".join(repr(c) for c in columns[:LISTED_COLUMNS])
    if len(columns) <= LISTED_COLUMNS:
        return shown
    return _("{shown} and {count} more (every column is in the first row of {file})", shown=shown,
             count=len(columns) - LISTED_COLUMNS, file=file)


#: A LimeSurvey question code: the group's code, then the question's (``G01Q03``, ``G2Q10``).
_QUESTION_CODE: Final = re.compile(r"(?P<group>(?P<letters>[A-Za-z]+)(?P<number>[0-9]+))(?P<question>[A-Za-z]+[0-9]+)")
_LEADING_CODE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _hint_for(name: str, columns: Sequence[str]) -> str:
    """``; closest 'X'``; for a question code whose closest column is in another group, the group's questions.

    ``G01Q99`` is nearer in spelling to ``G04Q09`` than to ``G01Q03``: a mistyped code is
    answered with the closest code of its own group (``G01``), else with that group's codes.
    """
    close = closest_column(name, columns)
    code = _QUESTION_CODE.fullmatch(name)
    if code is None or (close is not None and _group_of(close) == _group_of(name)):
        return _("; closest {name}", name=repr(close)) if close else _("; nothing close")
    same_group: dict[str, str] = {}
    for column in columns:
        if (code_of := _question_code(column)) is not None and _group_of(code_of) == _group_of(name):
            same_group.setdefault(code_of.group(), column)
    if not same_group:
        return _("; closest {name}", name=repr(close)) if close else _("; nothing close")
    listed = list(same_group.values())
    more = _(" and {count} more", count=len(listed) - LISTED_COLUMNS) if len(listed) > LISTED_COLUMNS else ""
    return _("; group {group} has {listed}{more}", group=code["group"],
             listed=", ".join(map(repr, listed[:LISTED_COLUMNS])), more=more)


def _question_code(column: str) -> re.Match[str] | None:
    """The question code a heading starts with: ``G01Q03``, ``G01Q03. Comune``, ``G01Q05[SQ001]``."""
    leading = _LEADING_CODE.match(column)
    return _QUESTION_CODE.fullmatch(leading.group()) if leading else None


def _group_of(column: str | re.Match[str]) -> tuple[str, int] | None:
    """``("g", 1)`` for the group of ``G01Q03`` or ``G1Q3``; None for a name that is not a question code."""
    code = _question_code(column) if isinstance(column, str) else column
    return (code["letters"].casefold(), int(code["number"])) if code is not None else None


def _resolve_group(
    headings: Headings,
    mapping: Mapping[str, str],
    where: str,
    missing: _Missing,
    ambiguous: _Ambiguous,
    repeated: frozenset[str],
) -> dict[str, Source]:
    resolved: dict[str, Source] = {}
    for field_name, name in mapping.items():
        if not name:
            continue  # "" = not in this export
        before = len(ambiguous.lines)
        source = _source(headings, field_name, name, repeated, ambiguous, where)
        if source is not None:
            resolved[field_name] = source
        elif len(ambiguous.lines) == before:
            missing.add(field_name, where, name)
    return resolved


def layout_from_mapping(
    columns: Sequence[str],
    survey: SurveyConfig,
    *,
    file: str,
    config_file: str,
    repeated: frozenset[str] = frozenset(),
    codes: Mapping[int, str] | None = None,
    texts: Mapping[int, str] | None = None,
) -> Layout:
    """The layout a mapping describes; every missing or ambiguous column is reported in one error.

    A mapped name is found by its exact heading, by question code (in code and
    code+text headings), by question text (in text and code+text headings) or,
    written ``@F``, by its column letter. ``repeated`` holds the headings the
    file repeats (the table reader renamed them ``Comune (2)``...): a name that
    could mean several columns is refused, never guessed. ``codes`` gives the
    question code of text headings, ``texts`` the question text of code
    headings, as the survey's structure file says.

    Raises
    ------
    InputError
        A mapped column is not in the table or matches several, or a required
        field is not mapped.
    """
    headings = Headings.of(columns, codes, texts)
    missing = _Missing(file, config_file, columns, headings.style, codes is not None)
    ambiguous = _Ambiguous(file, config_file, headings)
    shared = _resolve_group(headings, survey.columns, "", missing, ambiguous, repeated)
    practices = tuple(
        _resolve_group(headings, group, f" (practice {n})", missing, ambiguous, repeated)
        for n, group in enumerate(survey.practices or ({},), start=1)
    )
    ambiguous.raise_if_any()
    missing.raise_if_any()
    for required in REQUIRED_FIELDS:
        if not (survey.columns.get(required) or any(g.get(required) for g in survey.practices)):
            raise InputError(
                _("{config_file} maps no column to {required}, which every initiative needs. Add "
                  '{field} = "<column>" to [survey.columns] or [[survey.practices]]. Columns in '
                  "{file}: {listing}.",
                  config_file=config_file, required=repr(required), field=required, file=file,
                  listing=_listing(columns, file))
            )
    return _finish(headings, shared, practices, survey, repeated)


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
    return _finish(Headings.of(columns), shared, practices or ({},), survey, frozenset())


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
        hint = _("closest {name}", name=repr(close)) if close else _("nothing close")
        lines.append(f"{FIELD_HEADERS[name]!r} ({hint})")
    raise InputError(
        _("{file} has no column for {fields}, which every initiative needs. Columns in the file: "
          "{listing}. Rename the column, or map it in a mapping file (start one with: mapgen "
          "init-config {file}).", file=file, fields=_(" and ").join(lines), listing=_listing(columns, file))
    )


# --- shared ending ----------------------------------------------------------------------------


def _finish(
    headings: Headings,
    shared: Mapping[str, Source],
    practices: tuple[Mapping[str, Source], ...],
    survey: SurveyConfig,
    repeated: frozenset[str],
) -> Layout:
    columns = headings.columns
    id_index = _system_column(headings, survey.id, "id", repeated)
    submit_index = _system_column(headings, survey.submitdate, "submitdate", repeated)
    notes = []
    if id_index is None:
        notes.append(_l("no response id column: records are numbered by spreadsheet row"))
    if submit_index is None:
        notes.append(_l("no submitdate column: every response counts as complete"))
    alerts = []
    limesurvey = bool(headings.system_codes() & _LIMESURVEY_ONLY)
    if (id_index is None or submit_index is None) and limesurvey:
        alerts.append(INCOMPLETE_ALERT)
    contacts = {
        i
        for group in (shared, *practices)
        for s in group.values()
        if s.field in CONTACT_FIELDS
        for i, _ in s.columns
    }
    personal = {i for i, c in enumerate(columns) if fold(c) in PERSONAL_HEADERS} | contacts
    personal |= {i for code in ("ipaddr", "token", "refurl") for i in headings.system_column(code)}
    return Layout(
        dict(shared), practices, id_index, submit_index, frozenset(personal), tuple(notes),
        headings.style, tuple(alerts), limesurvey,
    )


def _system_column(
    headings: Headings, configured: str, code: str, repeated: frozenset[str]
) -> int | None:
    if configured and configured != code:
        found = _plain(headings, configured, repeated)
        if len(found) == 1:
            return found[0]
    found = headings.system_column(code)
    return found[0] if len(found) == 1 else None


def describe_column(columns: Sequence[str], index: int) -> str:
    """``"G01Q03" (D)``: the header and its spreadsheet letter."""
    return f'"{columns[index]}" ({column_letter(index)})'
