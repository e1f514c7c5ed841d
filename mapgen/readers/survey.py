"""Read the yearly LimeSurvey export (CSV or XLSX) into :class:`~mapgen.model.Initiative` records.

One response (a row) may describe several practices in repeated question
groups; every filled group becomes one Initiative with the stable id
``<edition>-R<response id>-G<group>``. The reader never stops on a bad cell:
it checks the whole file and returns every problem together, each with file,
row (as in the spreadsheet), column, value and fix. Only an unreadable file or
a missing column raises.

What happens to each row:

* a complete response gives one Initiative per filled practice group;
* an incomplete response (empty ``submitdate``) is excluded and listed, unless
  ``include_incomplete`` is set;
* a practice sent twice (same Comune, same title after :func:`~mapgen.text.fold`)
  is kept once, the latest submission, and the others are listed as duplicates;
* a practice without Comune or title cannot become an Initiative: it is listed
  as excluded and reported as an error.

Contact fields (``referente``, ``email``, ``telefono``) are read into the
record's own fields for the staff report; their columns, and LimeSurvey's
``ipaddr``/``token``, are not copied into ``properties``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from mapgen.config import PRACTICE_FIELDS, VOCABULARIES, Config, SurveyConfig
from mapgen.errors import InputError
from mapgen.i18n import Message, _, _l, _lp
from mapgen.model import Initiative, Notice, Outcome, Place, RowOutcome, Severity, SourceRef
from mapgen.model import Source as SourceKind
from mapgen.readers import _values
from mapgen.readers._columns import Layout, Source, layout_from_mapping, recognise_layout
from mapgen.readers._contacts import survey_contacts
from mapgen.readers.structure import SurveyStructure, read_structure
from mapgen.readers.table import ExcelNumber, Table, TableIssue, column_letter, read_table
from mapgen.text import fold

__all__ = ["SurveyRead", "read_survey", "validation_report"]

log = logging.getLogger(__name__)

#: LimeSurvey writes this submitdate for complete responses of surveys without date stamps.
_UNDATED_SUBMIT = datetime(1980, 1, 1)
_TEXT_FIELDS = (
    "regione",
    "provincia",
    "comune",
    "denominazione_ente",
    "titolo",
    "descrizione",
    "aree_altro",
    "fonti_altro",
    "sito_web",
    "referente",
    "email",
    "telefono",
)
# Folding is the reader's hottest step and the same few thousand texts recur.
_fold = lru_cache(maxsize=65536)(fold)
_NUMBER_ID = re.compile(r"\d+(?:\.0+)?")
_EXCEL_SCIENTIFIC = re.compile(r"\d(?:[.,]\d+)?E\+\d+", re.IGNORECASE)




@dataclass(frozen=True)
class SurveyRead:
    """Everything read from one survey file.

    ``initiatives`` are in file order (row, then practice group). ``outcomes``
    hold one :class:`~mapgen.model.RowOutcome` per practice that did not become
    an initiative (excluded or duplicate), in file order; ``duplicate_of`` maps
    each duplicate's record id to the record id that was kept. ``dropped`` and
    ``incomplete`` keep the records held back (duplicates, incomplete responses),
    read once with the rest, for a person who puts them back (``includi``);
    ``no_comune`` the practices excluded for want of a Comune only, for a person who
    places them (a Comune in the corrections file).
    """

    file: str
    format: Message
    initiatives: tuple[Initiative, ...]
    outcomes: tuple[RowOutcome, ...]
    problems: tuple[Notice, ...]
    duplicate_of: Mapping[str, str]
    responses: int
    notes: tuple[Message, ...] = ()
    incomplete_rows: tuple[int, ...] = ()
    contacts: frozenset[str] = frozenset()  # every contact cell, for the write-time guard
    dropped: tuple[Initiative, ...] = ()  # the duplicates' records, for a person who says they are not
    incomplete: tuple[Initiative, ...] = ()  # incomplete responses' records, as include_incomplete reads them
    no_comune: tuple[Initiative, ...] = ()  # practices with a title and no Comune, for a person who places them
    alerts: tuple[Message, ...] = ()

    @property
    def errors(self) -> tuple[Notice, ...]:
        """Problems that kept a practice off the map."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Notice, ...]:
        """Problems in values that were kept (in ``properties``) but not understood."""
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    def outcomes_of(self, outcome: Outcome) -> tuple[RowOutcome, ...]:
        """The listed practices with the given outcome (EXCLUDED or DUPLICATE)."""
        return tuple(o for o in self.outcomes if o.outcome is outcome)

    def summary(self) -> Message:
        """One line of counts: ``312 responses: 401 initiatives, 14 excluded, 6 duplicates; …``."""
        excluded = len(self.outcomes_of(Outcome.EXCLUDED))
        duplicates = len(self.outcomes_of(Outcome.DUPLICATE))
        return _l(
            "{responses}: {initiatives}, {excluded}, {duplicates}; {errors}, {warnings}",
            responses=_lp("{count} response", "{count} responses", self.responses),
            initiatives=_lp("{count} initiative", "{count} initiatives", len(self.initiatives)),
            excluded=_lp("{count} excluded", "{count} excluded", excluded),
            duplicates=_lp("{count} duplicate", "{count} duplicates", duplicates),
            errors=_lp("{count} error", "{count} errors", len(self.errors)),
            warnings=_lp("{count} warning", "{count} warnings", len(self.warnings)),
        )


