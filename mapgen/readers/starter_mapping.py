"""A starter mapping file written from a real export (``mapgen init-config``).

Headers are recognised by Italian keywords (``Titolo della pratica``, ``Comune
di appartenenza``, ``Area di intervento [Infanzia]``); headers that are bare
question codes (``G01Q03``) are placed from their values where the values say
clearly what they are (e-mail addresses, web sites, dates, amounts, ticked
option groups, Comune names). Whatever cannot be placed is written as ``""``
with a ``TODO`` comment, and unplaced columns are listed with a sample value.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mapgen.config import (
    CANONICAL_FIELDS,
    PRACTICE_FIELDS,
    REQUIRED_FIELDS,
    VOCABULARIES,
    check_config_target,
    save_config_text,
)
from mapgen.i18n import _, ngettext
from mapgen.readers import _values
from mapgen.readers._columns import ID_HEADERS, SUBMIT_HEADERS, split_subcolumn
from mapgen.readers._headings import SYSTEM_LABELS, Headings
from mapgen.readers.structure import SurveyStructure, read_structure
from mapgen.readers.table import Table, read_table
from mapgen.text import fold

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer

__all__ = [
    "DraftConfig",
    "PlaceNames",
    "draft_config",
    "draft_from_structure",
    "draft_mapping",
    "structure_reference",
    "write_draft_config",
]

_SAMPLE_ROWS = 300
#: LimeSurvey's own columns besides id and submitdate (folded), never mapped.
_SYSTEM: Final = frozenset(
    {
        "lastpage",
        "startlanguage",
        "seed",
        "token",
        "startdate",
        "datestamp",
        "ipaddr",
        "refurl",
        "interviewtime",
        "last page",
        "start language",
        "date started",
        "date last action",
        "ip address",
        "referrer url",
        "ultima pagina",
        "lingua iniziale",
        "seme",
    }
)

# (field, patterns on the folded header), first match wins; order matters.
_KEYWORDS: Final = (
    (
        "comuni_associati",
        r"\bcomuni (associati|aderenti|membri|dell|facenti|coinvolti|partecipanti)",
    ),
    (
        "titolo",
        r"\b(titolo|nome|denominazione) (della |del |dell )?"
        r"(pratica|progetto|iniziativa|intervento)",
    ),
    ("titolo", r"\btitolo\b"),
    (
        "tipo_ente",
        r"\b(tipo|tipologia|forma)\b.*\b(ente|soggetto|gestione|associat)|\bsingola o associata",
    ),
    ("denominazione_ente", r"\b(denominazione|nome)\b.*\b(ente|ambito|unione)\b|\bdenominazione\b"),
    ("aree_altro", r"\b(area|aree|ambiti?)\b.*\baltr[oae]\b"),
    ("fonti_altro", r"\b(fonte|fonti|finanziament\w*)\b.*\baltr[oae]\b"),
    ("aree", r"\b(area|aree)\b|\bambit[oi] di intervento\b|\btematic"),
    ("fonti", r"\bfont[ei]\b|\bfinanziament|\bfinanziat"),
    ("destinatari", r"\bdestinatari|\bbeneficiari|\btarget\b|\brivolt[oa]\b"),
    ("importo", r"\bimporto\b|\bcosto\b|\bspesa\b|\bbudget\b|\brisorse\b"),
    ("data_inizio", r"\b(inizio|avvio|attivazione)\b"),
    ("data_fine", r"\b(fine|conclusione|termine|scadenza)\b"),
    ("sito_web", r"\bsito\b|\bweb\b|\blink\b|\burl\b|\binternet\b"),
    ("email", r"\be ?mail\b|\bposta elettronica\b|\bpec\b"),
    ("telefono", r"\btelefono\b|\btel\b|\bcellulare\b|\brecapito telefonico\b"),
    (
        "referente",
        r"\breferente\b|\bresponsabile\b|\bcompilatore\b|\bnome e cognome\b|\bcontatto\b",
    ),
    ("descrizione", r"\bdescri(zione|vere|va)\b"),
    ("regione", r"\bregione\b"),
    ("provincia", r"\bprovincia\b"),
    ("comune", r"\bcomune\b"),
)


@dataclass(frozen=True, slots=True)
class PlaceNames:
    """Folded names of Comuni, provinces (with siglas) and regions, to recognise place columns."""

    comuni: frozenset[str] = frozenset()
    province: frozenset[str] = frozenset()
    regioni: frozenset[str] = frozenset()

    def is_comune(self, text: str) -> bool:
        """True for a Comune's name, also as ``Comune di X`` or ``X (LE)``."""
        folded = re.sub(r"^(comune|citta) (di )?|\s+[a-z]{2}$", "", fold(text))
        return folded in self.comuni

    def is_provincia(self, text: str) -> bool:
        """True for a sigla or a province name that is not also a Comune's (Forlì, Bolzano...)."""
        folded = re.sub(r"^provincia (di )?", "", fold(text))
        if folded in self.comuni and len(folded) > 2:
            return False  # a capoluogo's name says nothing about the column
        return folded in self.province

    def is_regione(self, text: str) -> bool:
        return re.sub(r"^regione ", "", fold(text)) in self.regioni


