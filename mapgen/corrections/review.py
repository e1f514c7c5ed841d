"""The review files: the records that need a person (``da_correggere.csv``) and the corrections used."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mapgen._csv import write_excel_csv
from mapgen.corrections.read import COLUMNS, Corrections, _unquoted
from mapgen.errors import MapgenError, OutputError
from mapgen.i18n import Message, _, _l, ngettext
from mapgen.model import (
    BuildResult,
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
    "NOTICES_NAME",
    "NOTICE_COLUMNS",
    "NOTICE_LIMIT",
    "REVIEW_NAME",
    "candidates_of",
    "decisions_in_use",
    "esito",
    "how_to_decide",
    "lost_decisions",
    "needs_person",
    "notice_rows",
    "notices_in_order",
    "origin",
    "review_file_rows",
    "review_lines",
    "review_order",
    "review_rows",
    "waiting_parts",
    "write_review",
]

log = logging.getLogger(__name__)

#: The file of records that need a person, written into the output folder.
REVIEW_NAME: Final = "da_correggere.csv"
#: Every correction used by the build, with its line and what it changed.
APPLIED_NAME: Final = "correzioni_applicate.csv"
#: Notices printed or shown in the page at most; beyond, a line says how many more (issue 29).
NOTICE_LIMIT: Final = 300
#: Every notice (reader warnings, corrections not applied), whole: the terminal and the page show
#: the first NOTICE_LIMIT (a file of 1,000,000 unknown records once printed 1,000,000 lines).
#: ``report*``: for staff, as report.csv (the contact guard leaves it alone).
NOTICES_NAME: Final = "report_avvisi.csv"
NOTICE_COLUMNS: Final = ("tipo", "file", "riga", "colonna", "valore", "problema", "come_correggere", "record")
#: Columns of ``correzioni_applicate.csv``.
APPLIED_COLUMNS: Final = ("file", "riga", "record", "azione", "valore", "effetto", "nota",
                          "comune_indicato", "provincia_indicata")
_AT: Final = {name: n for n, name in enumerate(COLUMNS)}


# --- who needs a person --------------------------------------------------------------------

_MISSING_DATA_PREFIX: Final = "Manca "


def needs_person(outcome: RowOutcome) -> bool:
    """True when only a person can settle the record.

    A place not found, ambiguous or not a Comune; a fuzzy match or a placement
    to check (``to_check``: words dropped or completed) not yet confirmed; a
    practice excluded for missing data (no title, no Comune) whose exclusion
    nobody confirmed.
    """
    if outcome.outcome in (Outcome.UNRESOLVED, Outcome.AMBIGUOUS, Outcome.NOT_A_COMUNE):
        return True
    if outcome.match is not None and outcome.match.status.for_a_person:
        return outcome.outcome in (Outcome.MAPPED, Outcome.MERGED, Outcome.DUPLICATE)
    return (outcome.outcome is Outcome.EXCLUDED and outcome.source.source is Source.SURVEY
            and outcome.reason.startswith(_MISSING_DATA_PREFIX) and "da una persona" not in outcome.reason)


def waiting_parts(outcomes: Sequence[RowOutcome]) -> tuple[int, int, int]:
    """The records that need a person, by why: place unresolved, automatic correction to check, data missing.

    The first is the totals' ``unresolved`` bucket (unresolved, ambiguous, not a Comune):
    every record in it needs a person. The three add up to :func:`needs_person`'s count.
    """
    unresolved = fuzzy = missing = 0
    for o in outcomes:
        if not needs_person(o):
            continue
        if o.outcome in _ORDER:
            unresolved += 1
        elif o.outcome is Outcome.EXCLUDED:
            missing += 1
        else:
            fuzzy += 1
    return unresolved, fuzzy, missing


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
    if match.status.for_a_person and match.istat_code:
        found.insert(0, (match.istat_code, f"{match.name} ({match.sigla})"))
    return list(dict.fromkeys(found))


def esito(outcome: RowOutcome) -> str:
    """Why the record needs a person, in Italian."""
    if outcome.match is not None and outcome.match.status is MatchStatus.FUZZY:
        return "Comune corretto automaticamente: da verificare"
    if outcome.match is not None and outcome.match.status is MatchStatus.TO_CHECK:
        return "Comune scelto da mapgen, non certo: da verificare"
    return _ESITI.get(outcome.outcome, outcome.outcome.value)


_DECIDE_WHERE: Final = ("in «Da correggere» (report.html) o nella colonna codice_istat di da_correggere.csv "
                        "(codice ISTAT o «Nome (SIGLA)»)")
_REBUILD: Final = ", poi ricostruire passando il file delle correzioni."
_HOW: Final[Mapping[Outcome, str]] = {
    Outcome.UNRESOLVED: f"Indicare il Comune {_DECIDE_WHERE}, oppure escludi" + _REBUILD,
    Outcome.AMBIGUOUS: f"Scegliere il Comune giusto tra i candidati {_DECIDE_WHERE}, oppure escludi" + _REBUILD,
    Outcome.NOT_A_COMUNE: f"Indicare il Comune (per un Ambito o un'Unione, il Comune capofila) {_DECIDE_WHERE}, "
    "oppure escludi" + _REBUILD,
}


def placeable(outcome: RowOutcome) -> bool:
    """True when a Comune a person gives puts the record on the map (a practice without title cannot go)."""
    return not (outcome.outcome is Outcome.EXCLUDED and not outcome.titolo)


def how_to_decide(outcome: RowOutcome) -> str:
    """What a person does about a record that needs one, in the words of docs/correzioni.md.

    The export and the previous map are never corrected by hand: a decision goes in the
    report's "Da correggere" or in ``da_correggere.csv``, passed back with ``--corrections``.
    """
    if outcome.match is not None and outcome.match.status is MatchStatus.FUZZY:
        return (f"Confermare il Comune proposto, o indicarne un altro, {_DECIDE_WHERE}" + _REBUILD)
    if outcome.outcome is Outcome.EXCLUDED and not placeable(outcome):
        return ("Manca il titolo: completarlo in LimeSurvey (arriverà con la prossima esportazione), oppure "
                "scrivere escludi in «Da correggere» (report.html) o nella colonna azione di "
                "da_correggere.csv" + _REBUILD)
    if outcome.outcome is Outcome.EXCLUDED:
        return f"Indicare il Comune {_DECIDE_WHERE}, oppure escludi" + _REBUILD
    return _HOW.get(outcome.outcome, f"Decidere {_DECIDE_WHERE}" + _REBUILD)


def review_rows(build: BuildResult) -> list[list[str]]:
    """One row of :data:`COLUMNS` per record that needs a person, the three last columns empty."""
    waiting = sorted((o for o in build.outcomes if needs_person(o)), key=review_order)  # stable
    return [
        [o.record_id, origin(o.source), o.typed.comune, o.typed.provincia, o.typed.regione, o.titolo,
         esito(o), o.reason or (o.match.hint if o.match else ""),
         "; ".join(f"{code} {label}" for code, label in candidates_of(o)), "", "", ""]
        for o in waiting
    ]


_WHY: Final[Mapping[Outcome, Message]] = {
    Outcome.UNRESOLVED: _l("no Comune found"),
    Outcome.AMBIGUOUS: _l("ambiguous"),
    Outcome.NOT_A_COMUNE: _l("not a Comune"),
    Outcome.EXCLUDED: _l("excluded for missing data"),
}


def review_lines(build: BuildResult) -> list[str]:
    """Lines for ``mapgen validate``: the records that need a person, the corrections used."""
    waiting = sorted((o for o in build.outcomes if needs_person(o)), key=review_order)
    lines = [ngettext("Places (offline gazetteer): {count} record needs a person.",
                      "Places (offline gazetteer): {count} records need a person.", len(waiting))]
    for o in waiting:
        fuzzy = o.match is not None and o.match.status.for_a_person
        if fuzzy and o.match:
            why = (_("fuzzy match to check: {name} ({sigla})", name=o.match.name, sigla=o.match.sigla)
                   if o.match.status is MatchStatus.FUZZY
                   else _("placement to check: {name} ({sigla})", name=o.match.name, sigla=o.match.sigla))
        else:
            why = str(_WHY[o.outcome])
        found = "; ".join(f"{code} {label}" for code, label in candidates_of(o)[1:] if fuzzy)
        found = found or "; ".join(f"{code} {label}" for code, label in candidates_of(o) if not fuzzy)
        lines.append(f"  {o.source.label()} ({o.record_id}): {str(o.typed)!r}: {why}"
                     + (_("; candidates: {candidates}", candidates=found) if found else ""))
    if build.corrections:
        lines.append(_("Corrections applied: {count}.", count=len(build.corrections)))
    refused = [n for n in build.notices if n.kind == "correzione"]
    lines += [_("Correction not applied: {notice}", notice=n) for n in refused[:NOTICE_LIMIT]]
    if len(refused) > NOTICE_LIMIT:
        lines.append(ngettext("... and {count} more correction not applied (a build lists them all in "
                              "report_avvisi.csv).",
                              "... and {count} more corrections not applied (a build lists them all in "
                              "report_avvisi.csv).", len(refused) - NOTICE_LIMIT))
    return lines


def _applied_rows(build: BuildResult) -> list[list[str]]:
    return [[a.file, str(a.line), a.record, a.action, a.value, a.effect, a.note, a.typed, a.provincia]
            for a in build.corrections]


# --- across rounds: the file to fill keeps every decision -----------------------------------


def _decides(row: Sequence[str]) -> bool:
    """True when a corrections line (in :data:`COLUMNS` order) decides something."""
    return bool(row[_AT["codice_istat"]].strip() or row[_AT["azione"]].strip())


def decisions_in_use(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """The lines of the corrections file in use that decide something, as written.

    Lines left blank are pending again, and :func:`review_rows` gives them afresh.
    """
    return [list(row) for row in rows if _decides(row)]


def review_file_rows(build: BuildResult) -> list[list[str]]:
    """``da_correggere.csv``: the decisions in use, then every record still waiting for one.

    Whichever file a person fills and passes back, the build's or the report page's
    download (which merges the same way), no earlier decision is lost. A record named by
    a decision in use is not offered again (its line is there to change); a note written
    on a line left blank stays with the record's new line.
    """
    kept = decisions_in_use(build.corrections_rows)
    named = {row[_AT["record"]] for row in kept if row[_AT["record"]]}
    notes = {row[_AT["record"]]: row[_AT["nota"]] for row in build.corrections_rows
             if not _decides(row) and row[_AT["record"]] and row[_AT["nota"]]}
    pending = []
    for row in review_rows(build):
        if row[_AT["record"]] not in named:
            row[_AT["nota"]] = notes.get(row[_AT["record"]], "")
            pending.append(row)
    return kept + pending


def _key(action: str, record: str, other: str, typed: str, provincia: str) -> tuple[str, ...]:
    """What a decision is about: two lines with one key cannot both hold (a person changed their mind)."""
    if action == "alias":
        return ("alias", typed.strip(), provincia.strip().casefold())
    if action in ("unisci", "separa"):
        return (action, *sorted((record, other)))
    return ("includi", record) if action == "includi" else ("posto", record)  # comune, conferma, escludi


def _previous_applied(path: Path) -> list[dict[str, str]]:
    """The rows of the previous build's ``correzioni_applicate.csv``; none when it is missing or unreadable."""
    from mapgen.readers.table import read_table

    if not path.is_file():
        return []
    try:
        table = read_table(path)
    except (MapgenError, OSError) as exc:
        log.warning("%s not read, the decisions of the previous build are not compared: %s", path, exc)
        return []
    columns = [c.strip() for c in table.columns]
    return [{c: _unquoted(cells[n].strip()) for n, c in enumerate(columns) if n < len(cells)}
            for cells in table.rows]


