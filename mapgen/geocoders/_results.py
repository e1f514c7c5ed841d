"""Build :class:`~mapgen.model.Match` values the same way in every matcher."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

from mapgen.model import Candidate, Comune, Match, MatchStatus

__all__ = ["MAX_CANDIDATES", "candidates", "resolved", "to_check", "unresolved"]

#: How many candidates an ambiguous or unresolved result lists.
MAX_CANDIDATES: Final = 3


def resolved(
    comune: Comune,
    status: MatchStatus,
    *,
    score: float,
    method: str,
    hint: str = "",
    raw: Mapping[str, Any] | None = None,
) -> Match:
    """A Match naming one Comune, with the gazetteer's point."""
    return Match(
        status=status,
        istat_code=comune.istat_code,
        name=comune.name,
        sigla=comune.sigla,
        region=comune.region,
        lat=comune.lat,
        lon=comune.lon,
        score=round(score, 1),
        method=method,
        hint=hint,
        raw=dict(raw or {}),
    )


def to_check(
    comune: Comune,
    *,
    score: float,
    method: str,
    hint: str,
    others: Iterable[Comune] = (),
    raw: Mapping[str, Any] | None = None,
) -> Match:
    """A provisional placement a person must confirm (``to_check``), with the other Comuni it may be.

    For a reading that dropped or reinterpreted typed words: the Comune is placed so
    that nothing is lost, and the review list ("Da correggere") shows it with ``others``.
    """
    match = resolved(comune, MatchStatus.TO_CHECK, score=score, method=method, hint=hint, raw=raw)
    alternatives = [(c, score) for c in others if c.istat_code != comune.istat_code]
    return replace(match, candidates=candidates(alternatives))


def candidates(scored: Iterable[tuple[Comune, float]]) -> tuple[Candidate, ...]:
    """Up to :data:`MAX_CANDIDATES` candidates, best score first, one per Comune."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for comune, score in sorted(scored, key=lambda cs: (-cs[1], cs[0].istat_code)):
        if comune.istat_code in seen:
            continue
        seen.add(comune.istat_code)
        out.append(Candidate(comune.istat_code, comune.name, comune.sigla, round(score, 1)))
    return tuple(out[:MAX_CANDIDATES])


def unresolved(
    status: MatchStatus,
    *,
    method: str,
    hint: str,
    scored: Iterable[tuple[Comune, float]] = (),
    score: float = 0.0,
    raw: Mapping[str, Any] | None = None,
) -> Match:
    """A Match that names no Comune (ambiguous, unresolved, not a Comune), with candidates."""
    return Match(
        status=status,
        score=round(score, 1),
        method=method,
        candidates=candidates(scored),
        hint=hint,
        raw=dict(raw or {}),
    )


def labels(comuni: Iterable[Comune]) -> str:
    """``"Castro (BG), Castro (LE)"`` for hints."""
    return ", ".join(c.label for c in comuni)


def alias_hint(name: str, kind: str, target: Comune, *, valid_to: str = "") -> str:
    """Italian explanation of why an alias leads to ``target``."""
    since = f" (soppresso il {valid_to})" if valid_to else ""
    if kind == "merged_by_dates":
        return f"{name} non esiste più{since}: dalle date risulta confluito in {target.label}, ma non è certo."
    if kind in ("merged", "retired"):
        return f"{name} non esiste più{since}: è confluito in {target.label}."
    if kind == "historical":
        return f"{name} è un nome precedente di {target.label}."
    return f"{name} è un altro nome di {target.label}."