def read_survey(
    path: Path | str,
    *,
    config: Config | None = None,
    sheet: str | None = None,
    include_incomplete: bool = False,
    all_complete: bool = False,
    structure: SurveyStructure | None = None,
) -> SurveyRead:
    """Read a LimeSurvey export (CSV or XLSX) into initiatives, checking every row.

    Parameters
    ----------
    path
        The export, as LimeSurvey wrote it or as Excel re-saved it.
    config
        The mapping/config file's content (:func:`mapgen.config.load_config`);
        without one, headers named like the canonical Italian fields are used.
    sheet
        XLSX only: the sheet to read (overrides the config); the first by default.
    include_incomplete
        Keep responses with an empty ``submitdate`` instead of excluding them.
    all_complete
        Accept a LimeSurvey export without submit date or response id column
        without the alert that incomplete responses cannot be told apart.
    structure
        LimeSurvey's survey structure (:func:`~mapgen.readers.structure.read_structure`);
        by default the file the config names as ``[survey] structure``, if any.

    Returns
    -------
    SurveyRead
        Initiatives, excluded and duplicate practices, and every problem found.

    Raises
    ------
    UnreadableFileError
        The file is empty, binary, truncated or not a spreadsheet.
    InputError
        A required or mapped column is missing, or the file has no responses.
    """
    config = config or Config()
    table = read_table(path, sheet=sheet or config.survey.sheet)
    structure = structure or config_structure(config)
    layout = _layout(table, config, structure)
    if table.data_rows == 0:
        raise InputError(_("{file} has a header row but no responses. Export the responses again.",
                             file=table.name))
    reader = _Reader(table, layout, config.survey, include_incomplete, structure)
    for index in range(len(table.rows)):
        reader.read_row(index)
    kept, duplicates, duplicate_of = _drop_duplicates(reader.initiatives)
    outcomes = sorted(
        [*reader.outcomes, *duplicates], key=lambda o: (o.source.row or 0, o.source.group or 0)
    )
    return SurveyRead(
        file=table.name,
        format=_describe(table, layout, config),
        initiatives=tuple(kept),
        outcomes=tuple(outcomes),
        problems=tuple(sorted(reader.problems, key=_problem_order)),
        duplicate_of=MappingProxyType(duplicate_of),
        responses=table.data_rows,
        notes=layout.notes,
        incomplete_rows=tuple(reader.incomplete_rows),
        contacts=survey_contacts(path, table, layout),
        dropped=tuple(r for r in reader.initiatives if r.record_id in duplicate_of),
        incomplete=_incomplete_kept(reader.initiatives, reader.incomplete),
        no_comune=tuple(reader.no_comune),
        alerts=() if all_complete else layout.alerts,
    )


def _incomplete_kept(complete: Sequence[Initiative], incomplete: Sequence[Initiative]) -> tuple[Initiative, ...]:
    """The incomplete responses' records that ``include_incomplete`` would keep: not duplicates of another."""
    if not incomplete:
        return ()
    everything = sorted([*complete, *incomplete], key=lambda r: (r.source.row or 0, r.source.group or 0))
    kept = {r.record_id for r in _drop_duplicates(everything)[0]}
    return tuple(r for r in incomplete if r.record_id in kept)


def config_structure(config: Config) -> SurveyStructure | None:
    """The structure file the config names (``[survey] structure``), relative to the config."""
    name = config.survey.structure
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute() and config.path is not None:
        path = config.path.parent / path
    return read_structure(path)


def _repeated_headers(table: Table) -> frozenset[str]:
    """Headings the file repeats (the table reader renamed the repeats ``Comune (2)``...)."""
    return frozenset(
        issue.column
        for issue in table.issues
        if issue.row == 1 and "appears more than once" in issue.message.msgid
    )


def _layout(table: Table, config: Config, structure: SurveyStructure | None) -> Layout:
    try:
        if config.survey.mapped:
            config_file = config.path.name if config.path else "the mapping"
            repeated = _repeated_headers(table)
            return layout_from_mapping(
                table.columns,
                config.survey,
                file=table.name,
                config_file=config_file,
                repeated=repeated,
                codes=structure.heading_codes(table.columns, repeated) if structure else None,
                texts=structure.code_texts(table.columns) if structure else None,
            )
        return recognise_layout(table.columns, config.survey, file=table.name)
    except InputError as exc:
        hints = _header_hints(table)
        if not hints:
            raise
        raise InputError(" ".join([str(exc), *(_("Also: {hint}", hint=hint) for hint in hints)])) from None


def _header_hints(table: Table) -> list[str]:
    """Why the expected columns may be missing: a wrong separator, merged headers, another sheet."""
    hints = [str(issue.message) for issue in table.issues if issue.row == 1 and "merged" in issue.message.msgid]
    if table.format == "csv" and len(table.columns) == 1:
        hints.append(_(
            "the header row is one single cell ({cell}): the columns are not separated by a comma, semicolon, "
            "tab or |. Save the file again as CSV with ';' or ','.", cell=_clip(table.columns[0])
        ))
    others = [name for name in table.sheets if name != table.sheet]
    if others:
        listed = ", ".join(repr(name) for name in others)
        hints.append(_("sheet {sheet} was read; the workbook also has {others}: choose the sheet with the responses "
                       "with --sheet.", sheet=repr(table.sheet), others=listed))
    return hints


#: The value parsers' messages (mapgen.readers._values), in the reader's language.
_VALUE_ERRORS: Final = {
    "is not an amount in euro": _l("is not an amount in euro"),
    "is a negative amount": _l("is a negative amount"),
    "is not a date": _l("is not a date"),
    "is not a real date (no such day)": _l("is not a real date (no such day)"),
}


def _value_error(exc: ValueError) -> Message:
    return _VALUE_ERRORS.get(str(exc), _l("is not a valid value"))