def _as_line(row: Mapping[str, str]) -> list[str]:
    """A decision the previous build applied, as a line of the corrections file."""
    action, value = row.get("azione", ""), row.get("valore", "")
    placed = action in ("comune", "conferma", "alias")
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(record=row.get("record", ""), comune_indicato=row.get("comune_indicato", ""),
                 provincia_indicata=row.get("provincia_indicata", ""), esito="decisione precedente",
                 motivo=f"applicata dalla costruzione precedente ({row.get('file', '')}, riga "
                 f"{row.get('riga', '')}) e assente dal file delle correzioni",
                 codice_istat=value if placed else "", azione="" if placed else value, nota=row.get("nota", ""))
    return [cells[c] for c in COLUMNS]


def lost_decisions(
    previous: Path, corrections: Corrections | None
) -> tuple[list[Notice], list[list[str]]]:
    """The decisions the previous build of this output applied that the corrections file lacks.

    Parameters
    ----------
    previous
        The previous build's ``correzioni_applicate.csv`` (in the output folder, before it is replaced).
    corrections
        The corrections file of this build, if any.

    Returns
    -------
    tuple[list[Notice], list[list[str]]]
        One notice per lost decision, by name (record, or the alias's text), and the
        decisions as lines of the corrections file, for ``da_correggere.csv`` to bring back.
    """
    decisions = corrections.decisions if corrections is not None else ()
    held = {_key(d.action, d.record, d.other, d.typed, d.provincia) for d in decisions}
    file = corrections.file if corrections is not None else "(nessun file delle correzioni)"
    notices: list[Notice] = []
    lines: list[list[str]] = []
    for number, row in enumerate(_previous_applied(previous), start=2):
        action, record = row.get("azione", ""), row.get("record", "")
        other = " ".join(row.get("valore", "").split()[1:])
        if not action or _key(action, record, other, row.get("comune_indicato", ""),
                              row.get("provincia_indicata", "")) in held:
            continue
        name = record or row.get("comune_indicato", "")
        notices.append(Notice(
            kind="correzione", file=previous.name, row=number, column="record" if record else "comune_indicato",
            value=name, record_id=record,
            message=_l("decision applied by the previous build ({file}, line {line}: {action} {value}) and missing "
                       "from {corrections}: this build does not apply it.", file=row.get("file", ""),
                       line=row.get("riga", ""), action=action, value=row.get("valore", ""), corrections=file),
            fix=_l("If it still holds, it is back in {review}: use that file as the corrections file; if it no "
                   "longer holds, remove the line from {review}.", review=REVIEW_NAME),
        ))
        lines.append(_as_line(row))
    return notices, lines


