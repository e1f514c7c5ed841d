"""Read LimeSurvey's survey structure file (``.lss``): groups, questions, sub-questions, answers.

The ``.lss`` is the XML "Survey structure" export. It holds one element per
database table; each table lists its ``<fields>`` and then its ``<rows>``, one
child per column with the value in CDATA. Two layouts exist:

* LimeSurvey 4 and later (``DBVersion`` 400+): texts live in ``*_l10ns`` tables
  (``group_l10ns``, ``question_l10ns``, ``answer_l10ns``), one row per language;
* before 4: ``groups``, ``questions``, ``subquestions`` and ``answers`` repeat
  each row once per language with a ``language`` column and the text in it.

:func:`read_structure` reads both into one :class:`SurveyStructure`, which
knows, for every column of a response export, its code (``G01Q03``,
``area[SQ001]``) and its heading text in each language (``Area [Infanzia]``),
so that a text-headed export can be read with a mapping written in codes.
"""

from __future__ import annotations

import re
import stat
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

from mapgen.errors import InputError, UnreadableFileError
from mapgen.i18n import _
from mapgen.readers._headings import ELLIPSIS, Headings, flatten_text
from mapgen.readers.table import _file_kind
from mapgen.text import fold

__all__ = ["Answer", "ExportColumn", "Question", "SurveyStructure", "read_structure"]

#: A structure file is a few hundred KB; anything far larger is not one.
MAX_BYTES: Final = 50_000_000
#: Question types whose sub-questions each get a column (multiple choice, arrays, multi-texts).
_SUBQUESTION_TYPES: Final = frozenset("MPQKFABCEH1:;")
#: Types with answer options (lists, arrays, dropdowns).
_OTHER_TYPES: Final = frozenset("LM!P")
#: LimeSurvey's heading label of an "other" column, by language.
OTHER_LABELS: Final = {"it": "Altro", "en": "Other", "de": "Sonstiges", "fr": "Autre", "es": "Otro"}
_RENAMED: Final = re.compile(r"^(?P<name>.+) \((?P<n>\d+)\)$")


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer option: its code and its text in each language."""

    code: str
    texts: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Question:
    """A question with its sub-questions (code -> texts) and answer options, in survey order."""

    qid: str
    code: str
    type: str
    group: str
    texts: Mapping[str, str]
    subquestions: tuple[tuple[str, Mapping[str, str]], ...] = ()
    answers: tuple[Answer, ...] = ()
    other: bool = False


@dataclass(frozen=True, slots=True)
class ExportColumn:
    """One column of a response export: ``code`` as in code headings, heading ``texts`` by language."""

    code: str
    question: str
    option: str
    texts: Mapping[str, str]
    sub_texts: Mapping[str, str]


@dataclass(frozen=True)
class SurveyStructure:
    """What a ``.lss`` says about a survey: languages, title, groups and questions in order."""

    file: str
    db_version: int
    languages: tuple[str, ...]
    titles: Mapping[str, str]
    groups: Mapping[str, Mapping[str, str]]
    questions: tuple[Question, ...]

    @property
    def language(self) -> str:
        """The survey's base language (the first listed)."""
        return self.languages[0] if self.languages else ""

    @cached_property
    def _by_code(self) -> dict[str, Question]:
        found: dict[str, Question] = {}
        for question in self.questions:
            found.setdefault(question.code.casefold(), question)
        return found

    def question(self, code: str) -> Question | None:
        """The question with this code (case ignored), if any."""
        return self._by_code.get(code.casefold())

    def export_columns(self) -> list[ExportColumn]:
        """The columns a response export has for the questions, in LimeSurvey's order."""
        columns: list[ExportColumn] = []
        for q in self.questions:
            if q.type in _SUBQUESTION_TYPES and q.subquestions:
                for sub, texts in q.subquestions:
                    columns.append(ExportColumn(f"{q.code}[{sub}]", q.code, sub, q.texts, texts))
                    if q.type == "P":
                        comment = {k: f"{v} comment" for k, v in texts.items()}
                        columns.append(
                            ExportColumn(f"{q.code}[{sub}comment]", q.code, f"{sub}comment",
                                         q.texts, comment)
                        )
            else:
                columns.append(ExportColumn(q.code, q.code, "", q.texts, {}))
            if q.other and q.type in _OTHER_TYPES:
                other = {language: OTHER_LABELS.get(language[:2], "Other") for language in q.texts}
                columns.append(ExportColumn(f"{q.code}[other]", q.code, "other", q.texts, other))
        return columns

    def code_texts(self, columns: Sequence[str]) -> dict[int, str]:
        """The full-text heading (base language) of each code heading this structure explains.

        So that a mapping written with question texts reads a code-headed export.
        """
        headings = Headings.of(columns)
        if headings.style == "text":
            return {}
        by_code = {c.code.casefold(): c for c in self.export_columns()}
        found = {}
        for index, heading in enumerate(headings.parsed):
            column = by_code.get(heading.code.casefold()) if heading.code else None
            if column is not None and not heading.text:
                found[index] = _heading_text(column, self.language)
        return found

    def heading_codes(
        self, columns: Sequence[str], repeated: frozenset[str] = frozenset()
    ) -> dict[int, str]:
        """The question code of each text heading in ``columns`` that this structure explains.

        Full and abbreviated (``Titolo della pr..``) headings in any of the
        survey's languages are understood. A text shared by several columns
        (the same question in two repeated groups) is given to them in survey
        order when the file has as many such columns as the survey; ``repeated``
        holds the headings the table reader renamed ``Titolo (2)``, read as written.
        """
        headings = Headings.of([_unrenamed(c, repeated) for c in columns])
        if headings.style != "text":
            return {}
        expected = self.export_columns()
        by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
        for column in expected:
            for language, text in column.texts.items():
                if not text:  # a language the question was not translated into
                    continue
                subs = [column.sub_texts.get(language, "")]
                if column.option == "other":  # the label is in the export's language
                    subs += OTHER_LABELS.values()
                for sub in subs:
                    key = (fold(text), fold(sub))
                    if column.code not in by_key[key]:
                        by_key[key].append(column.code)
        found: dict[int, list[str]] = {}
        for index, heading in enumerate(headings.parsed):
            key = (fold(heading.base_text), fold(heading.sub_text))
            found[index] = by_key.get(key) or _abbreviated(heading.base_text, heading.sub_text,
                                                           by_key)  # fmt: skip
        return _assign_in_order(found)


