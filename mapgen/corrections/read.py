"""Corrections that last: a person decides once, every later build keeps the decision.

``mapgen build`` writes ``da_correggere.csv``: one line per record that needs a
person (a place not found, ambiguous or not a Comune, a fuzzy match to check, a
practice excluded for missing data). A person fills ``codice_istat``, ``azione``
and ``nota``, saves the file outside the output folder and passes it back with
``--corrections``; :func:`read_corrections` checks it and :func:`apply_corrections`
applies it between geocoding and merging, to survey records and previous-map
features alike.

Columns (``;``-separated, UTF-8 with BOM, as Italian Excel opens them)::

    record;origine;comune_indicato;provincia_indicata;regione_indicata;titolo;
    esito;motivo;candidati;codice_istat;azione;nota

Decisions
---------
``codice_istat``
    A 6-digit ISTAT code or ``Nome (SIGLA)``: the record is placed there (the
    match method becomes ``correzione``). Equal to a fuzzy match, it confirms it.
``azione``
    ``escludi`` (off the map), ``includi`` (back on it: an incomplete response),
    ``unisci <record>`` (the same practice), ``separa <record>`` (two practices).
empty ``record``
    With ``comune_indicato`` (and optionally ``provincia_indicata``) and
    ``codice_istat``: an alias. Every record, in any edition, that typed exactly
    that text gets that Comune.

Lines that cannot be applied become :class:`~mapgen.model.Notice` objects (file,
line, value, fix) shown by the CLI and the report; two lines that contradict each
other raise :class:`~mapgen.errors.CorrectionsError` before anything is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mapgen._csv import write_excel_csv
from mapgen.errors import CorrectionsError, InputError, OutputError
from mapgen.model import (
    AppliedCorrection,
    BuildResult,
    Comune,
    Initiative,
    Match,
    MatchStatus,
    Notice,
    Outcome,
    OutputOptions,
    RowOutcome,
    Source,
    SourceRef,
)

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer

__all__ = [
    "APPLIED_COLUMNS",
    "APPLIED_NAME",
    "COLUMNS",
    "METHOD",
    "REVIEW_NAME",
    "Corrections",
    "Decision",
    "Review",
    "apply_corrections",
    "candidates_of",
    "corrected_match",
    "esito",
    "needs_person",
    "origin",
    "read_corrections",
    "review_lines",
    "review_order",
    "review_rows",
    "settle_pairs",
    "write_review",
]

log = logging.getLogger(__name__)

#: The file of records that need a person, written into the output folder.
REVIEW_NAME: Final = "da_correggere.csv"
#: Every correction used by the build, with its line and what it changed.
APPLIED_NAME: Final = "correzioni_applicate.csv"
#: The match method of a record placed by a person.
METHOD: Final = "correzione"

#: Columns of ``da_correggere.csv`` (and of the corrections file), in file order.
COLUMNS: Final = (
    "record", "origine", "comune_indicato", "provincia_indicata", "regione_indicata", "titolo",
    "esito", "motivo", "candidati", "codice_istat", "azione", "nota",
)
#: Columns of ``correzioni_applicate.csv``.
APPLIED_COLUMNS: Final = ("file", "riga", "record", "azione", "valore", "effetto", "nota")

_REQUIRED: Final = ("record", "codice_istat", "azione")
_ACTIONS: Final = ("escludi", "includi", "unisci", "separa")
_LABEL = re.compile(r"(?P<name>.+?)\s*\(\s*(?P<sigla>[A-Za-z]{2})\s*\)\s*")
_CODE = re.compile(r"[0-9]{1,6}")
# Statuses where the build found the Comune by itself, without a doubt to check.
_CONFIDENT: Final = frozenset({MatchStatus.EXACT, MatchStatus.NORMALIZED, MatchStatus.ALIAS,
                               MatchStatus.SPATIAL, MatchStatus.ONLINE, MatchStatus.CORRECTED})


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
    if action and action not in _ACTIONS:
        return line.notice("azione", "azione sconosciuta.",
                           "Scrivere escludi, includi, unisci <record> o separa <record>, o lasciare vuoto.")
    if comune is not None and action:
        return line.notice("azione", f"la riga indica sia un Comune, «{code_text}», sia un'azione.",
                           "Tenere una sola decisione per riga: il Comune o l'azione.")
    if action in ("unisci", "separa") and not other:
        return line.notice("azione", f"«{action}» senza il record a cui si riferisce.",
                           f"Scrivere «{action} <record>», con l'identificativo della colonna record.")
    if action:
        return replace(base, action=action, other=other, value=line.get("azione"))
    if comune is not None:
        return replace(base, action="comune", comune=comune, value=code_text)
    return None  # a line left for later: nothing decided yet


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


# --- applying ------------------------------------------------------------------------------


def corrected_match(comune: Comune, decision: Decision, before: Match | None) -> Match:
    """The match of a record placed by a person: method ``correzione``, the file and line as evidence."""
    raw: dict[str, object] = {"file": decision.file, "line": decision.line}
    if before is not None:
        raw["before"] = f"{before.status.value} {before.istat_code or ''}".strip()
    return Match(
        status=MatchStatus.CORRECTED, istat_code=comune.istat_code, name=comune.name, sigla=comune.sigla,
        region=comune.region, lat=comune.lat, lon=comune.lon, score=100.0, method=METHOD,
        hint=f"Comune indicato da una persona ({decision.evidence()}).", raw=raw,
    )


@dataclass
class Review:
    """The records after the corrections: what goes on to the merge, and the evidence.

    ``pairs`` are the records to merge with their (corrected) matches, in input
    order; ``outcomes`` are the readers' outcomes plus the records a person
    excluded; ``keys`` are the merge's practice keys (``unisci``/``separa``).
    """

    pairs: list[tuple[Initiative, Match]]
    outcomes: list[RowOutcome]
    keys: dict[str, str] = field(default_factory=dict)
    applied: list[AppliedCorrection] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    pairs_decided: list[Decision] = field(default_factory=list)  # unisci/separa lines used as they are

    def use(self, d: Decision, effect: str, *, action: str = "") -> None:
        self.applied.append(AppliedCorrection(
            file=d.file, line=d.line, record=d.record, action=action or d.action, value=d.value,
            effect=effect, note=d.note,
        ))

    def unused(self, d: Decision, message: str, fix: str, *, column: str = "") -> None:
        column = column or ("codice_istat" if d.action in ("comune", "alias") else "azione")
        value = d.record if column == "record" else d.value
        self.notices.append(_notice(d.file, d.line, column, value, message, fix, d.record))


def _matches_alias(record: Initiative, d: Decision) -> bool:
    if record.place.comune.strip() != d.typed:
        return False
    return not d.provincia or record.place.provincia.strip().casefold() == d.provincia.casefold()


def _apply_aliases(review: Review, aliases: Sequence[Decision], decided: set[str]) -> None:
    """Every record that typed an alias's text exactly gets its Comune (record lines win)."""
    for d in aliases:
        assert d.comune is not None
        hits = [n for n, (r, _) in enumerate(review.pairs) if r.record_id not in decided and _matches_alias(r, d)]
        changed = 0
        for n in hits:
            record, match = review.pairs[n]
            if match.status in _CONFIDENT and match.istat_code == d.comune.istat_code:
                continue
            review.pairs[n] = (record, corrected_match(d.comune, d, match))
            changed += 1
        if hits and not changed:
            review.unused(d, f"la riga non cambia più nulla: mapgen trova già {d.comune.label} per "
                          f"{d.typed!r} da solo.", "Togliere la riga dal file delle correzioni.")
        else:
            review.use(d, f"{changed} record con {d.typed!r} in {d.comune.label} ({d.comune.istat_code})"
                       if hits else f"nessun record con {d.typed!r} in questa costruzione")


