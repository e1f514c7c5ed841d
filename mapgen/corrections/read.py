"""Reading and checking a corrections file: its usable decisions, its bad lines, its contradictions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mapgen.errors import CorrectionsError, InputError
from mapgen.i18n import Message, _, _l
from mapgen.model import Comune, Notice

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer

__all__ = ["COLUMNS", "Corrections", "Decision", "read_corrections"]

#: Columns of ``da_correggere.csv`` (and of the corrections file), in file order.
COLUMNS: Final = (
    "record", "origine", "comune_indicato", "provincia_indicata", "regione_indicata", "titolo",
    "esito", "motivo", "candidati", "codice_istat", "azione", "nota",
)
_REQUIRED: Final = ("record", "codice_istat", "azione")
_ACTIONS: Final = ("escludi", "includi", "unisci", "separa")
_LABEL = re.compile(r"(?P<name>.+?)\s*\(\s*(?P<sigla>[A-Za-z]{2})\s*\)\s*")
_CODE = re.compile(r"[0-9]{1,6}")
#: ``001006 Almese (TO)``: how da_correggere.csv writes a candidate; the code decides.
_CODED_LABEL = re.compile(r"(?P<code>[0-9]{6})\s+.+")
#: The action of an alias line that teaches an association (its members in ``candidati``).
TEACH_ASSOCIATION: Final = "associazione"


# --- reading and checking ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """One usable line of the corrections file.

    ``action`` is ``comune`` (place the record in ``comune``), ``escludi``,
    ``includi``, ``unisci``/``separa`` (with ``other``, the second record) or
    ``alias`` (``typed``/``provincia`` → ``comune``, for every record). An alias with
    ``members`` (``azione`` = ``associazione``, the members in ``candidati``) teaches an
    association of Comuni the register lacks (an Ambito): its name → its lead and members.
    """

    file: str
    line: int
    action: str
    record: str = ""
    comune: Comune | None = None
    other: str = ""
    typed: str = ""
    provincia: str = ""
    value: str = ""
    note: str = ""
    members: tuple[Comune, ...] = ()

    def where(self) -> str:
        """``correzioni.csv, line 4`` (the person's language, for error messages)."""
        return _("{file}, line {line}", file=self.file, line=self.line)

    def evidence(self) -> str:
        """``correzioni.csv, riga 4`` (Italian, for the report and the GIS files)."""
        return f"{self.file}, riga {self.line}"


@dataclass(frozen=True, slots=True)
class Corrections:
    """A corrections file as read: its usable decisions, its bad lines, its rows as written."""

    file: str
    decisions: tuple[Decision, ...] = ()
    notices: tuple[Notice, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    def includes(self) -> set[str]:
        """Record ids a person wants back on the map (``azione = includi``)."""
        return {d.record for d in self.decisions if d.action == "includi"}


def _notice(file: str, line: int, column: str, value: str, message: str | Message, fix: str | Message,
            record: str = "") -> Notice:
    return Notice(kind="correzione", file=file, row=line, column=column, value=value,
                  message=message, fix=fix, record_id=record)


def _comune_of(text: str, gazetteer: Gazetteer) -> Comune | None:
    """The Comune named by a 6-digit code, ``Nome (SIGLA)`` or the bare name of one current Comune.

    A retired code follows its successor. A bare name shared by several current Comuni names none
    (:func:`_namesakes` lists them for the notice).
    """
    text = text.strip()
    found: Comune | None = None
    if _CODE.fullmatch(text):
        found = gazetteer.by_code(text)
    elif (label := _LABEL.fullmatch(text)) is not None:
        named = gazetteer.by_name(label["name"], sigla=label["sigla"])
        found = named[0] if named else None
    elif len(named := gazetteer.current_named(text)) == 1:
        found = named[0]
    if found is not None and not found.active:
        found = gazetteer.successor_of(found) or found
    return found


def _namesakes(text: str, gazetteer: Gazetteer) -> list[Comune]:
    """The current Comuni a bare name (no code, no province) could mean."""
    text = text.strip()
    if _CODE.fullmatch(text) or _LABEL.fullmatch(text):
        return []
    return gazetteer.current_named(text)


def _label(comune: Comune) -> str:
    """``Livo (CO)``: how a Comune is written in the codice_istat column."""
    return f"{comune.name} ({comune.sigla})"


def _action_of(text: str) -> tuple[str, str]:
    """``("unisci", "2020-R4-G1")`` from ``unisci 2020-R4-G1``; ``("", "")`` when empty."""
    words = text.split()
    if not words:
        return "", ""
    return words[0].casefold(), " ".join(words[1:])


def _unquoted(text: str) -> str:
    """Undo the ``'`` our CSV writers put before a cell that a spreadsheet would run as a formula."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


@dataclass
class _Line:
    """One line of the file being checked."""

    file: str
    number: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return _unquoted(self.cells.get(column, "").strip())

    def notice(self, column: str, message: Message, fix: Message) -> Notice:
        return _notice(self.file, self.number, column, self.get(column), message, fix, self.get("record"))


def _decide(line: _Line, gazetteer: Gazetteer) -> Decision | Notice | None:
    """The decision a line holds, a notice saying why it cannot be used, or None for a blank line."""
    record, code_text = line.get("record"), line.get("codice_istat")
    action, other = _action_of(line.get("azione"))
    base = Decision(file=line.file, line=line.number, action="", record=record, note=line.get("nota"))
    comune = _comune_of(code_text, gazetteer) if code_text else None
    if code_text and comune is None and len(namesakes := _namesakes(code_text, gazetteer)) > 1:
        labels = [_label(c) for c in namesakes]
        return line.notice("codice_istat", _l("several Comuni are called «{name}»: {comuni}.", name=code_text,
                                              comuni=", ".join(labels)),
                           _l("Add the province, as «{example}», or write the ISTAT code.", example=labels[0]))
    if code_text and comune is None:
        return line.notice("codice_istat", _l("not a Comune: neither an existing 6-digit ISTAT code nor a "
                                              "«Name (SIGLA)» of the gazetteer."),
                           _l("Write the ISTAT code (e.g. 001272) or the Comune as «Torino (TO)»."))
    if not record:
        return _alias(line, base, comune, gazetteer)
    if action and (problem := _action_problem(line, action, other, code_text if comune else "")):
        return problem
    if action:
        return replace(base, action=action, other=other, value=line.get("azione"))
    if comune is not None:
        return replace(base, action="comune", comune=comune, value=code_text)
    return None  # a line left for later: nothing decided yet


def _action_problem(line: _Line, action: str, other: str, comune_text: str) -> Notice | None:
    """Why the line's ``azione`` cannot be used, if it cannot."""
    if action not in _ACTIONS:
        return line.notice("azione", _l("unknown action."),
                           _l("Write escludi, includi, unisci <record> or separa <record>, or leave it empty."))
    if comune_text:
        return line.notice("azione", _l("the line gives both a Comune, «{comune}», and an action.",
                                        comune=comune_text),
                           _l("Keep one decision per line: the Comune or the action."))
    if action in ("unisci", "separa") and not other:
        return line.notice("azione", _l("«{action}» without the record it refers to.", action=action),
                           _l("Write «{action} <record>», with the id from the record column.", action=action))
    if action in ("unisci", "separa") and other == line.get("record"):
        return line.notice("azione", _l("«{action}» names the record of the record column itself: a practice is "
                                        "neither joined to nor split from itself.", action=action),
                           _l("After «{action}» write the other record's id, or remove the line.", action=action))
    return None


def _alias(line: _Line, base: Decision, comune: Comune | None, gazetteer: Gazetteer) -> Decision | Notice | None:
    typed = line.get("comune_indicato")
    if not typed and comune is None and not line.get("azione"):
        return None
    if not typed or comune is None:
        return line.notice("record", _l("line without a record: teaching a name needs comune_indicato and "
                                        "codice_istat."),
                           _l("Give the record, or the name as written and its Comune."))
    alias = replace(base, action="alias", comune=comune, typed=typed,
                    provincia=line.get("provincia_indicata"), value=line.get("codice_istat"))
    if _action_of(line.get("azione"))[0] != TEACH_ASSOCIATION:
        return alias
    members = _members_of(line, gazetteer)
    if isinstance(members, Notice):
        return members
    return replace(alias, members=tuple({c.istat_code: c for c in (comune, *members)}.values()))


def _members_of(line: _Line, gazetteer: Gazetteer) -> tuple[Comune, ...] | Notice:
    """The member Comuni listed in ``candidati`` (``001006 Almese (TO); Avigliana (TO)``)."""
    found: list[Comune] = []
    for item in (i.strip() for i in re.split(r"[;,\n]", line.get("candidati"))):
        coded = _CODED_LABEL.fullmatch(item)
        comune = _comune_of(coded["code"] if coded else item, gazetteer) if item else None
        if item and comune is None:
            return line.notice("candidati", _l("«{item}» is not a Comune of the gazetteer.", item=item),
                               _l("List the members as «Name (SIGLA)» or ISTAT codes, separated by «;»."))
        if comune is not None:
            found.append(comune)
    if not found:
        return line.notice("candidati", _l("«associazione» without its members."),
                           _l("List the members in the candidati column as «Name (SIGLA)» or ISTAT codes, "
                              "separated by «;»."))
    return tuple(found)


def _columns_of(path: Path, columns: Sequence[str]) -> dict[str, int]:
    found = {name.strip().casefold(): n for n, name in enumerate(columns)}
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise InputError(_(
            "{file}: the corrections file has no column {column} (columns: {columns}). Start from the "
            "da_correggere.csv of a build, which has them all.", file=path.name, column=repr(missing[0]),
            columns=", ".join(columns)
        ))
    return {name: found[name] for name in COLUMNS if name in found}


def read_corrections(path: Path | str, *, gazetteer: Gazetteer) -> Corrections:
    """Read and check a corrections file (CSV or XLSX, as Excel saves it).

    Parameters
    ----------
    path
        The file a person filled, usually a copy of a build's ``da_correggere.csv``.
    gazetteer
        Checks every code and ``Nome (SIGLA)``.

    Returns
    -------
    Corrections
        The usable decisions, the bad lines as notices, every line as written.

    Raises
    ------
    InputError
        The file is unreadable or lacks the columns ``record``, ``codice_istat``, ``azione``.
    CorrectionsError
        Two lines decide the same record (or the same alias) in different ways.

    Examples
    --------
    >>> read_corrections("correzioni.csv", gazetteer=load_gazetteer())  # doctest: +SKIP
    """
    from mapgen.readers.table import read_table

    path = Path(path)
    table = read_table(path)
    index = _columns_of(path, table.columns)
    decisions: list[Decision] = []
    notices: list[Notice] = []
    rows: list[tuple[str, ...]] = []
    for number, cells in enumerate(table.rows, start=2):
        values = {name: cells[i] for name, i in index.items()}
        rows.append(tuple(values.get(name, "") for name in COLUMNS))
        found = _decide(_Line(path.name, number, values), gazetteer)
        if isinstance(found, Decision):
            decisions.append(found)
        elif isinstance(found, Notice):
            notices.append(found)
    _check_contradictions(decisions)
    return Corrections(file=path.name, decisions=tuple(decisions), notices=tuple(notices),
                       rows=tuple(r for r in rows if any(r)))


# --- contradictions ------------------------------------------------------------------------


def _what(decision: Decision) -> str:
    if decision.comune is not None:
        return f"{decision.action} {decision.comune.istat_code} {decision.comune.label}"
    return f"{decision.action} {decision.other}".strip()


def _clash(a: Decision, b: Decision) -> bool:
    """True when two decisions about the same record cannot both hold."""
    kinds = {a.action, b.action}
    if a.action == b.action == "comune":
        return a.comune != b.comune
    if kinds in ({"comune", "escludi"}, {"escludi", "includi"}, {"escludi", "unisci"}):
        return True
    if kinds == {"unisci", "separa"}:
        return a.other == b.other
    return False


def _pair_clashes(decisions: Sequence[Decision]) -> list[str]:
    """``unisci A B`` on one line and ``separa B A`` on another."""
    joined = {frozenset((d.record, d.other)): d for d in decisions if d.action == "unisci"}
    return [
        _("{where} and line {line}: records {record} and {other} are joined on one line and kept apart on the "
          "other", where=d.where(), line=first.line, record=d.record, other=d.other)
        for d in decisions
        if d.action == "separa" and (first := joined.get(frozenset((d.record, d.other)))) is not None
        and first.record != d.record
    ]


def _check_contradictions(decisions: Sequence[Decision]) -> None:
    """Raise when two lines decide the same record or alias differently; identical lines are fine."""
    clashes: list[str] = []
    by_record: dict[str, list[Decision]] = {}
    by_alias: dict[tuple[str, str], Decision] = {}
    for d in decisions:
        if d.action == "alias":
            key = (d.typed, d.provincia.casefold())
            first = by_alias.setdefault(key, d)
            if first.comune != d.comune or first.members != d.members:
                clashes.append(_("{where} and line {line}: {typed} is taught as {first} and as {second}",
                                 where=d.where(), line=first.line, typed=repr(d.typed), first=_what(first),
                                 second=_what(d)))
            continue
        for earlier in by_record.get(d.record, []):
            if _clash(earlier, d):
                clashes.append(_("{where} and line {line}: record {record} gets {first} and {second}",
                                 where=d.where(), line=earlier.line, record=d.record, first=repr(_what(earlier)),
                                 second=repr(_what(d))))
        by_record.setdefault(d.record, []).append(d)
    clashes += _pair_clashes(decisions)
    if clashes:
        raise CorrectionsError(_(
            "the corrections file contradicts itself, nothing was built: {clashes}. Keep one of the two lines (or "
            "make them say the same thing) and run again.", clashes="; ".join(clashes)
        ))