def notices_in_order(build: BuildResult) -> list[Notice]:
    """Every notice, the corrections not applied first, by file and line (as the report lists them)."""
    return sorted(build.notices, key=lambda n: (n.kind != "correzione", n.file, n.row or 0))


def notice_rows(build: BuildResult) -> list[list[str]]:
    """One row of :data:`NOTICE_COLUMNS` per notice, in :func:`notices_in_order`."""
    return [
        ["correzione non applicata" if n.kind == "correzione" else "lettura", n.file,
         "" if n.row is None else str(n.row), n.column, n.value, n.staff_message, n.staff_fix, n.record_id]
        for n in notices_in_order(build)
    ]


def write_review(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """Write ``da_correggere.csv``, ``correzioni_applicate.csv`` and ``report_avvisi.csv`` (``;``, UTF-8 BOM).

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
        The three files.
    """
    try:
        return [
            write_excel_csv(out_dir / REVIEW_NAME, COLUMNS, review_file_rows(build), delimiter=";"),
            write_excel_csv(out_dir / APPLIED_NAME, APPLIED_COLUMNS, _applied_rows(build), delimiter=";"),
            write_excel_csv(out_dir / NOTICES_NAME, NOTICE_COLUMNS, notice_rows(build), delimiter=";"),
        ]
    except OSError as exc:
        raise OutputError(_("could not write {review_name} in {out_dir}: {error}. Check that the "
                            "folder is writable and has free space.",
                            review_name=REVIEW_NAME, out_dir=out_dir, error=exc)) from exc