@dataclass(frozen=True, slots=True)
class _Question:
    """A plain column, or the sub-columns of one question, with their sample values."""

    name: str
    indexes: tuple[int, ...]
    options: tuple[str, ...]
    samples: tuple[str, ...]
    tick_samples: tuple[str, ...] = ()  # values of the options that are ticked, not typed
    label: str = ""  # the question text of a code+text heading, for the keywords

    @property
    def family(self) -> bool:
        return any(self.options)


@dataclass(frozen=True, slots=True)
class _Placed:
    field: str
    question: _Question
    why: str  # comment for the line


@dataclass(frozen=True)
class DraftConfig:
    """A starter mapping: its TOML text and what could and could not be placed."""

    text: str
    placed: tuple[str, ...]
    missing: tuple[str, ...]
    practices: int
    unplaced_columns: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One line, e.g. ``17 fields placed, 3 practice groups; TODO: telefono``."""
        todo = _("TODO: {fields}", fields=", ".join(self.missing)) if self.missing else _("nothing left to do")
        return _("{placed}, {groups}, {unused}; {todo}",
                 placed=ngettext("{count} field placed", "{count} fields placed", len(self.placed)),
                 groups=ngettext("{count} practice group", "{count} practice groups", self.practices),
                 unused=ngettext("{count} column not used", "{count} columns not used", len(self.unplaced_columns)),
                 todo=todo)


def draft_mapping(table: Table, *, places: PlaceNames | None = None) -> DraftConfig:
    """Recognise the table's headers (or values) and write a starter mapping.

    Parameters
    ----------
    table
        The export as read by :func:`mapgen.readers.table.read_table`.
    places
        Known place names, to place code-only columns of Comuni, provinces
        and regions; without them such columns are left as TODO.
    """
    questions, system = _questions(table)
    placed = _place(questions, places or PlaceNames())
    shared, practices = _arrange(placed)
    used = {p.question.name for group in (shared, *practices) for p in group.values()}
    for group in practices:
        _guess_texts(group, questions, used)
    placed = [p for group in (shared, *practices) for p in group.values()]
    unplaced = [q for q in questions if q.name not in used]
    text = _render(table, system, shared, practices, unplaced)
    repeated = sorted({i.column for i in table.issues if "appears more than once" in i.message.msgid})
    if repeated:
        text = (
            f"# TODO: the export repeats {len(repeated)} heading(s) ({', '.join(map(repr, repeated[:3]))}"
            f"{', ...' if len(repeated) > 3 else ''}), which mapgen will not guess between.\n"
            "# Run init-config again with --structure <survey>.lss (LimeSurvey: Export > Survey "
            "structure),\n# or export the responses with question codes as headings.\n" + text
        )
    fields_placed = sorted({p.field for p in placed}, key=CANONICAL_FIELDS.index)
    wanted = [f for f in CANONICAL_FIELDS if not f.endswith("_altro")]
    return DraftConfig(
        text=text,
        placed=tuple(fields_placed),
        missing=tuple(f for f in wanted if f not in fields_placed),
        practices=max(1, len(practices)),
        unplaced_columns=tuple(q.name for q in unplaced),
    )


# --- columns to questions ----------------------------------------------------------------------


def _questions(table: Table) -> tuple[list[_Question], dict[str, str]]:
    """Group sub-columns into questions; set LimeSurvey's own columns apart."""
    order: list[str] = []
    members: dict[str, list[tuple[int, str]]] = {}
    labels: dict[str, str] = {}
    system: dict[str, str] = {}
    headings = Headings.of(table.columns)
    # LimeSurvey's own columns in any heading mode and language (Antwort ID, Date submitted...)
    own = {i: code for code in SYSTEM_LABELS for i in headings.system_column(code)}
    for index, column in enumerate(table.columns):
        folded = fold(column)
        heading = headings.parsed[index]
        if index in own:
            if own[index] in ("id", "submitdate"):
                value = own[index] if headings.style == "codetext" else column
                system.setdefault(own[index], value)
            continue
        if headings.style == "codetext" and heading.code:
            # "G02Q01. Titolo della pratica": named by code, recognised by text
            if heading.code in ("id", "submitdate"):
                system.setdefault(heading.code, heading.code)
                continue
            if heading.base_code in _SYSTEM or re.fullmatch(r"\w*time", heading.base_code.casefold()):
                continue
            base, option = heading.base_code, heading.sub_code
            labels.setdefault(base, heading.base_text)
        elif folded in ID_HEADERS or folded in SUBMIT_HEADERS:
            system.setdefault("id" if folded in ID_HEADERS else "submitdate", column)
            continue
        elif folded in _SYSTEM or re.fullmatch(r"\w*time", folded):
            continue
        else:
            base, option = split_subcolumn(column) or (column, "")
        if base not in members:
            order.append(base)
            members[base] = []
        members[base].append((index, option))
    rows = table.rows[:_SAMPLE_ROWS]
    questions = [_question(base, members[base], rows) for base in order]
    return [replace(q, label=labels.get(q.name, "")) for q in questions], system