def _place(review: Review, d: Decision, n: int) -> None:
    assert d.comune is not None
    record, match = review.pairs[n]
    if match.istat_code == d.comune.istat_code and match.status is MatchStatus.FUZZY:
        review.pairs[n] = (record, corrected_match(d.comune, d, match))
        review.use(d, f"confermato {d.comune.label} ({d.comune.istat_code})", action="conferma")
    elif match.istat_code == d.comune.istat_code and match.status in _CONFIDENT:
        review.unused(d, f"la riga non cambia più nulla: mapgen trova già {d.comune.label} da solo.",
                      "Togliere la riga dal file delle correzioni.")
    else:
        review.pairs[n] = (record, corrected_match(d.comune, d, match))
        before = f"{match.name} ({match.sigla})" if match.name else match.status.value
        review.use(d, f"{before} → {d.comune.label} ({d.comune.istat_code})")


def _person_excluded(record: Initiative, d: Decision) -> RowOutcome:
    return RowOutcome(
        source=record.source, record_id=record.record_id, typed=record.place, outcome=Outcome.EXCLUDED,
        titolo=record.titolo, reason=f"Esclusa da una persona ({d.evidence()})."
        + (f" Nota: {d.note}" if d.note else ""),
    )


def _exclude(review: Review, d: Decision, at: Mapping[str, int], read: Mapping[str, int]) -> None:
    if d.record in at:
        record, _ = review.pairs[at[d.record]]
        review.outcomes.append(_person_excluded(record, d))
        review.use(d, "esclusa dalla mappa")
    elif needs_person(review.outcomes[read[d.record]]):
        # A record a reader could not use (no title, no Comune, no geometry): a person settles it.
        o = review.outcomes[read[d.record]]
        review.outcomes[read[d.record]] = replace(
            o, outcome=Outcome.EXCLUDED, match=None, fix="",
            reason=f"{o.reason} Esclusa da una persona ({d.evidence()})." + (f" Nota: {d.note}" if d.note else ""))
        review.use(d, "esclusione confermata")
    else:
        review.unused(d, "la riga non cambia più nulla: il record è già fuori dalla mappa.",
                      "Togliere la riga dal file delle correzioni.")


