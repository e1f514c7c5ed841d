"""The review files: the records that need a person (``da_correggere.csv``) and the corrections used."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mapgen._csv import write_excel_csv
from mapgen.corrections.read import COLUMNS
from mapgen.errors import OutputError
from mapgen.i18n import Message, _, _l, ngettext
from mapgen.model import BuildResult, MatchStatus, Outcome, OutputOptions, RowOutcome, Source, SourceRef

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer

__all__ = [
    "APPLIED_COLUMNS",
    "APPLIED_NAME",
    "REVIEW_NAME",
    "candidates_of",
    "esito",
    "needs_person",
    "origin",
    "review_lines",
    "review_order",
    "review_rows",
    "write_review",
]

#: The file of records that need a person, written into the output folder.
REVIEW_NAME: Final = "da_correggere.csv"
#: Every correction used by the build, with its line and what it changed.
APPLIED_NAME: Final = "correzioni_applicate.csv"
#: Columns of ``correzioni_applicate.csv``.
APPLIED_COLUMNS: Final = ("file", "riga", "record", "azione", "valore", "effetto", "nota")


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
    lines += [_("Correction not applied: {notice}", notice=n) for n in build.notices if n.kind == "correzione"]
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