def _is_typed_option(option: str) -> bool:
    """``other`` and ``…comment`` sub-columns hold typed text, not ticks."""
    return fold(option) in ("other", "altro") or "comment" in option.casefold()


def _question(
    base: str, members: list[tuple[int, str]], rows: Sequence[Sequence[str]]
) -> _Question:
    indexes = tuple(i for i, _ in members)
    samples = tuple(row[i].strip() for row in rows for i in indexes if row[i].strip())
    ticked = [i for i, option in members if option and not _is_typed_option(option)]
    ticks = tuple(row[i].strip() for row in rows for i in ticked if row[i].strip())
    return _Question(base, indexes, tuple(o for _, o in members), samples, ticks)


# --- placing ------------------------------------------------------------------------------------


def _by_header(question: _Question) -> str | None:
    folded = fold(question.label or question.name)
    for field_name, pattern in _KEYWORDS:
        if re.search(pattern, folded):
            return field_name
    return None


def _share(samples: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(1 for s in samples if test(s)) / len(samples) if samples else 0.0


def _is_date(text: str) -> bool:
    try:
        _values.parse_date(text)
    except ValueError:
        return False
    return True


def _is_amount(text: str) -> bool:
    try:
        _values.parse_amount(text)
    except ValueError:
        return False
    return not re.fullmatch(r"[A-Z]\d+", text)


def _is_phone(text: str) -> bool:
    """Italian numbers: landlines start with 0, mobiles with 3, maybe after +39."""
    digits = sum(ch.isdigit() for ch in text)
    return bool(re.fullmatch(r"(\+39\s?)?[03][\d\s/.-]+", text)) and 8 <= digits <= 13


def _value_tests(places: PlaceNames) -> list[tuple[str, str, Callable[[str], bool]]]:
    """(field, what the values are, test), tried in order; the first that fits wins."""
    return [
        ("email", "e-mail addresses", lambda s: bool(re.fullmatch(r"\S+@\S+\.\S+", s))),
        ("sito_web", "web addresses", lambda s: bool(re.match(r"(https?://|www\.)", s, re.I))),
        ("data_inizio", "dates", _is_date),
        ("telefono", "phone numbers", _is_phone),
        ("importo", "amounts", _is_amount),
        ("regione", "region names", places.is_regione),
        ("provincia", "provinces", places.is_provincia),
        ("comune", "Comune names", places.is_comune),
    ]


def _by_values(question: _Question, places: PlaceNames) -> tuple[str, str] | None:
    """Place a code-only column from what its cells hold; return the field and why."""
    if not question.samples:
        return None
    if question.family:
        return _family_by_values(question, places)
    for field_name, why, test in _value_tests(places):
        if _share(question.samples, test) >= 0.6:
            return field_name, f"guessed from the values ({why})"
    return None


def _family_by_values(question: _Question, places: PlaceNames) -> tuple[str, str] | None:
    ticks = _share(question.tick_samples, lambda s: _values.is_yes(s) or _values.is_no(s))
    real = [o for o in question.options if o and not _is_typed_option(o)]
    if ticks >= 0.9:
        field_name = {
            len(VOCABULARIES["aree"]) - 1: "aree",
            len(VOCABULARIES["fonti"]) - 1: "fonti",
        }
        if len(real) in field_name:
            return field_name[len(real)], f"guessed: {len(real)} ticked options"
    if _share(question.samples, places.is_comune) >= 0.5:
        return "comuni_associati", "guessed from the values (Comune names)"
    return None


def _place(questions: Sequence[_Question], places: PlaceNames) -> list[_Placed]:
    placed: list[_Placed] = []
    for question in questions:
        field_name = _by_header(question)
        if field_name is not None:
            placed.append(_Placed(field_name, question, _sample_comment(question)))
            continue
        guess = _by_values(question, places)
        if guess is not None:
            placed.append(_Placed(guess[0], question, f"{guess[1]}; {_sample_comment(question)}"))
    return _split_dates(placed)


def _split_dates(placed: list[_Placed]) -> list[_Placed]:
    """Dates guessed from values come in pairs: the second of a pair is the end date."""
    result: list[_Placed] = []
    for item in placed:
        previous = result[-1].field if result else ""
        if item.why.startswith("guessed") and item.field == previous == "data_inizio":
            item = _Placed("data_fine", item.question, item.why)
        result.append(item)
    return result


_CODE_GROUP = re.compile(r"^(G\d+)Q\d+")


def _practice_numbers(items: Sequence[_Placed]) -> list[int]:
    """Which practice each practice-field column belongs to.

    LimeSurvey codes say it by their group (``G02Q01``, ``G03Q01`` -> 1, 2); texts
    by their last number (``Titolo della pratica 2``, ``Titolo (2)``, ``area2``);
    a name without number is practice 1.
    """
    codes = {m.group(1) for i in items if (m := _CODE_GROUP.match(i.question.name))}
    groups = sorted(codes, key=lambda g: int(g[1:]))
    numbers: list[int] = []
    for item in items:
        code = _CODE_GROUP.match(item.question.name)
        digits = [int(d) for d in re.findall(r"\d+", fold(item.question.name)) if int(d) <= 20]
        if code:
            numbers.append(groups.index(code.group(1)) + 1)
        else:
            numbers.append(max(1, digits[-1]) if digits else 1)
    return numbers


def _arrange(placed: Sequence[_Placed]) -> tuple[dict[str, _Placed], list[dict[str, _Placed]]]:
    """Shared fields keep their first column; practice fields go to their practice group."""
    shared: dict[str, _Placed] = {}
    for item in placed:
        if item.field not in PRACTICE_FIELDS:
            shared.setdefault(item.field, item)
    items = [item for item in placed if item.field in PRACTICE_FIELDS]
    numbers = _practice_numbers(items)
    practices: list[dict[str, _Placed]] = [{} for _ in range(max(numbers, default=0))]
    for item, number in zip(items, numbers, strict=True):
        practices[number - 1].setdefault(item.field, item)
    return shared, [group for group in practices if group]


def _guess_texts(group: dict[str, _Placed], questions: Sequence[_Question], used: set[str]) -> None:
    """Code-only headers: a group's first short text is the title, its longest the description.

    The LimeSurvey group (``G02`` in ``G02Q05``) of the practice's placed columns
    tells which unplaced text questions belong to it.
    """
    prefixes = {m.group(1) for p in group.values() if (m := _CODE_GROUP.match(p.question.name))}
    if len(prefixes) != 1 or ("titolo" in group and "descrizione" in group):
        return
    prefix = prefixes.pop()
    texts = [
        q
        for q in questions
        if q.name not in used
        and not q.family
        and q.name.startswith(prefix)
        and q.samples
        and not all(_values.is_yes(s) or _values.is_no(s) for s in q.samples)
    ]
    if not texts:
        return

    def mean_length(q: _Question) -> float:
        return sum(map(len, q.samples)) / len(q.samples)

    longest = max(texts, key=mean_length)
    short = next((q for q in texts if mean_length(q) <= 100 and q is not longest), None)
    for name, question in (("descrizione", longest), ("titolo", short)):
        if question is not None and name not in group and mean_length(question) > 0:
            item = _Placed(
                name, question, f"guessed: text of group {prefix}; {_sample_comment(question)}"
            )
            group[name] = item
            used.add(question.name)


def _sample_comment(question: _Question) -> str:
    if question.family:
        options = ", ".join(question.options[:6]) + (", …" if len(question.options) > 6 else "")
        return f"options: {options}"
    value = next((s for s in question.samples if s), "")
    value = " ".join(value.split())
    return f"e.g. {value[:40]!r}" if value else "empty in this file"


# --- writing ------------------------------------------------------------------------------------


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _string(text)


def _line(field_name: str, item: _Placed | None) -> str:
    if item is None:
        need = "required" if field_name in REQUIRED_FIELDS else "optional"
        return f'{field_name} = ""  # TODO ({need}): not found; write the column\'s header'
    return f"{field_name} = {_string(item.question.name)}  # {item.why}"


def _render(
    table: Table,
    system: dict[str, str],
    shared: dict[str, _Placed],
    practices: list[dict[str, _Placed]],
    unplaced: Sequence[_Question],
) -> str:
    edition = _edition(table, system)
    lines = _head(table, system, edition)
    lines += ["", "[survey.columns]  # fields shared by all the practices of a response"]
    lines += [_line(f, shared.get(f)) for f in CANONICAL_FIELDS if f not in PRACTICE_FIELDS]
    for number, group in enumerate(practices or [{}], start=1):
        lines += ["", f"[[survey.practices]]  # practice {number}"]
        lines += [
            _line(f, group.get(f))
            for f in PRACTICE_FIELDS
            if f in group or not f.endswith("_altro")
        ]
    lines += _choices(table, [*shared.values(), *(p for g in practices for p in g.values())])
    lines += _tail(edition, unplaced)
    return "\n".join(lines) + "\n"


def _edition(table: Table, system: dict[str, str]) -> int:
    found = Headings.of(table.columns).system_column("submitdate") if system else []
    if "submitdate" not in system or not found:
        return 2020
    index = found[0]
    years = Counter(
        m.group(0) for row in table.rows if (m := re.search(r"(19|20)\d\d", row[index]))
    )
    return int(years.most_common(1)[0][0]) if years else 2020


def _head(table: Table, system: dict[str, str], edition: int) -> list[str]:
    lines = [
        f"# mapgen mapping for {table.name} ({table.describe()}).",
        "# Written by `mapgen init-config`: check every line against the questionnaire.",
        '# A field = "" is not in this export; TODO marks what could not be placed.',
        f"# Then run: mapgen validate {table.name} --config <this file>",
        "",
        "[survey]",
        f"edition = {edition}",
    ]
    if table.format == "xlsx":
        lines.append(f"sheet = {_string(table.sheet)}")
    for key in ("id", "submitdate"):
        if key in system:
            lines.append(f"{key} = {_string(system[key])}")
        else:
            lines.append(f'{key} = ""  # not found: {_missing_system(key)}')
    return lines


def _missing_system(key: str) -> str:
    if key == "id":
        return "records will be numbered by spreadsheet row"
    return "every response will count as complete"


def _choices(table: Table, placed: Iterable[_Placed]) -> list[str]:
    """Code -> value tables for option codes and answer codes that are not labels."""
    lines: list[str] = []
    done: set[str] = set()
    for item in placed:
        name = item.field
        if name in done or name not in VOCABULARIES:
            continue
        keys = _codes(item.question, name)
        if not keys:
            continue
        done.add(name)
        lines += ["", f"[survey.choices.{name}]  # check: codes assumed in questionnaire order"]
        vocabulary = VOCABULARIES[name]
        for n, code in enumerate(keys):
            value = (
                "altro"
                if fold(code) in ("other", "altro")
                else vocabulary[min(n, len(vocabulary) - 1)]
            )
            lines.append(f"{_key(code)} = {_string(value)}")
    return lines


def _codes(question: _Question, name: str) -> list[str]:
    """The codes of a question that are not already vocabulary labels."""
    if question.family:
        candidates = [o for o in question.options if "comment" not in o]
    else:
        candidates = sorted({s for s in question.samples if re.fullmatch(r"[A-Za-z]?\d{1,3}", s)})
    unknown = [c for c in candidates if _values.match_vocabulary(name, c) is None]
    return candidates if unknown and fold(unknown[0]) not in ("other", "altro") else []


def _tail(edition: int, unplaced: Sequence[_Question]) -> list[str]:
    lines = [
        "",
        "[previous]  # the previous edition's uMap layer",
        f"edition = {edition - 1}",
        "initiative_layers = []  # names of the layers that hold initiatives",
        "",
        "[output]",
        "include_contacts = false  # contacts are personal data: keep false for public maps",
        "layers_by_area = false",
    ]
    if unplaced:
        lines += ["", "# Columns not used (kept in the records' properties):"]
        lines += [f"#   {q.name!r}: {_sample_comment(q)}" for q in unplaced]
    return lines


# --- from the survey structure file ------------------------------------------------------------


def draft_from_structure(
    table: Table, structure: SurveyStructure, *, structure_path: str = ""
) -> DraftConfig:
    """A starter mapping made from the questions of LimeSurvey's structure file.

    Each question's text (base language) is recognised by the same Italian
    keywords as headers are; questions of one question group that describe a
    practice form one ``[[survey.practices]]``. Columns are named by question
    code, so the mapping reads every export shape of the survey (with
    ``structure`` set, which this draft does), and option codes get their
    values from the answer options and sub-question texts.
    """
    shared: dict[str, _Placed] = {}
    by_group: dict[str, dict[str, _Placed]] = {}
    for question in structure.questions:
        text = question.texts.get(structure.language) or next(iter(question.texts.values()), "")
        field_name = _by_header(_Question(text, (), (), ()))
        if field_name is None:
            continue
        options = tuple(code for code, _ in question.subquestions)
        placed = _Placed(field_name, _Question(question.code, (), options, ()),
                         f"{_clip_text(text)} in {structure.file}")  # fmt: skip
        if field_name in PRACTICE_FIELDS:
            by_group.setdefault(question.group, {}).setdefault(field_name, placed)
        else:
            shared.setdefault(field_name, placed)
    practices = list(by_group.values())
    system = {"id": "id", "submitdate": "submitdate"}
    lines = _head(table, system, _edition_of(table))
    lines.insert(lines.index("[survey]") + 2, f"structure = {_string(structure_path or structure.file)}")
    lines += ["", "[survey.columns]  # fields shared by all the practices of a response"]
    lines += [_line(f, shared.get(f)) for f in CANONICAL_FIELDS if f not in PRACTICE_FIELDS]
    for number, group in enumerate(practices or [{}], start=1):
        lines += ["", f"[[survey.practices]]  # practice {number}"]
        lines += [_line(f, group.get(f)) for f in PRACTICE_FIELDS
                  if f in group or not f.endswith("_altro")]  # fmt: skip
    lines += _structure_choices(structure, [*shared.values(), *(p for g in practices for p in g.values())])
    lines += _tail(_edition_of(table), [])
    fields_placed = sorted({p.field for g in (shared, *practices) for p in g.values()},
                           key=CANONICAL_FIELDS.index)  # fmt: skip
    wanted = [f for f in CANONICAL_FIELDS if not f.endswith("_altro")]
    return DraftConfig(
        text="\n".join(lines) + "\n",
        placed=tuple(fields_placed),
        missing=tuple(f for f in wanted if f not in fields_placed),
        practices=max(1, len(practices)),
    )


def _clip_text(text: str, limit: int = 50) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _edition_of(table: Table) -> int:
    headings = Headings.of(table.columns)
    found = headings.system_column("submitdate")
    return _edition(table, {"submitdate": table.columns[found[0]]} if found else {})


def _structure_choices(structure: SurveyStructure, placed: Iterable[_Placed]) -> list[str]:
    """``SQ001 = "infanzia"``: option codes with the vocabulary value of their text."""
    lines: list[str] = []
    done: set[str] = set()
    for item in placed:
        name = item.field
        question = structure.question(item.question.name)
        if name in done or name not in VOCABULARIES or question is None:
            continue
        done.add(name)
        options = [*question.subquestions, *((a.code, a.texts) for a in question.answers)]
        if not options:
            continue
        lines += ["", f"[survey.choices.{name}]  # from the answer options in {structure.file}"]
        for code, texts in options:
            text = texts.get(structure.language) or next(iter(texts.values()), "")
            value = _values.match_vocabulary(name, text)
            comment = "" if value else f"  # TODO: {_clip_text(text)} is none of the values"
            lines.append(f"{_key(code)} = {_string(value or '')}{comment}")
        if question.other:
            lines.append('other = "altro"')
    return lines


def draft_config(
    survey: Path | str,
    *,
    sheet: str | None = None,
    gazetteer: Gazetteer | None = None,
    structure: Path | str | None = None,
    structure_path: str = "",
) -> DraftConfig:
    """Write a starter mapping for a real export by recognising its headers.

    Headers are recognised by Italian keywords; bare question codes are placed
    from their values where these are clear (e-mails, dates, amounts, ticked
    options, place names). What cannot be placed is left as ``""`` with a TODO.

    Parameters
    ----------
    survey
        The export (CSV or XLSX).
    sheet
        XLSX only: the sheet to read; the first by default.
    gazetteer
        Place names used to recognise Comune, province and region columns;
        the shipped gazetteer by default.
    structure
        LimeSurvey's survey structure file (``.lss``): the draft is made from
        its question texts and answer options instead of the export's headers.
    structure_path
        How the mapping names the structure file (relative to the mapping).

    Returns
    -------
    DraftConfig
        The TOML text (``.text``) and what was and was not placed.
    """
    from mapgen.gazetteer import load_gazetteer

    table = read_table(survey, sheet=sheet)
    if structure is not None:
        return draft_from_structure(table, read_structure(structure),
                                    structure_path=structure_path)  # fmt: skip
    return draft_mapping(table, places=_place_names(gazetteer or load_gazetteer()))


def write_draft_config(
    survey: Path, out: Path, *, sheet: str | None = None, structure: Path | None = None, force: bool = False
) -> DraftConfig:
    """Write the starter mapping of :func:`draft_config` to ``out`` (``mapgen init-config``).

    ``out`` is checked before the export is read (never the survey itself, never an existing
    file without ``force``) and written whole or not at all; the mapping names ``structure``
    relative to its own folder, with ``/``, so the two can move together.
    """
    check_config_target(out, survey=survey, force=force)  # before reading a large export
    reference = structure_reference(str(structure), str(out.parent or ".")) if structure else ""
    draft = draft_config(survey, sheet=sheet, structure=structure, structure_path=reference)
    save_config_text(draft.text, out, survey=survey, force=force)
    return draft


def structure_reference(structure: str, folder: str, *, paths: Any = os.path) -> str:
    """How the mapping in ``folder`` names ``structure``: relative, with ``/`` (TOML needs no escape).

    On Windows a file on another drive (``D:\\dati``, the mapping on ``C:``) has no relative
    path: its absolute one is written, with ``/`` too. ``paths`` is ``os.path`` (``ntpath`` in
    the tests of the Windows case).
    """
    try:
        found = paths.relpath(structure, folder)
    except ValueError:  # "path is on mount 'D:', start on mount 'C:'"
        found = paths.abspath(structure)
    return str(found).replace(paths.sep, "/")


def _place_names(gazetteer: Gazetteer) -> PlaceNames:
    provinces = {fold(n) for p in gazetteer.provinces for n in (p.name, p.sigla, *p.aliases)}
    regions = {fold(n) for r in gazetteer.regions for n in (r.name, *r.aliases, *r.name.split("/"))}
    return PlaceNames(
        comuni=frozenset(fold(c.name) for c in gazetteer.active()),
        province=frozenset(provinces),
        regioni=frozenset(regions),
    )