def _heading_text(column: ExportColumn, language: str) -> str:
    text = column.texts.get(language) or next((t for t in column.texts.values() if t), "")
    sub = column.sub_texts.get(language) or next((t for t in column.sub_texts.values() if t), "")
    return f"{text} [{sub}]" if sub else text


def _unrenamed(header: str, repeated: frozenset[str]) -> str:
    match = _RENAMED.match(header)
    return match.group("name") if match and match.group("name") in repeated else header


def _abbreviated(base: str, sub: str, by_key: Mapping[tuple[str, str], list[str]]) -> list[str]:
    """Codes whose texts start like an abbreviated heading (``Area di interve.. [Infan..]``)."""
    if not (base.endswith(ELLIPSIS) or sub.endswith(ELLIPSIS)):
        return []
    base_prefix, sub_prefix = fold(base.removesuffix(ELLIPSIS)), fold(sub.removesuffix(ELLIPSIS))
    codes: list[str] = []
    for (text, sub_text), found in by_key.items():
        base_ok = text.startswith(base_prefix) if base.endswith(ELLIPSIS) else text == fold(base)
        sub_ok = sub_text.startswith(sub_prefix) if sub.endswith(ELLIPSIS) else sub_text == fold(sub)
        if base_ok and sub_ok:
            codes += [c for c in found if c not in codes]
    return codes


def _assign_in_order(found: Mapping[int, list[str]]) -> dict[int, str]:
    """One code per column: unique matches as they are, shared texts in order of appearance."""
    codes: dict[int, str] = {}
    sharing: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, candidates in found.items():
        if len(candidates) == 1:
            codes[index] = candidates[0]
        elif candidates:
            sharing[tuple(candidates)].append(index)
    for shared_codes, indexes in sharing.items():
        if len(indexes) == len(shared_codes):
            codes.update(zip(indexes, shared_codes, strict=True))
    return codes