def _clip(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


#: The headings' styles, in the file's one-line description.
_STYLE_WORDS: Final = {
    "code": _l("question codes"), "codetext": _l("question codes and texts"), "text": _l("question texts"),
}


def _describe(table: Table, layout: Layout, config: Config) -> Message:
    """``file: CSV, UTF-8, separator ',', 306 rows; LimeSurvey export, question codes; …``."""
    kind = _l("spreadsheet")
    if layout.limesurvey or layout.style == "codetext":
        kind = _l("LimeSurvey export, {style}", style=_STYLE_WORDS.get(layout.style, layout.style))
    if config.survey.mapped:
        source = _l("mapping {file}", file=config.path.name) if config.path else _l("mapping")
        if config.survey.structure:
            source = _l("{mapping} + structure {file}", mapping=source, file=Path(config.survey.structure).name)
    else:
        source = _l("columns recognised by name")
    return _l("{file}: {read}; {kind}; {source}", file=table.name, read=table.describe(), kind=kind, source=source)


def _problem_order(problem: Notice) -> tuple[int, str]:
    return (problem.row or 0, problem.letter.rjust(3))


# --- one row ------------------------------------------------------------------------------------


@dataclass
class _Row:
    """The cells of one response and where they are, for parsing and messages."""

    index: int
    cells: Sequence[str]
    response_id: str
    submitted: datetime | None
    complete: bool
    texts: list[str] = field(init=False)  # each cell stripped, once for every field that reads it
    not_shown: bool = field(init=False)  # some cell holds LimeSurvey's N/A (rare): checked cell by cell

    def __post_init__(self) -> None:
        self.texts = list(map(str.strip, self.cells))
        self.not_shown = _NOT_SHOWN in self.texts

    @property
    def number(self) -> int:
        return self.index + 2


class _Reader:
    """Turns rows into initiatives, collecting outcomes and problems as it goes."""

    def __init__(
        self,
        table: Table,
        layout: Layout,
        survey: SurveyConfig,
        include_incomplete: bool,
        structure: SurveyStructure | None = None,
    ) -> None:
        self.table = table
        self.layout = layout
        self.survey = survey
        self.include_incomplete = include_incomplete
        self.initiatives: list[Initiative] = []
        self.outcomes: list[RowOutcome] = []
        self.problems: list[Notice] = [_table_problem(issue) for issue in table.issues]
        self.incomplete_rows: list[int] = []
        self.incomplete: list[Initiative] = []  # what include_incomplete would have kept of them
        self.no_comune: list[Initiative] = []  # practices with a title but no Comune: a person may place them
        self._ids: dict[str, int] = {}
        self._reported_options: set[tuple[int, str]] = set()
        self._option_values: dict[tuple[str, str], str | None] = {}
        self._vocabularies: dict[tuple[Any, ...], dict[str, Any]] = {}  # see _vocabulary
        self._plans: dict[int, tuple[Mapping[str, Source], list[tuple[Source, _Parser | None]]]] = {}
        self._group_columns = layout.group_columns()
        self._kept: dict[int, list[tuple[int, str]]] = {}
        self._property_columns: dict[int, tuple[list[str], list[int]]] = {}  # names and indices of _kept
        self._owner = {i: n for n, cols in enumerate(self._group_columns, start=1) for i in cols}
        # (index, option) of each practice group's own cells, for _filled; a layout without
        # groups has its practice fields among the shared ones.
        self._own_columns = [
            [pair for source in (group or {f: s for f, s in layout.shared.items() if f in PRACTICE_FIELDS}).values()
             for pair in source.columns]
            for group in layout.practices
        ]
        self._choices = {
            name: {**_labelled_choices(structure, layout, name, table),
                   **{_fold(k): v for k, v in table.items()}, **table}
            for name, table in survey.choices.items()
        }  # fmt: skip

    # messages

    def problem(
        self,
        row: _Row | None,
        index: int | None,
        message: Message,
        fix: Message,
        *,
        value: str = "",
        error: bool = False,
        record_id: str = "",
    ) -> None:
        column = self.table.columns[index] if index is not None else ""
        self.problems.append(
            Notice(
                file=self.table.name,
                row=row.number if row else None,
                column=column,
                value=value,
                message=message,
                fix=fix,
                severity=Severity.ERROR if error else Severity.WARNING,
                record_id=record_id,
                letter=column_letter(index) if index is not None else "",
            )
        )

    def ref(self, row: _Row, group: int) -> SourceRef:
        return SourceRef(SourceKind.SURVEY, self.table.name, row=row.number, group=group)

    def record_id(self, row: _Row, group: int) -> str:
        return f"{self.survey.edition}-R{row.response_id}-G{group}"

    # the row

    def read_row(self, index: int) -> None:
        cells = self._without_excel_errors(index, self.table.rows[index])
        if not any(cell.strip() for cell in cells):
            return
        row = self._start_row(index, cells)
        if row is None:
            return
        filled = [
            (n, group)
            for n, group in enumerate(self.layout.practices, start=1)
            if self._filled(row, n)
        ]
        if not row.complete and (not self.include_incomplete or not filled):
            shared = self._parse_quietly(row, self.layout.shared)
            self._exclude_incomplete(row, shared, [n for n, _ in filled])
            return
        shared = self._parse_fields(row, self.layout.shared)
        if not filled:
            self._no_practice(row, shared)
        elif not shared.get("comune") and "comune" in self.layout.shared:
            self._no_comune(row, shared, [n for n, _ in filled])
        else:
            for group_number, group in filled:
                self._emit(row, group_number, {**shared, **self._parse_fields(row, group)})

    def _without_excel_errors(self, index: int, cells: Sequence[str]) -> Sequence[str]:
        """Excel's error values (``#DIV/0!``, ``#N/A``…) are not answers: each warned about, read as empty."""
        joined = "\x1f".join(cells)
        if "#" not in joined and "ERR:" not in joined.upper():  # every error value has one of them
            return cells
        errors = [i for i, cell in enumerate(cells) if cell.strip().upper() in _EXCEL_ERRORS]
        if not errors:
            return cells
        row = _Row(index, cells, "", None, True)
        for i in errors:
            self.problem(row, i, _l("the cell holds Excel's error value {value}, not an answer; it is read as "
                                    "empty.", value=repr(cells[i].strip())),
                         _l("Fix the formula or type the value in the spreadsheet."), value=cells[i].strip())
        return ["" if i in errors else cell for i, cell in enumerate(cells)]

    def _start_row(self, index: int, cells: Sequence[str]) -> _Row | None:
        row = _Row(index, cells, "", None, True)
        row.response_id = self._response_id(row)
        if not row.response_id:
            self._exclude_repeated_id(row)
            return None
        submit = self.layout.submit_index
        if submit is not None:
            text = cells[submit].strip()
            row.complete = bool(text)
            row.submitted = self._submitted(row, submit, text) if text else None
        return row

    def _response_id(self, row: _Row) -> str:
        index = self.layout.id_index
        if index is None:
            return str(row.number)
        text = row.cells[index].strip()
        if _NUMBER_ID.fullmatch(text):
            # "12.0" (Excel) is 12; done on the text: a float would round long ids or overflow
            text = text.split(".")[0].lstrip("0") or "0"
        elif not text:
            self.problem(
                row,
                index,
                _l("the response id is empty; the row's records are numbered by row."),
                _l("Fill the id, or leave the row as it is."),
            )
            text = f"row{row.number}"
        if text in self._ids:
            self.problem(
                row,
                index,
                _l("response id {id} is also on row {row}; this row is excluded (listed in the report).",
                   id=_clip(text), row=self._ids[text]),
                _l("Give each response its own id (LimeSurvey's ids are unique: was a row copied?)."),
                value=text,
                error=True,
            )
            return ""
        self._ids[text] = row.number
        return text

    def _submitted(self, row: _Row, index: int, text: str) -> datetime | None:
        try:
            when = _parse_datetime(text, excel_serial=self.table.format == "xlsx")
        except ValueError as exc:
            self.problem(
                row,
                index,
                _l("{value} {problem}; the response still counts as complete.", value=_clip(text),
                   problem=_value_error(exc)),
                _l("Write the date as dd/mm/yyyy hh:mm."),
                value=text,
            )
            return None
        return None if when == _UNDATED_SUBMIT else when

    def _filled(self, row: _Row, group: int) -> bool:
        """A practice group is filled when any of its own cells holds something.

        A group LimeSurvey did not show holds N/A in every cell (full answers): not filled.
        """
        texts, cells = row.texts, row.cells
        return any(
            texts[i] not in ("", _NOT_SHOWN) and not (option and _values.is_no(cells[i]))
            for i, option in self._own_columns[group - 1]
        )

    def _answer(self, source: Source, option: str, text: str) -> str:
        """The cell's text; empty for LimeSurvey's N/A in an answer LimeSurvey fills.

        A choice, a number or a date cannot be typed as "N/A": there it is a question not
        shown. In a field people type (a title, a Comune) it is what they typed.
        """
        if text == _NOT_SHOWN and (option or source.field in _LIMESURVEY_ANSWERS
                                   or self._choices.get(source.field)):
            return ""
        return text

    # outcomes

    def _exclude(
        self, row: _Row, group: int, values: Mapping[str, Any], reason: str, fix: str
    ) -> None:
        self.outcomes.append(
            RowOutcome(
                source=self.ref(row, group),
                record_id=self.record_id(row, group),
                typed=_place(values),
                outcome=Outcome.EXCLUDED,
                titolo=str(values.get("titolo", "")),
                reason=reason,
                fix=fix,
            )
        )

    def _exclude_incomplete(
        self, row: _Row, shared: Mapping[str, Any], groups: Sequence[int]
    ) -> None:
        self.incomplete_rows.append(row.number)
        if not groups:
            self._exclude(
                row,
                1,
                shared,
                "Risposta incompleta (submitdate vuoto), nessuna pratica compilata.",
                "Nessuna azione: la risposta non è stata inviata.",
            )
        for group in groups:
            values = {**shared, **self._parse_quietly(row, self.layout.practices[group - 1])}
            self._exclude(
                row,
                group,
                values,
                "Risposta incompleta (submitdate vuoto): esclusa.",
                "Per includerla usare --include-incomplete.",
            )
            self._keep_incomplete(row, group, shared, values)

    def _keep_incomplete(
        self, row: _Row, group: int, shared: Mapping[str, Any], values: Mapping[str, Any]
    ) -> None:
        """Keep the record ``include_incomplete`` would have read, without its problems.

        A person may put the response back (``includi``): the build then needs no
        second reading of the file. Mirrors :meth:`read_row` (no Comune) and :meth:`_emit`.
        """
        if "comune" in self.layout.shared and not shared.get("comune"):
            return
        if not values.get("comune") or not values.get("titolo"):
            return
        kept = len(self.problems)
        self.incomplete.append(self._initiative(row, group, values, self.record_id(row, group)))
        del self.problems[kept:]

    def _exclude_repeated_id(self, row: _Row) -> None:
        """A row whose response id was already read still gets an outcome: nothing is lost silently."""
        index = self.layout.id_index
        text = row.cells[index].strip() if index is not None else ""
        row.response_id = f"{text}-riga{row.number}"
        groups = [n for n in range(1, len(self.layout.practices) + 1) if self._filled(row, n)]
        shared = self._parse_quietly(row, self.layout.shared)
        for group in groups or [1]:
            practice = self.layout.practices[group - 1] if groups else {}
            self._exclude(
                row,
                group,
                {**shared, **self._parse_quietly(row, practice)},
                f"Id della risposta {_clip(text)} ripetuto (già alla riga {self._ids.get(text, '?')}): "
                "riga esclusa.",
                "Dare a ogni risposta il proprio id (una riga copiata?) e rifare la mappa.",
            )

    def _parse_quietly(self, row: _Row, sources: Mapping[str, Source]) -> dict[str, Any]:
        """Parse without reporting problems (for rows that are excluded anyway)."""
        kept = len(self.problems)
        values = self._parse_fields(row, sources)
        del self.problems[kept:]
        return values

    def _no_practice(self, row: _Row, shared: Mapping[str, Any]) -> None:
        self.problem(
            row,
            None,
            _l("the response describes no practice (every practice column is empty)."),
            _l("Fill at least the title of one practice, or delete the row."),
            error=True,
            record_id=self.record_id(row, 1),
        )
        self._exclude(
            row,
            1,
            shared,
            "Nessuna pratica compilata nella risposta.",
            "Compilare almeno il titolo di una pratica.",
        )

    def _no_comune(self, row: _Row, shared: Mapping[str, Any], groups: Sequence[int]) -> None:
        index = self.layout.shared["comune"].columns[0][0]
        self.problem(
            row,
            index,
            _lp("the response has no Comune, so its practice cannot be placed on the map.",
                "the response has no Comune, so its {count} practices cannot be placed on the map.", len(groups)),
            _l("Fill the Comune in the spreadsheet."),
            error=True,
            record_id=self.record_id(row, groups[0]),
        )
        for group in groups:
            values = {**shared, **self._parse_quietly(row, self.layout.practices[group - 1])}
            if values.get("titolo"):
                self.no_comune.append(self._quiet_initiative(row, group, values))
            self._exclude(
                row,
                group,
                values,
                "Manca il Comune: la pratica non può essere mappata.",
                f"Indicare il Comune nella riga {row.number} del file.",
            )

    def _emit(self, row: _Row, group: int, values: Mapping[str, Any]) -> None:
        record_id = self.record_id(row, group)
        missing = [name for name in ("comune", "titolo") if not values.get(name)]
        for name in missing:
            self._report_missing(row, group, name, record_id)
        if missing == ["comune"]:
            self.no_comune.append(self._quiet_initiative(row, group, values))
        if missing:
            what = " e ".join({"comune": "Comune", "titolo": "titolo"}[m] for m in missing)
            self._exclude(
                row,
                group,
                values,
                f"Manca il {what}: la pratica non può essere mappata.",
                f"Compilare {what} nella riga {row.number} del file.",
            )
            return
        self.initiatives.append(self._initiative(row, group, values, record_id))

    def _quiet_initiative(self, row: _Row, group: int, values: Mapping[str, Any]) -> Initiative:
        """The record of a practice held back, without problems reported twice (as :meth:`_keep_incomplete`)."""
        kept = len(self.problems)
        found = self._initiative(row, group, values, self.record_id(row, group))
        del self.problems[kept:]
        return found

    def _source_of(self, group: int, name: str) -> Source | None:
        return self.layout.practices[group - 1].get(name) or self.layout.shared.get(name)

    def _report_missing(self, row: _Row, group: int, name: str, record_id: str) -> None:
        source = self._source_of(group, name)
        index = source.columns[0][0] if source else None
        which = _l("practice {group}", group=group) if len(self.layout.practices) > 1 else _l("the practice")
        message, fix = {
            "comune": (_l("{which} has no Comune, so it cannot be placed on the map.", which=which),
                       _l("Fill the Comune in the spreadsheet.")),
            "titolo": (_l("{which} has no title, so it cannot be placed on the map.", which=which),
                       _l("Fill the title in the spreadsheet.")),
        }[name]
        self.problem(
            row,
            index,
            message,
            fix,
            error=True,
            record_id=record_id,
        )

    def _initiative(
        self, row: _Row, group: int, values: Mapping[str, Any], record_id: str
    ) -> Initiative:
        self._check_dates(row, group, values, record_id)
        fields = {name: values[name] for name in _INITIATIVE_FIELDS if name in values}
        for name in ("aree", "fonti"):  # text typed as "altro" means "altro" was chosen
            if fields.get(f"{name}_altro") and "altro" not in fields.get(name, ()):
                fields[name] = (*fields.get(name, ()), "altro")
        return Initiative(
            record_id=record_id,
            edition=self.survey.edition,
            source=self.ref(row, group),
            place=_place(values),
            submitted=row.submitted,
            properties=self._properties(row, group),
            **fields,
        )

    def _properties(self, row: _Row, group: int) -> Mapping[str, str]:
        """Every column of the row except personal ones and those of other practice groups."""
        if group not in self._property_columns:
            kept = self._kept_columns(group)
            self._property_columns[group] = ([c for _, c in kept], [i for i, _ in kept])
        names, indices = self._property_columns[group]
        return MappingProxyType(dict(zip(names, map(row.cells.__getitem__, indices), strict=True)))

    def _kept_columns(self, group: int) -> list[tuple[int, str]]:
        """(index, name) of the columns a group's records keep; worked out once per group.

        The shared columns are listed once for all groups, then merged with the
        group's own in column order: the cost grows with the columns a record
        keeps, not with every group's columns (50,000 groups stay linear).
        """
        if 0 not in self._kept:
            skip = self.layout.personal
            self._kept[0] = [(i, c) for i, c in enumerate(self.table.columns)
                             if i not in skip and i not in self._owner]  # fmt: skip
        if group not in self._kept:
            own = sorted(i for i in self._group_columns[group - 1] if i not in self.layout.personal)
            columns = self.table.columns
            self._kept[group] = sorted([*self._kept[0], *((i, columns[i]) for i in own)])
        return self._kept[group]

    def _check_dates(
        self, row: _Row, group: int, values: Mapping[str, Any], record_id: str
    ) -> None:
        start, end = values.get("data_inizio"), values.get("data_fine")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            source = self._source_of(group, "data_fine")
            index = source.columns[0][0] if source else None
            self.problem(
                row,
                index,
                _l("the end date {end} is before the start date {start}.", end=end.strftime("%d/%m/%Y"),
                   start=start.strftime("%d/%m/%Y")),
                _l("Check the two dates (both are kept as written)."),
                record_id=record_id,
            )

    # fields

    def _parse_fields(self, row: _Row, sources: Mapping[str, Source]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for source, parser in self._plan(sources):
            if parser is None and not row.not_shown:  # one plain text column, most fields: read in place
                values[source.field] = self._typed(row, source)
            else:
                values.update((parser or _Reader._text)(self, row, source))
        return values

    def _plan(self, sources: Mapping[str, Source]) -> list[tuple[Source, _Parser | None]]:
        """Each source with its parser, None for one plain text column; worked out once per group."""
        if not sources:  # an excluded row's practice that is not there: nothing to keep
            return []
        planned = self._plans.get(id(sources))
        if planned is None or planned[0] is not sources:
            plan = [(source, _PARSERS.get(name) or (None if _plain(source) else _Reader._text))
                    for name, source in sources.items()]  # fmt: skip
            planned = self._plans[id(sources)] = (sources, plan)
        return planned[1]

    def _cells(self, row: _Row, source: Source) -> list[tuple[int, str, str]]:
        # LimeSurvey's full answers write N/A for a question that was not shown: no answer where
        # LimeSurvey fills the answer; in a field people type (a title) it is what they typed (issue 25).
        texts = row.texts
        found = [(i, option, texts[i]) for i, option in source.columns]
        if row.not_shown:
            found = [(i, option, self._shown(row, source, i, option, text)) for i, option, text in found]
        return found

    def _shown(self, row: _Row, source: Source, index: int, option: str, text: str) -> str:
        text = self._answer(source, option, text)
        if text == _NOT_SHOWN:
            self._typed_na(row, index)
        return text

    def _typed_na(self, row: _Row, index: int) -> None:
        self.problem(
            row, index,
            _l("the cell holds 'N/A', kept as written: LimeSurvey writes N/A only for a choice question "
               "that was not shown, and this field is typed by people."),
            _l("If it means no answer, leave the cell empty in LimeSurvey, or exclude the practice in the "
               "corrections file (escludi)."),
            value=_NOT_SHOWN,
        )

    def _choice(self, name: str, key: str) -> str | None:
        """The value the mapping's ``[survey.choices.<name>]`` gives a code or label, if any."""
        table = self._choices.get(name)
        if not table:
            return None
        return table.get(key) or table.get(_fold(key))

    def _text(self, row: _Row, source: Source) -> dict[str, Any]:
        """Plain text; sub-columns are joined (ticked ones by their option's label)."""
        if _plain(source) and not row.not_shown:
            return {source.field: self._typed(row, source)}
        parts = []
        for _column, option, text in self._cells(row, source):
            if not text:  # neither ticked nor typed
                continue
            if option and _values.is_yes(text):
                parts.append(self._choice(source.field, option) or option)
            elif text and not (option and _values.is_no(text)):
                parts.append(self._choice(source.field, text) or text)
        text = "; ".join(parts)
        if source.field in ("email", "telefono"):
            self._check_contact(row, source, text)
        return {source.field: text}

    def _typed(self, row: _Row, source: Source) -> str:
        """:meth:`_text` of the common case, one column without options and no N/A in the row."""
        text = row.texts[source.columns[0][0]]
        if text:
            text = self._choice(source.field, text) or text
        if source.field in ("email", "telefono"):
            self._check_contact(row, source, text)
        return text

    def _check_contact(self, row: _Row, source: Source, text: str) -> None:
        index = source.columns[0][0]
        if source.field == "email" and text and "@" not in text:
            self.problem(
                row,
                index,
                _l("{value} is not an e-mail address; it is kept as written.", value=_clip(text)),
                _l("Write an address such as nome@comune.it."),
                value=text,
            )
        if source.field == "telefono" and _EXCEL_SCIENTIFIC.search(text):
            self.problem(
                row,
                index,
                _l("{value} is a phone number that Excel turned into a rounded number.", value=_clip(text)),
                _l("Take the number from the original export, or format the column as text in Excel."),
                value=text,
            )

    def _list(self, row: _Row, source: Source) -> list[str]:
        items: list[str] = []
        for _column, option, text in self._cells(row, source):
            if not text:  # neither ticked nor typed
                continue
            if option and _values.is_yes(text):
                items.append(self._choice(source.field, option) or option)
            elif text and not (option and _values.is_no(text)):
                items.extend(_split_list(text))
        return list(dict.fromkeys(items))

    def _names(self, row: _Row, source: Source) -> dict[str, Any]:
        items = self._list(row, source)
        if source.field == "destinatari":
            return {"destinatari": "; ".join(items)}
        return {source.field: tuple(items)}

    def _vocabulary(self, row: _Row, source: Source) -> dict[str, Any]:
        """Multiple choice (aree, fonti): ticked options and typed labels, "altro" text kept.

        Answers repeat: the values of the same cells are read once, unless reading them
        reported a problem (a problem belongs to its row, so such cells are read each time).
        """
        cells = self._cells(row, source)
        key = (source.field, source.columns, *(text for _, _, text in cells))
        found = self._vocabularies.get(key)
        if found is None:
            reported = len(self.problems)
            found = self._read_vocabulary(row, source, cells)
            if len(self.problems) == reported:
                self._vocabularies[key] = found
        return dict(found)

    def _read_vocabulary(
        self, row: _Row, source: Source, cells: Sequence[tuple[int, str, str]]
    ) -> dict[str, Any]:
        name = source.field
        chosen: list[str] = []
        other: list[str] = []
        for index, option, text in cells:
            skip = _values.is_no(text) if option else not text
            if skip or _is_comment(option):
                continue
            if option and _is_other(option) and not _values.is_yes(text):
                chosen.append("altro")
                other.append(text)
                continue
            labels = (option,) if option and _values.is_yes(text) else _split_list(text)
            for label in labels:
                typed_other = _other_text(label)
                value = (
                    "altro"
                    if typed_other
                    else self._resolve_option(row, index, name, label, bool(option))
                )
                chosen.append(value or "altro")
                if value is None or typed_other:
                    other.append(typed_other or label)
        order = VOCABULARIES[name]
        return {
            name: tuple(v for v in order if v in chosen),
            f"{name}_altro": "; ".join(dict.fromkeys(other)),
        }

    def _resolve_option(
        self, row: _Row, index: int, name: str, label: str, ticked_column: bool
    ) -> str | None:
        value = self._option_value(name, label)
        if value is not None:
            return value
        listed = ", ".join(VOCABULARIES[name])
        if ticked_column:
            if (index, label) in self._reported_options:
                return None
            self._reported_options.add((index, label))
            self.problem(
                None,
                index,
                _l("option {option} is not one of {field}'s values ({listed}); ticked cells are kept as 'altro'.",
                   option=_clip(label), field=name, listed=listed),
                _l('Add {label} = "<value>" under [survey.choices.{field}] in the mapping.', label=label, field=name),
                value=label,
            )
            return None
        self.problem(
            row,
            index,
            _l("{value} is not one of {field}'s values ({listed}); it is kept as 'altro'.", value=_clip(label),
               field=name, listed=listed),
            _l("Write one of the values, or add it under [survey.choices.{field}].", field=name),
            value=label,
        )
        return None

    def _option_value(self, name: str, label: str) -> str | None:
        """The vocabulary value a label means, worked out once per distinct label (cells repeat)."""
        key = (name, label)
        if key not in self._option_values:
            self._option_values[key] = self._choice(name, label) or _values.match_vocabulary(name, label)
        return self._option_values[key]

    def _entity(self, row: _Row, source: Source) -> dict[str, Any]:
        text = self._text(row, source)["tipo_ente"]
        if not text:
            return {"tipo_ente": ""}
        value = self._choice("tipo_ente", text) or _values.match_vocabulary("tipo_ente", text)
        if value is None:
            listed = ", ".join(VOCABULARIES["tipo_ente"])
            self.problem(
                row,
                source.columns[0][0],
                _l("{value} is not a type of entity ({listed}); kept as written.", value=_clip(text), listed=listed),
                _l("Write one of the types, or map the answer code under [survey.choices.tipo_ente]."),
                value=text,
            )
        return {"tipo_ente": value or text}

    def _amount(self, row: _Row, source: Source) -> dict[str, Any]:
        text = self._text(row, source)["importo"]
        if not text:
            return {"importo": None}
        try:
            # A number Excel stores is that number; text follows the Italian convention (issue 25).
            plain_first = isinstance(row.cells[source.columns[0][0]], ExcelNumber)
            return {"importo": _parse_amount(text, plain_first=plain_first)}
        except ValueError as exc:
            self.problem(
                row,
                source.columns[0][0],
                _l("{value} {problem}; the amount is left empty.", value=_clip(text), problem=_value_error(exc)),
                _l("Write a number in euro such as 12.500,00 (the text stays in the record's properties)."),
                value=text,
            )
            return {"importo": None}

    def _date(self, row: _Row, source: Source) -> dict[str, Any]:
        text = self._text(row, source)[source.field]
        if not text:
            return {source.field: None}
        try:
            return {
                source.field: _parse_date(text, excel_serial=self.table.format == "xlsx")
            }
        except ValueError as exc:
            self.problem(
                row,
                source.columns[0][0],
                _l("{value} {problem}; the date is left empty.", value=_clip(text), problem=_value_error(exc)),
                _l("Write the date as dd/mm/yyyy, e.g. 15/01/2020."),
                value=text,
            )
            return {source.field: None}


_Parser = Callable[[_Reader, _Row, Source], dict[str, Any]]
_PARSERS: dict[str, _Parser] = {
    "aree": _Reader._vocabulary,
    "fonti": _Reader._vocabulary,
    "comuni_associati": _Reader._names,
    "destinatari": _Reader._names,
    "tipo_ente": _Reader._entity,
    "importo": _Reader._amount,
    "data_inizio": _Reader._date,
    "data_fine": _Reader._date,
}
_INITIATIVE_FIELDS = (
    "titolo",
    "descrizione",
    "aree",
    "aree_altro",
    "destinatari",
    "fonti",
    "fonti_altro",
    "importo",
    "data_inizio",
    "data_fine",
    "sito_web",
    "tipo_ente",
    "denominazione_ente",
    "comuni_associati",
    "referente",
    "email",
    "telefono",
)


#: LimeSurvey's full answer for a question that was not shown.
_NOT_SHOWN: Final = "N/A"
#: Answers LimeSurvey fills (options, a number, a date): nobody types N/A there, so it means not shown.
_LIMESURVEY_ANSWERS: Final = frozenset({"aree", "fonti", "tipo_ente", "destinatari", "importo",
                                        "data_inizio", "data_fine"})


def _labelled_choices(
    structure: SurveyStructure | None, layout: Layout, name: str, table: Mapping[str, str]
) -> dict[str, str]:
    """Folded option texts (every language of the structure file) -> the value their code has.

    So that ``SQ001 = "infanzia"`` also reads a full-answer export's ``Infanzia``.
    """
    if structure is None:
        return {}
    labelled: dict[str, str] = {}
    for group in (layout.shared, *layout.practices):
        source = group.get(name)
        question = structure.question(source.label) if source else None
        if question is None:
            continue
        options = [*question.subquestions, *((a.code, a.texts) for a in question.answers)]
        for code, texts in options:
            if code in table:
                labelled.update({_fold(text): table[code] for text in texts.values() if text})
    return labelled


# Cells repeat (option codes, lists of recipients, "altro" labels): each distinct text worked out once.
_other_text = lru_cache(maxsize=4096)(_values.other_text)
_parse_date = lru_cache(maxsize=65536)(_values.parse_date)
_parse_datetime = lru_cache(maxsize=65536)(_values.parse_datetime)
_parse_amount = lru_cache(maxsize=65536)(_values.parse_amount)


@lru_cache(maxsize=65536)
def _split_list(text: str) -> tuple[str, ...]:
    return tuple(_values.split_list(text))


@lru_cache(maxsize=4096)
def _is_comment(option: str) -> bool:
    """LimeSurvey's comment column of an option (``SQ001comment``): not an answer."""
    return option.casefold().endswith("comment")


@lru_cache(maxsize=4096)
def _is_other(option: str) -> bool:
    """The "other" option, whose cell holds the typed text."""
    return _fold(option) in ("other", "altro")


def _plain(source: Source) -> bool:
    """One column without options: its text is the value."""
    return len(source.columns) == 1 and not source.columns[0][1]


def _place(values: Mapping[str, Any]) -> Place:
    return Place(
        comune=str(values.get("comune", "")),
        provincia=str(values.get("provincia", "")),
        regione=str(values.get("regione", "")),
    )


def _table_problem(issue: TableIssue) -> Notice:
    severity = Severity.ERROR if issue.data_lost else Severity.WARNING
    return Notice(
        file=issue.file,
        row=issue.row,
        column=issue.column,
        value="",
        message=issue.message,
        fix="",
        severity=severity,
    )


#: The error values Excel (and LibreOffice) show in a cell whose formula failed.
_EXCEL_ERRORS = frozenset({
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!", "#PYTHON!", "ERR:502", "ERR:504",
    "#N/D", "#DIV/0", "#NOME?", "#VALORE!", "#RIF!", "#NUM", "#NULLO!",
})  # fmt: skip


# --- duplicates ----------------------------------------------------------------------------------

_COMUNE_PREFIX = re.compile(r"^(?:comune|citta|municipio)(?: di)? ")


def _comune_key(place: Place) -> str:
    return _comune_text_key(place.comune)


@lru_cache(maxsize=65536)
def _comune_text_key(comune: str) -> str:
    return _COMUNE_PREFIX.sub("", _fold(comune))


def _latest(record: Initiative) -> tuple[datetime, int]:
    return (record.submitted or datetime.min, record.source.row or 0)


def _drop_duplicates(
    records: Sequence[Initiative],
) -> tuple[list[Initiative], list[RowOutcome], dict[str, str]]:
    """Keep the latest of each practice sent more than once (same Comune, same folded title)."""
    groups: dict[tuple[str, str], list[Initiative]] = {}
    for record in records:
        key = (_comune_key(record.place), _fold(record.titolo))
        groups.setdefault(key, []).append(record)
    dropped: dict[str, Initiative] = {}
    for same in groups.values():
        if len(same) == 1:  # most practices were sent once
            continue
        for cluster in _by_province(same):
            latest = max(cluster, key=_latest)
            dropped.update({r.record_id: latest for r in cluster if r is not latest})
    outcomes = [
        _duplicate_outcome(r, dropped[r.record_id]) for r in records if r.record_id in dropped
    ]
    kept = [r for r in records if r.record_id not in dropped]
    return kept, outcomes, {rid: latest.record_id for rid, latest in dropped.items()}


def _by_province(records: list[Initiative]) -> list[list[Initiative]]:
    """Split records whose province was given and differs (homonym Comuni are not duplicates)."""
    clusters: list[tuple[set[str], list[Initiative]]] = []
    for record in records:
        province = _fold(record.place.provincia)
        home = next((c for c in clusters if not province or not c[0] or province in c[0]), None)
        if home is None:
            clusters.append(({province} - {""}, [record]))
        else:
            home[0].update({province} - {""})
            home[1].append(record)
    return [members for _, members in clusters]


def _duplicate_outcome(record: Initiative, kept: Initiative) -> RowOutcome:
    return RowOutcome(
        source=record.source,
        record_id=record.record_id,
        typed=record.place,
        outcome=Outcome.DUPLICATE,
        titolo=record.titolo,
        reason="Inviata due volte: tenuta la risposta più recente "
        f"(riga {kept.source.row}, {kept.record_id}).",
        fix="Nessuna azione, se la risposta tenuta è quella giusta.",
    )


# --- the validation report -----------------------------------------------------------------------


def validation_report(result: SurveyRead) -> list[str]:
    """The lines ``mapgen validate`` prints: format, problems, exclusions, then the counts."""
    lines = [str(result.format)]
    lines += [_("Warning: {alert}.", alert=alert) for alert in result.alerts]
    lines += [_("Note: {note}.", note=note) for note in result.notes]
    severity = {Severity.ERROR: _("error"), Severity.WARNING: _("warning")}
    lines += [f"{severity[p.severity]}: {p}" for p in result.problems]
    if result.incomplete_rows:
        rows = ", ".join(map(str, result.incomplete_rows))
        lines.append(_("Incomplete responses excluded (rows {rows}); use --include-incomplete to keep them.",
                       rows=rows))
    row_of = {i.record_id: i.source.row for i in result.initiatives}
    for outcome in result.outcomes_of(Outcome.DUPLICATE):
        kept = result.duplicate_of[outcome.record_id]
        lines.append(_("Duplicate: row {row} ({id}, {title}) was sent again on row {kept_row} ({kept}); the latest "
                       "is kept.", row=outcome.source.row, id=outcome.record_id, title=repr(outcome.titolo),
                       kept_row=row_of[kept], kept=kept))
    lines.append(f"{result.summary()}.")
    return lines