def _include(review: Review, d: Decision, read: Mapping[str, int], included: Mapping[str, str]) -> None:
    if included.get(d.record):
        # Not a duplicate after all: the two records stay two practices in the merge.
        twin = included[d.record]
        review.keys[d.record] = "separa:" + d.record
        review.keys.setdefault(twin, "separa:" + twin)
        review.use(d, f"non è un duplicato di {twin}: rimessa sulla mappa")
    elif d.record in included:
        review.use(d, "risposta incompleta rimessa sulla mappa")
    elif d.record in read and review.outcomes[read[d.record]].outcome is Outcome.EXCLUDED:
        review.unused(d, "manca il titolo o il Comune: la pratica non si può mettere sulla mappa.",
                      "Completare la risposta in LimeSurvey, oppure scrivere escludi.")
    else:
        review.unused(d, "la riga non cambia più nulla: il record è già sulla mappa.",
                      "Togliere la riga dal file delle correzioni.")


class _Groups:
    """Union-find over record ids, for ``unisci``."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, item: str) -> str:
        while (up := self.parent.get(item, item)) != item:
            item = up
        return item

    def join(self, a: str, b: str) -> None:
        ra, rb = sorted((self.root(a), self.root(b)))
        if ra != rb:
            self.parent[rb] = ra


def _join_and_split(review: Review, pairs_of: Sequence[Decision], at: Mapping[str, int]) -> None:
    """``unisci``: one practice (in the second record's Comune); ``separa``: never joined."""
    usable = [d for d in pairs_of if d.other in at and d.record in at]
    for d in pairs_of:
        if d not in usable:
            review.unused(d, f"il record {d.other!r} non è tra quelli messi sulla mappa in questa costruzione.",
                          "Copiare l'identificativo dalla colonna record di report.csv.")
    groups = _Groups()
    for d in usable:
        if d.action == "unisci":
            groups.join(d.record, d.other)
    for d in usable:
        if d.action == "separa" and groups.root(d.record) == groups.root(d.other):
            raise CorrectionsError(
                f"{d.where()}: records {d.record} and {d.other} are kept apart here but joined by "
                "unisci lines (directly or through other records). Keep one of the two decisions and run again."
            )
    for d in usable:
        if d.action == "unisci":
            _join(review, d, at, "unisci:" + groups.root(d.record))
    for d in usable:
        if d.action == "separa":
            for rid in (d.record, d.other):
                review.keys.setdefault(rid, "separa:" + rid)
            review.pairs_decided.append(d)
            review.use(d, f"pratica diversa da {d.other}")


def _join(review: Review, d: Decision, at: Mapping[str, int], key: str) -> None:
    """One practice: the record moves to the other's Comune if needed (method ``correzione``)."""
    record, match = review.pairs[at[d.record]]
    _, target = review.pairs[at[d.other]]
    if target.status.resolved and target.istat_code != match.istat_code:
        moved = replace(target, status=MatchStatus.CORRECTED, method=METHOD, score=100.0, candidates=(),
                        hint=f"Stessa pratica di {d.other}, indicata da una persona ({d.evidence()}).",
                        raw={"file": d.file, "line": d.line, "before": match.status.value})
        review.pairs[at[d.record]] = (record, moved)
    else:
        review.pairs_decided.append(d)  # same Comune: the merge may join them by itself
    review.keys[d.record] = review.keys[d.other] = key
    review.use(d, f"stessa pratica di {d.other}")


def apply_corrections(
    corrections: Corrections,
    pairs: Sequence[tuple[Initiative, Match]],
    outcomes: Sequence[RowOutcome],
    *,
    included: Mapping[str, str] | None = None,
) -> Review:
    """Apply a person's decisions to the geocoded records, before the merge.

    Parameters
    ----------
    corrections
        The checked file (:func:`read_corrections`).
    pairs
        Every record to merge with the geocoder's match, survey records and
        previous-map features alike.
    outcomes
        The readers' outcomes (excluded, duplicate, carried records).
    included
        Record ids the build read back because of an ``includi`` line: an incomplete
        response (mapped to ``""``) or a duplicate (mapped to the record that was kept).

    Returns
    -------
    Review
        The records to merge, the outcomes, the merge keys, what was applied and what was not.
    """
    review = Review(pairs=list(pairs), outcomes=list(outcomes), notices=list(corrections.notices))
    at = {r.record_id: n for n, (r, _) in enumerate(review.pairs)}
    read = {o.record_id: n for n, o in enumerate(review.outcomes)}
    decided = {d.record for d in corrections.decisions if d.action in ("comune", "escludi")}
    by_action: dict[str, list[Decision]] = {}
    for d in corrections.decisions:
        if d.action != "alias" and d.record not in at and d.record not in read:
            review.unused(d, "record sconosciuto: nessun record di questa costruzione ha questo identificativo.",
                          "Copiare l'identificativo dalla colonna record di da_correggere.csv o di report.csv.",
                          column="record")
            continue
        by_action.setdefault(d.action, []).append(d)
    _apply_aliases(review, by_action.get("alias", []), decided)
    for d in by_action.get("comune", []):
        if d.record in at:
            _place(review, d, at[d.record])
        else:
            review.unused(d, "il record non è tra quelli da mettere sulla mappa (escluso, duplicato o altro "
                          "contenuto): il Comune non si può assegnare.",
                          "Completare la risposta nel file di origine, oppure scrivere escludi.")
    for d in by_action.get("includi", []):
        _include(review, d, read, included or {})
    _join_and_split(review, [*by_action.get("unisci", []), *by_action.get("separa", [])], at)
    excluded = set()
    for d in by_action.get("escludi", []):
        _exclude(review, d, at, read)
        excluded.add(d.record)
    review.pairs = [(r, m) for r, m in review.pairs if r.record_id not in excluded]
    review.applied.sort(key=lambda a: (a.file, a.line))
    review.notices.sort(key=lambda n: (n.file, n.row or 0))
    return review


def settle_pairs(review: Review, unkeyed: Mapping[str, str]) -> None:
    """Report the ``unisci``/``separa`` lines that the merge now does by itself.

    ``unkeyed`` gives each record's initiative id in a merge without the person's
    keys: two records already joined (``unisci``) or already apart (``separa``)
    mean the line no longer changes anything.
    """
    for d in review.pairs_decided:
        joined = bool(unkeyed.get(d.record)) and unkeyed.get(d.record) == unkeyed.get(d.other)
        if joined != (d.action == "unisci"):
            continue
        review.applied = [a for a in review.applied if (a.file, a.line) != (d.file, d.line)]
        state = "le unisce già" if joined else "le tiene già separate"
        review.unused(d, f"la riga non cambia più nulla: mapgen {state} da solo.",
                      "Togliere la riga dal file delle correzioni.")
    review.notices.sort(key=lambda n: (n.file, n.row or 0))


# --- who needs a person --------------------------------------------------------------------

_MISSING_DATA_PREFIX: Final = "Manca "


def needs_person(outcome: RowOutcome) -> bool:
    """True when only a person can settle the record.

    A place not found, ambiguous or not a Comune; a fuzzy match not yet
    confirmed; a practice excluded for missing data (no title, no Comune) whose
    exclusion nobody confirmed.
    """
    if outcome.outcome in (Outcome.UNRESOLVED, Outcome.AMBIGUOUS, Outcome.NOT_A_COMUNE):
        return True
    if outcome.match is not None and outcome.match.status is MatchStatus.FUZZY:
        return outcome.outcome in (Outcome.MAPPED, Outcome.MERGED, Outcome.DUPLICATE)
    return (outcome.outcome is Outcome.EXCLUDED and outcome.source.source is Source.SURVEY
            and outcome.reason.startswith(_MISSING_DATA_PREFIX) and "da una persona" not in outcome.reason)


_ESITI: Final[Mapping[Outcome, str]] = {
    Outcome.UNRESOLVED: "Comune non trovato",
    Outcome.AMBIGUOUS: "Comune ambiguo",
    Outcome.NOT_A_COMUNE: "non è un Comune",
    Outcome.EXCLUDED: "esclusa per dati mancanti",
}
_ORDER: Final = (Outcome.UNRESOLVED, Outcome.AMBIGUOUS, Outcome.NOT_A_COMUNE)


def review_order(outcome: RowOutcome) -> int:
    """Where a record needing a person comes in the list: not found, ambiguous, not a Comune, fuzzy, missing data."""
    if outcome.outcome in _ORDER:
        return _ORDER.index(outcome.outcome)
    return 4 if outcome.outcome is Outcome.EXCLUDED else 3


def origin(ref: SourceRef) -> str:
    """Where a record is, in Italian: ``survey_2020.csv, riga 8, pratica 2``."""
    parts = [ref.file]
    if ref.layer is not None:
        parts.append(f"livello «{ref.layer}»")
    if ref.feature is not None:
        parts.append(f"elemento {ref.feature}")
    if ref.row is not None:
        parts.append(f"riga {ref.row}")
    if ref.group is not None and ref.group > 1:
        parts.append(f"pratica {ref.group}")
    return ", ".join(parts)


def candidates_of(outcome: RowOutcome) -> list[tuple[str, str]]:
    """``(ISTAT code, "Nome (SIGLA)")`` of each Comune the record may mean (a fuzzy match's first)."""
    match = outcome.match
    if match is None:
        return []
    found = [(c.istat_code, f"{c.name} ({c.sigla})") for c in match.candidates]
    if match.status is MatchStatus.FUZZY and match.istat_code:
        found.insert(0, (match.istat_code, f"{match.name} ({match.sigla})"))
    return list(dict.fromkeys(found))


def esito(outcome: RowOutcome) -> str:
    """Why the record needs a person, in Italian."""
    if outcome.match is not None and outcome.match.status is MatchStatus.FUZZY:
        return "Comune corretto automaticamente: da verificare"
    return _ESITI.get(outcome.outcome, outcome.outcome.value)


def review_rows(build: BuildResult) -> list[list[str]]:
    """One row of :data:`COLUMNS` per record that needs a person, the three last columns empty."""
    waiting = sorted((o for o in build.outcomes if needs_person(o)), key=review_order)  # stable
    return [
        [o.record_id, origin(o.source), o.typed.comune, o.typed.provincia, o.typed.regione, o.titolo,
         esito(o), o.reason or (o.match.hint if o.match else ""),
         "; ".join(f"{code} {label}" for code, label in candidates_of(o)), "", "", ""]
        for o in waiting
    ]


_WHY: Final[Mapping[Outcome, str]] = {
    Outcome.UNRESOLVED: "no Comune found",
    Outcome.AMBIGUOUS: "ambiguous",
    Outcome.NOT_A_COMUNE: "not a Comune",
    Outcome.EXCLUDED: "excluded for missing data",
}


def review_lines(build: BuildResult) -> list[str]:
    """English lines for ``mapgen validate``: the records that need a person, the corrections used."""
    waiting = sorted((o for o in build.outcomes if needs_person(o)), key=review_order)
    lines = [f"Places (offline gazetteer): {len(waiting)} records need a person."]
    for o in waiting:
        fuzzy = o.match is not None and o.match.status is MatchStatus.FUZZY
        why = f"fuzzy match to check: {o.match.name} ({o.match.sigla})" if fuzzy and o.match else _WHY[o.outcome]
        found = "; ".join(f"{code} {label}" for code, label in candidates_of(o) if not fuzzy)
        lines.append(f"  {o.source.label()} ({o.record_id}): {str(o.typed)!r}: {why}"
                     + (f"; candidates: {found}" if found else ""))
    if build.corrections:
        lines.append(f"Corrections applied: {len(build.corrections)}.")
    lines += [f"Correction not applied: {n}" for n in build.notices if n.kind == "correzione"]
    return lines


def _applied_rows(build: BuildResult) -> list[list[str]]:
    return [[a.file, str(a.line), a.record, a.action, a.value, a.effect, a.note] for a in build.corrections]


def write_review(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """Write ``da_correggere.csv`` and ``correzioni_applicate.csv`` (``;``, UTF-8 with BOM).

    Parameters
    ----------
    build
        The result of the pipeline.
    out_dir
        The (staging) output folder.
    gazetteer, options
        Unused; every writer has the same signature.

    Returns
    -------
    list[Path]
        The two files.
    """
    try:
        return [
            write_excel_csv(out_dir / REVIEW_NAME, COLUMNS, review_rows(build), delimiter=";"),
            write_excel_csv(out_dir / APPLIED_NAME, APPLIED_COLUMNS, _applied_rows(build), delimiter=";"),
        ]
    except OSError as exc:
        raise OutputError(f"could not write {REVIEW_NAME} in {out_dir}: {exc}. "
                          "Check that the folder is writable and has free space.") from exc