# --- reading the XML ---------------------------------------------------------------------------

Rows = list[dict[str, str]]


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, at most :data:`MAX_BYTES`; anything but a regular file is refused unopened.

    Opening a named pipe would block until something writes to it, and ``/dev/zero`` never
    ends (the table reader refuses both the same way).
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(_("{path} is {kind}, not a file. Give the survey structure "
                                        "file (.lss) as structure in the config or with --structure.",
                                        path=path, kind=_file_kind(info.st_mode)))
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # the file may grow while read
    except OSError as exc:
        raise UnreadableFileError(
            _("{path}: cannot read the survey structure file ({reason}). Check the path given "
              "as structure in the config or with --structure.", path=path, reason=exc.strerror)
        ) from None
    if len(data) > MAX_BYTES:
        raise UnreadableFileError(
            _("{file}: over {mb} MB, too large for a survey structure file. Export it again from "
              "LimeSurvey: Survey > Export > Survey structure (.lss).", file=path.name, mb=MAX_BYTES // 1000000)
        )
    return data


def _parse(data: bytes, name: str) -> ET.Element:
    """The XML's root, parsed by expat with DTDs, entities and external references refused.

    defusedxml refuses them in the parser itself, after decoding, so a DOCTYPE is found in
    any encoding (UTF-16 hid it from a byte search) and anywhere in the file.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root: ET.Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnreadableFileError(
            _("{name}: declares a DOCTYPE or entities, which LimeSurvey never writes; not read. Export "
              "the survey structure (.lss) from LimeSurvey again.", name=name)
        ) from None
    except ET.ParseError as exc:
        raise UnreadableFileError(
            _("{name}: not a readable XML file ({error}). Export the survey structure (.lss) from "
              "LimeSurvey again; a response export (.csv) is not a structure file.", name=name, error=exc)
        ) from None
    except (ValueError, LookupError) as exc:  # an encoding expat cannot read: "multi-byte encodings..."
        raise UnreadableFileError(
            _("{name}: written in an encoding that cannot be read ({error}). LimeSurvey writes UTF-8: "
              "export the survey structure (.lss) again.", name=name, error=exc)
        ) from None
    return root


def read_structure(path: Path | str) -> SurveyStructure:
    """Read a LimeSurvey survey structure file (``.lss``), either layout.

    Raises
    ------
    UnreadableFileError
        The file is missing, too large, not XML, or not a LimeSurvey survey structure.
    """
    path = Path(path)
    name = path.name
    root = _parse(_read_bytes(path), name)
    if root.tag != "document" or (root.findtext("LimeSurveyDocType") or "").strip() != "Survey":
        raise UnreadableFileError(
            _("{name}: not a LimeSurvey survey structure (.lss): no <LimeSurveyDocType>Survey. In "
              "LimeSurvey: Survey > Export > Survey structure (.lss).", name=name)
        )
    tables = {child.tag: _rows(child) for child in root if child.find("rows") is not None}
    languages = tuple(
        (e.text or "").strip() for e in root.iterfind("languages/language") if (e.text or "").strip()
    )
    base = next((r.get("language", "") for r in tables.get("surveys", []) if r.get("language")), "")
    if base in languages:  # the survey's base language first
        languages = (base, *(lang for lang in languages if lang != base))
    version = (root.findtext("DBVersion") or "0").strip()
    structure = SurveyStructure(
        file=name,
        db_version=int(version) if version.isdecimal() else 0,  # "²".isdigit(), yet int() fails
        languages=languages,
        titles={r.get("surveyls_language", ""): flatten_text(r.get("surveyls_title", ""))
                for r in tables.get("surveys_languagesettings", [])},
        groups=_groups(tables),
        questions=_questions(tables),
    )
    if not structure.questions:
        raise InputError(_("{name}: the survey structure holds no question. Export it again.", name=name))
    return structure


def _rows(table: ET.Element) -> Rows:
    return [{cell.tag: cell.text or "" for cell in row} for row in table.iterfind("rows/row")]


def _texts(rows: Iterable[Mapping[str, str]], key: str, text: str) -> dict[str, dict[str, str]]:
    """id -> {language: flattened text} from rows holding ``key``, ``language`` and ``text``."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows:
        if key in row and text in row:
            found[row[key]][row.get("language", "")] = flatten_text(row[text])
    return found


def _groups(tables: Mapping[str, Rows]) -> dict[str, dict[str, str]]:
    rows = [*tables.get("groups", []), *tables.get("group_l10ns", [])]
    return _texts(rows, "gid", "group_name")


def _order(row: Mapping[str, str], key: str) -> int:
    value = row.get(key, "")
    return int(value) if re.fullmatch(r"-?\d+", value) else 0


def _questions(tables: Mapping[str, Rows]) -> tuple[Question, ...]:
    question_rows = [*tables.get("questions", []), *tables.get("subquestions", [])]
    texts = _texts([*question_rows, *tables.get("question_l10ns", [])], "qid", "question")
    group_order = {r["gid"]: _order(r, "group_order") for r in tables.get("groups", []) if "gid" in r}
    first: dict[str, dict[str, str]] = {}
    for row in question_rows:  # old layout: one row per language; keep the first of each qid
        if "qid" in row:
            first.setdefault(row["qid"], row)
    parents = [r for r in first.values() if r.get("parent_qid", "0") in ("0", "")]
    children: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in first.values():
        if row.get("parent_qid", "0") not in ("0", ""):
            children[row["parent_qid"]].append(row)
    answers = _answers(tables)
    parents.sort(key=lambda r: (group_order.get(r.get("gid", ""), 0), _order(r, "question_order")))
    questions = []
    for row in parents:
        subs = sorted(
            (r for r in children[row["qid"]] if _order(r, "scale_id") == 0),
            key=lambda r: _order(r, "question_order"),
        )
        questions.append(
            Question(
                qid=row["qid"],
                code=row.get("title", ""),
                type=row.get("type", ""),
                group=row.get("gid", ""),
                texts=texts.get(row["qid"], {}),
                subquestions=tuple((s.get("title", ""), texts.get(s["qid"], {})) for s in subs),
                answers=tuple(answers.get(row["qid"], ())),
                other=row.get("other", "N") == "Y",
            )
        )
    return tuple(questions)


def _answers(tables: Mapping[str, Rows]) -> dict[str, list[Answer]]:
    """qid -> its answer options (scale 0), in their order, from either layout."""
    rows = tables.get("answers", [])
    by_aid = _texts(tables.get("answer_l10ns", []), "aid", "answer")
    options: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    for row in rows:
        if _order(row, "scale_id") != 0 or "qid" not in row:
            continue
        key = (row["qid"], row.get("code", ""))
        order, texts = options.setdefault(key, (_order(row, "sortorder"), {}))
        if "answer" in row:
            texts[row.get("language", "")] = flatten_text(row["answer"])
        if row.get("aid") in by_aid:
            texts.update(by_aid[row["aid"]])
    found: dict[str, list[tuple[int, Answer]]] = defaultdict(list)
    for (qid, code), (order, texts) in options.items():
        found[qid].append((order, Answer(code, texts)))
    return {qid: [a for _, a in sorted(items, key=lambda p: p[0])] for qid, items in found.items()}


def structure_choices(structure: SurveyStructure, field_codes: Mapping[str, Sequence[str]]
                      ) -> dict[str, dict[str, str]]:  # fmt: skip
    """Per field, option code -> option text (base language), for the questions it is mapped to."""
    choices: dict[str, dict[str, str]] = {}
    for name, codes in field_codes.items():
        table: dict[str, str] = {}
        for code in codes:
            question = structure.question(code)
            if question is None:
                continue
            for sub, texts in question.subquestions:
                table.setdefault(sub, texts.get(structure.language) or next(iter(texts.values()), sub))
            for answer in question.answers:
                texts = answer.texts
                table.setdefault(answer.code, texts.get(structure.language)
                                 or next(iter(texts.values()), answer.code))  # fmt: skip
            if question.other:
                table.setdefault("other", "altro")
        if table:
            choices[name] = table
    return choices

