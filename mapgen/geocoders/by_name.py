"""Match a Comune by name: official, other-language, bilingual, old and merged names.

The typed name is read in several ways (as typed; without "Comune di"; split
from a province written into it, as in "Castro (LE)" or "Samone TN") and each
reading is looked up from the strictest key to the loosest (see
:mod:`mapgen.geocoders._normalize`), inside the province/region typed beside
it. The first key that finds anything decides:

- one Comune: ``exact`` (the official name as typed, up to case and spaces),
  ``normalized`` (found through a looser key) or ``alias`` (an old or merged
  name, a variant from ``names.csv``); an old or merged name typed without a
  province is ``to_check`` (a frazione elsewhere may carry it: a person checks);
- several Comuni (homonyms such as Castro BG/LE): ``ambiguous`` with the
  candidates, never a pick.

When the name exists only outside the typed province, a single Comune in the
same region is placed for a person to check (``to_check``: provinces were
reorganised, people type the old one); otherwise the result is ``unresolved`` with the Comuni elsewhere
as candidates.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar, Final

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import _results
from mapgen.geocoders._index import FORMER_PROVINCE, MERGED_BY_DATES, OFFICIAL_KINDS, Entry, Query, Variant
from mapgen.geocoders._normalize import accent_key, looks_mojibake, squeeze
from mapgen.geocoders.base import Matcher
from mapgen.model import Comune, Match, MatchStatus, Place
from mapgen.text import fold

__all__ = ["NameMatcher"]

#: Score of a match found at each key level (an exact match scores 100).
LEVEL_SCORES: Final = {"fold": 99.0, "canonical": 98.0, "skeleton": 96.0, "compact": 95.0}
# Penalty when the Comune lies outside the typed province (but in its region).
_ELSEWHERE_PENALTY: Final = 10.0
# Names of Comuni that no longer exist: typed without a province, a person checks them.
_OLD_KINDS: Final = frozenset({"merged", "historical", MERGED_BY_DATES})
_HALVES = re.compile(r"\s*/\s*|\s+[-–—]\s+")


class NameMatcher(Matcher):
    """Resolve a typed Comune name through the gazetteer's names and aliases.

    Parameters
    ----------
    gazetteer
        The gazetteer to match against.
    same_region
        Accept a Comune found only outside the typed province when it is the
        only one of that name in the same region (the province column is then
        taken as outdated or mistyped, and the hint says so).
    """

    name: ClassVar[str] = "name"

    def __init__(self, gazetteer: Gazetteer, *, same_region: bool = True) -> None:
        super().__init__(gazetteer)
        self._same_region = same_region

    def geocode(self, place: Place) -> Match | None:
        """Return the Comune named by ``place``, ``ambiguous`` for homonyms, or ``None``."""
        query = self._index.query(place)
        if not query.variants[0].folded or looks_mojibake(place.comune):
            return None  # "AlÃ¬" folds to "ala", another Comune: the spelling matcher repairs it
        # Level by level, every reading: "Castro (LE)" read as Castro in LE at the strictest
        # level wins over "castro le" at a loose one (where "le" is an article).
        found = [self._by_level(variant) for variant in query.variants]  # each reading looked up once
        for level in LEVEL_SCORES:
            for variant, at in zip(query.variants, found, strict=True):
                kept = self._at_level(at, level, variant.scope) if level in at else None
                if kept:
                    return self._decide(level, kept, variant, query)
        return self._halves(query) or self._elsewhere(query)

    def _by_level(self, variant: Variant) -> dict[str, tuple[Entry, ...]]:
        """A reading's entries by level; of a level's two keys (``compact``), the first that has any."""
        found: dict[str, tuple[Entry, ...]] = {}
        for level, entries in self._index.lookup(variant.folded):
            found.setdefault(level, entries)
        return found

    @staticmethod
    def _at_level(
        found: dict[str, tuple[Entry, ...]], level: str, scope: frozenset[str] | None
    ) -> list[Entry]:
        return [e for e in found.get(level, ()) if scope is None or e.provinces & scope]

    def _lookup(self, variant: Variant, scope: frozenset[str] | None) -> tuple[str, list[Entry]] | None:
        for level, entries in self._index.lookup(variant.folded):
            kept = [e for e in entries if scope is None or e.provinces & scope]
            if kept:
                return level, kept
        return None

    def _decide(self, level: str, entries: list[Entry], variant: Variant, query: Query) -> Match:
        by_target = _group(entries)
        comuni = [self._index.comuni[code] for code in by_target]
        if len(comuni) > 1:
            by_target = _by_accents(by_target, variant.raw)
            comuni = [self._index.comuni[code] for code in by_target]
        if len(comuni) > 1:
            return self._ambiguous(comuni, level, variant, query)
        comune, mine = comuni[0], by_target[comuni[0].istat_code]
        if variant.scope is None and variant.folded in self._index.region_names:
            return self._also_a_region(comune, query)
        return self._resolved(comune, mine, level, variant, query)

    def _also_a_region(self, comune: Comune, query: Query) -> Match:
        """ "Molise" alone: the region, or the Comune (CB) of that name? Only a hint can tell."""
        typed = query.place.comune.strip()
        return _results.unresolved(
            MatchStatus.AMBIGUOUS,
            method=self.name,
            scored=[(comune, 100.0)],
            hint=f"{typed!r} è il nome di una regione e di un Comune, {comune.label}. Se si "
            "intende il Comune, indicare la provincia; altrimenti indicare il Comune.",
        )

    def _resolved(
        self,
        comune: Comune,
        entries: Sequence[Entry],
        level: str,
        variant: Variant,
        query: Query,
        *,
        penalty: float = 0.0,
        hint: str = "",
        check: bool = False,
    ) -> Match:
        raw = {
            "level": level,
            "reading": variant.how,
            "matched": entries[0].name,
            "kind": entries[0].kind,
        }
        notes = [hint, *query.notes]
        status, score, why = self._status(comune, entries, level, variant, query)
        if status is MatchStatus.UNRESOLVED:
            return self._retired(comune, entries[0], query)
        notes.insert(0, why)
        if status is MatchStatus.ALIAS and entries[0].kind == MERGED_BY_DATES:
            # Only dates tie it to its successor: Cavallasca ended the day Alta Valle Intelvi began.
            check = True
            notes.append("Verificare il Comune attuale.")
        elif status is MatchStatus.ALIAS and variant.scope is None and entries[0].kind in _OLD_KINDS:
            # "Fiumicello" alone: the merged Comune, or a frazione of that name elsewhere?
            check = True
            notes.append("Nome di un Comune che non esiste più, scritto senza provincia: verificare.")
        if check:
            others = [self._index.comuni[e.target] for e in entries if e.target in self._index.comuni]
            return _results.to_check(
                comune, score=score - penalty, method=self.name, hint=" ".join(n for n in notes if n),
                others=others, raw=raw)
        return _results.resolved(
            comune,
            status,
            score=score - penalty,
            method=self.name,
            hint=" ".join(n for n in notes if n),
            raw=raw,
        )

    def _status(
        self, comune: Comune, entries: Sequence[Entry], level: str, variant: Variant, query: Query
    ) -> tuple[MatchStatus, float, str]:
        """Status, score and explanation of a match through ``entries`` (UNRESOLVED: retired)."""
        official = [e for e in entries if e.kind in OFFICIAL_KINDS]
        if official:
            typed = squeeze(query.place.comune)
            if variant.how == "full" and any(_squeezed(e.name) == typed for e in official):
                return MatchStatus.EXACT, 100.0, ""
            return MatchStatus.NORMALIZED, LEVEL_SCORES[level], ""
        if not comune.active:
            return MatchStatus.UNRESOLVED, 0.0, ""
        entry = entries[0]
        if entry.kind == FORMER_PROVINCE:
            return MatchStatus.NORMALIZED, LEVEL_SCORES[level], f"{comune.label} ha cambiato provincia."
        why = _results.alias_hint(entry.name, entry.kind, comune, valid_to=entry.valid_to)
        return MatchStatus.ALIAS, LEVEL_SCORES[level], why

    def _retired(self, comune: Comune, entry: Entry, query: Query) -> Match:
        since = f" il {comune.valid_to}" if comune.valid_to else ""
        return _results.unresolved(
            MatchStatus.UNRESOLVED,
            method=self.name,
            scored=[(comune, 90.0)],
            hint=f"{entry.name} ({comune.sigla}) è un Comune soppresso{since} e non si sa in quale "
            "Comune sia confluito: indicare il Comune attuale.",
            raw={"retired": comune.istat_code},
        )

    def _ambiguous(self, comuni: list[Comune], level: str, variant: Variant, query: Query) -> Match:
        where = "" if variant.scope is None else f" anche in {self._index.describe_scope(variant.scope)}"
        siglas = sorted({c.sigla for c in comuni})
        fix = f"indicare la provincia ({' o '.join(siglas)})" if len(siglas) > 1 else "indicare il nome completo"
        hint = (
            f"Più Comuni corrispondono a {query.place.comune.strip()!r}{where}: "
            f"{_results.labels(comuni)}. Per sceglierne uno, {fix}."
        )
        score = 100.0 if level == "fold" else LEVEL_SCORES[level]
        return _results.unresolved(
            MatchStatus.AMBIGUOUS,
            method=self.name,
            hint=hint,
            score=score,
            scored=[(c, score) for c in comuni],
            raw={"level": level, "count": len(comuni)},
        )

    def _halves(self, query: Query) -> Match | None:
        """Both halves of "Bolzano / Bozen" or "Bozen - Bolzano" lead to one Comune."""
        parts = [p for p in _HALVES.split(query.place.comune) if p.strip()]
        if len(parts) < 2:
            return None
        found: dict[str, tuple[str, list[Entry]]] = {}
        for part in parts:
            hit = self._lookup(Variant(fold(part), part, query.scope, "half"), query.scope)
            if hit is None:
                return None
            by_target = _group(hit[1])
            if len(by_target) != 1:
                return None
            found.update({code: (hit[0], entries) for code, entries in by_target.items()})
        if len(found) != 1:
            return None
        ((code, (level, entries)),) = found.items()
        variant = Variant(fold(parts[0]), parts[0], query.scope, "half")
        return self._resolved(self._index.comuni[code], entries, level, variant, query)

    def _elsewhere(self, query: Query) -> Match | None:
        """The name exists, but not in the typed province or region."""
        for variant in query.variants:
            if variant.scope is None or variant.how == "area_bare":
                continue  # a bare trailing word is too weak to say where the name belongs
            found = self._lookup(variant, None)
            if found is not None:
                return self._outside(*found, variant, query)
        return None

    def _outside(self, level: str, entries: list[Entry], variant: Variant, query: Query) -> Match:
        by_target = _group(entries)
        comuni = [self._index.comuni[code] for code in by_target]
        wanted = self._index.describe_scope(variant.scope)
        regions = self._index.regions_of(variant.scope)
        near = [c for c in comuni if c.region_code in regions]
        # "Ortona" typed with AQ: Ortona (CH), or Ortona dei Marsi, the AQ name it starts?
        shortened = variant.scope is not None and self._index.short_form(variant.folded, variant.scope)
        if self._same_region and len(near) == 1 and not shortened:
            hint = (
                f"Provincia indicata: {wanted}; {near[0].label} è in un'altra provincia "
                "della stessa regione: verificare."
            )
            return self._resolved(
                near[0],
                by_target[near[0].istat_code],
                level,
                variant,
                query,
                penalty=_ELSEWHERE_PENALTY,
                hint=hint,
                check=True,
            )
        hint = (
            f"{query.place.comune.strip()!r} non è in {wanted}; esiste come "
            f"{_results.labels(comuni)}: verificare il Comune e la provincia."
        )
        return _results.unresolved(
            MatchStatus.UNRESOLVED,
            method=self.name,
            hint=hint,
            scored=[(c, LEVEL_SCORES[level] - _ELSEWHERE_PENALTY) for c in comuni],
            raw={"elsewhere": [c.istat_code for c in comuni]},
        )


def _by_accents(by_target: dict[str, list[Entry]], typed: str) -> dict[str, list[Entry]]:
    """Homonyms told apart by the accents typed: "Paternò" or "PATERNO'" is the one in CT.

    Only a typed accent decides: "Paterno" without one stays ambiguous (accents are
    often dropped), and a name whose accents match none of the homonyms decides nothing.
    Old names count too: "Cagnò" (TN, now Novella) is not "Cagno" (CO).
    """
    key = accent_key(typed)
    if "*" not in key:
        return by_target
    kept = {code: entries for code, entries in by_target.items() if any(accent_key(e.name) == key for e in entries)}
    return kept if len(kept) == 1 else by_target


#: The gazetteer's names, squeezed once each (every exact match compares with them).
_squeezed = lru_cache(maxsize=1 << 14)(squeeze)


def _group(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Entries by target code, in first-seen order, official entries first within each."""
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: e.kind not in OFFICIAL_KINDS):
        grouped[entry.target].append(entry)
    return dict(sorted(grouped.items()))
