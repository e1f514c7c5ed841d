"""Reading and checking a corrections file: its usable decisions, its bad lines, its contradictions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mapgen.errors import CorrectionsError, InputError
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


# --- reading and checking ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """One usable line of the corrections file.

    ``action`` is ``comune`` (place the record in ``comune``), ``escludi``,
    ``includi``, ``unisci``/``separa`` (with ``other``, the second record) or
    ``alias`` (``typed``/``provincia`` → ``comune``, for every record).
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

    def where(self) -> str:
        """``correzioni.csv, line 4`` (English, for error messages)."""
        return f"{self.file}, line {self.line}"

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


def _notice(file: str, line: int, column: str, value: str, message: str, fix: str,
            record: str = "") -> Notice:
    return Notice(kind="correzione", file=file, row=line, column=column, value=value,
                  message=message, fix=fix, record_id=record)


def _comune_of(text: str, gazetteer: Gazetteer) -> Comune | None:
    """The Comune named by a 6-digit code or ``Nome (SIGLA)``; a retired code follows its successor."""
    text = text.strip()
    found: Comune | None = None
    if _CODE.fullmatch(text):
        found = gazetteer.by_code(text)
    elif (label := _LABEL.fullmatch(text)) is not None:
        named = gazetteer.by_name(label["name"], sigla=label["sigla"])
        found = named[0] if named else None
    if found is not None and not found.active:
        found = gazetteer.successor_of(found) or found
    return found


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

    def notice(self, column: str, message: str, fix: str) -> Notice:
        return _notice(self.file, self.number, column, self.get(column), message, fix, self.get("record"))


def _decide(line: _Line, gazetteer: Gazetteer) -> Decision | Notice | None:
    """The decision a line holds, a notice saying why it cannot be used, or None for a blank line."""
    record, code_text = line.get("record"), line.get("codice_istat")
    action, other = _action_of(line.get("azione"))
    base = Decision(file=line.file, line=line.number, action="", record=record, note=line.get("nota"))
    comune = _comune_of(code_text, gazetteer) if code_text else None
    if code_text and comune is None:
        return line.notice("codice_istat", "non è un Comune: né un codice ISTAT di 6 cifre esistente, né "
                           "un «Nome (SIGLA)» del gazetteer.",
                           "Scrivere il codice ISTAT (es. 001272) o il Comune come «Torino (TO)».")
    if not record:
        return _alias(line, base, comune)
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
        return line.notice("azione", "azione sconosciuta.",
                           "Scrivere escludi, includi, unisci <record> o separa <record>, o lasciare vuoto.")
    if comune_text:
        return line.notice("azione", f"la riga indica sia un Comune, «{comune_text}», sia un'azione.",
                           "Tenere una sola decisione per riga: il Comune o l'azione.")
    if action in ("unisci", "separa") and not other:
        return line.notice("azione", f"«{action}» senza il record a cui si riferisce.",
                           f"Scrivere «{action} <record>», con l'identificativo della colonna record.")
    if action in ("unisci", "separa") and other == line.get("record"):
        return line.notice("azione", f"«{action}» nomina lo stesso record della colonna record: una pratica "
                           "non si unisce né si separa da se stessa.",
                           f"Scrivere dopo «{action}» l'identificativo dell'altro record, oppure togliere la riga.")
    return None


def _alias(line: _Line, base: Decision, comune: Comune | None) -> Decision | Notice | None:
    typed = line.get("comune_indicato")
    if not typed and comune is None and not line.get("azione"):
        return None
    if not typed or comune is None:
        return line.notice("record", "riga senza record: per insegnare un nome servono comune_indicato e "
                           "codice_istat.", "Indicare il record, oppure il nome scritto e il suo Comune.")
    return replace(base, action="alias", comune=comune, typed=typed,
                   provincia=line.get("provincia_indicata"), value=line.get("codice_istat"))


def _columns_of(path: Path, columns: Sequence[str]) -> dict[str, int]:
    found = {name.strip().casefold(): n for n, name in enumerate(columns)}
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise InputError(
            f"{path.name}: the corrections file has no column {missing[0]!r} (columns: "
            f"{', '.join(columns)}). Start from the da_correggere.csv of a build, which has them all."
        )
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
        f"{d.where()} and line {first.line}: records {d.record} and {d.other} are joined on one line "
        "and kept apart on the other"
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
            if first.comune != d.comune:
                clashes.append(f"{d.where()} and line {first.line}: {d.typed!r} is taught as "
                               f"{_what(first)} and as {_what(d)}")
            continue
        for earlier in by_record.get(d.record, []):
            if _clash(earlier, d):
                clashes.append(f"{d.where()} and line {earlier.line}: record {d.record} gets "
                               f"{_what(earlier)!r} and {_what(d)!r}")
        by_record.setdefault(d.record, []).append(d)
    clashes += _pair_clashes(decisions)
    if clashes:
        raise CorrectionsError(
            "the corrections file contradicts itself, nothing was built: " + "; ".join(clashes)
            + ". Keep one of the two lines (or make them say the same thing) and run again."
        )


