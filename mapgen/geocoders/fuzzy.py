"""Match a misspelt Comune name (a transposed, missing, extra or wrong letter) with rapidfuzz.

The typed name's canonical key is compared, by optimal-string-alignment edit
distance (a transposition counts as one edit), with the keys of every name in
the typed province or region (all of Italy when none was typed). A Comune is
accepted only when

- its distance is within the budget for the name's length (one edit per
  ``chars_per_edit`` letters, at most ``max_edits``), and
- every other Comune is at least ``margin`` edits further away.

Otherwise the matcher abstains: ``ambiguous`` when the closest names belong to
homonyms, else ``unresolved`` with the closest Comuni as candidates. It also
abstains when the typed name is an exact name of a Comune outside the typed
province (a wrong province is likelier than a typo). The benchmark in
``benchmarks/geocoding.py`` shows how the options trade abstentions for wrong
codes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import _normalize as norm
from mapgen.geocoders import _results
from mapgen.geocoders._index import Entry, Scope, Variant
from mapgen.geocoders.base import Matcher
from mapgen.model import Comune, Match, MatchStatus, Place

__all__ = ["FuzzyMatcher"]

# Below this similarity a Comune is not worth showing staff as a candidate.
_CANDIDATE_CUTOFF = 60.0


class FuzzyMatcher(Matcher):
    """Resolve typos by edit distance, restricted to the typed province or region.

    Parameters
    ----------
    gazetteer
        The gazetteer to match against.
    chars_per_edit
        One edit is allowed per this many letters of the typed name (spaces not
        counted): with 5, names of 5-9 letters allow one edit, longer ones two.
    max_edits
        The most edits ever allowed.
    margin
        How many more edits the runner-up Comune must need than the best one.
    """

    name: ClassVar[str] = "fuzzy"

    def __init__(
        self, gazetteer: Gazetteer, *, chars_per_edit: int = 5, max_edits: int = 2, margin: int = 1
    ) -> None:
        super().__init__(gazetteer)
        if chars_per_edit < 1 or max_edits < 0 or margin < 1:
            from mapgen.errors import GeocoderError

            raise GeocoderError(
                f"fuzzy options out of range: chars_per_edit={chars_per_edit} (>= 1), "
                f"max_edits={max_edits} (>= 0), margin={margin} (>= 1)."
            )
        self._chars_per_edit = chars_per_edit
        self._max_edits = max_edits
        self._margin = margin
        self._pool = lru_cache(maxsize=512)(self._build_pool)

    def geocode(self, place: Place) -> Match | None:
        """Return the one Comune within the edit budget, or an abstention with candidates."""
        query = self._index.query(place)
        variant = query.best
        key = norm.canonical(variant.folded)
        if not key or self._exists_elsewhere(query.variants):
            return None
        keys, targets = self._pool(variant.scope)
        ranked = self._ranked(key, keys, targets)
        budget = self._budget(key)
        if ranked and ranked[0][1] <= budget and _runner_up(ranked) - ranked[0][1] >= self._margin:
            return self._accepted(ranked[0], key, variant)
        return self._abstain(ranked, key, keys, targets, variant)

    def _budget(self, key: str) -> int:
        return min(self._max_edits, len(norm.compact(key)) // self._chars_per_edit)

    def _exists_elsewhere(self, variants: Sequence[Variant]) -> bool:
        return any(
            v.scope is not None and next(self._index.lookup(v.folded), None) for v in variants
        )

    def _build_pool(self, scope: Scope) -> tuple[list[str], list[str]]:
        """Canonical and skeleton keys of every name in scope, with their targets."""
        by_province = _keys_by_province(self._index.keys)
        pairs: set[tuple[str, str]] = set()
        for province in by_province if scope is None else scope:
            pairs |= by_province.get(province, set())
        ordered = sorted(pairs)
        return [k for k, _ in ordered], [t for _, t in ordered]

    def _ranked(self, key: str, keys: list[str], targets: list[str]) -> list[tuple[str, int]]:
        """``(code, distance)`` for each Comune within budget + margin, nearest first."""
        cutoff = self._budget(key) + self._margin
        best: dict[str, int] = {}
        for _, distance, i in process.extract(
            key, keys, scorer=OSA.distance, score_cutoff=cutoff, limit=None
        ):
            code = targets[i]
            best[code] = min(best.get(code, distance), int(distance))
        return sorted(best.items(), key=lambda cd: (cd[1], cd[0]))

    def _accepted(self, best: tuple[str, int], key: str, variant: Variant) -> Match:
        comune = self._index.comuni[best[0]]
        score = _similarity(key, best[1])
        hint = f"Nome corretto da {variant.raw.strip()!r} a {comune.name!r}: verificare."
        return _results.resolved(
            comune,
            MatchStatus.FUZZY,
            score=score,
            method=self.name,
            hint=hint,
            raw={"edits": best[1], "typed": variant.raw},
        )

    def _abstain(
        self,
        ranked: list[tuple[str, int]],
        key: str,
        keys: list[str],
        targets: list[str],
        variant: Variant,
    ) -> Match:
        scored = [(self._index.comuni[c], _similarity(key, d)) for c, d in ranked]
        if len(scored) < 3:
            scored += self._lookalikes(key, keys, targets)
        tied = [c for c, d in ranked if d == ranked[0][1]] if ranked else []
        names = {norm.canonical(self._index.comuni[c].name.casefold()) for c in tied}
        where = self._index.describe_scope(variant.scope)
        if len(tied) > 1 and len(names) == 1:
            return _results.unresolved(
                MatchStatus.AMBIGUOUS,
                method=self.name,
                scored=scored,
                hint=f"{variant.raw.strip()!r} somiglia a più Comuni omonimi: "
                f"{_results.labels(self._index.comuni[c] for c in tied)}. Indicare la provincia.",
            )
        hint = f"Nessun Comune corrisponde con certezza a {variant.raw.strip()!r} ({where})"
        hint += "; i più simili sono tra i candidati." if scored else "."
        return _results.unresolved(
            MatchStatus.UNRESOLVED, method=self.name, scored=scored, hint=hint
        )

    def _lookalikes(
        self, key: str, keys: list[str], targets: list[str]
    ) -> list[tuple[Comune, float]]:
        """Candidates for staff by a looser similarity (WRatio), when edit distance found few."""
        found = process.extract(
            key, keys, scorer=fuzz.WRatio, score_cutoff=_CANDIDATE_CUTOFF, limit=10
        )
        return [
            (self._index.comuni[targets[i]], min(float(score), 99.0) * 0.9) for _, score, i in found
        ]


_PROVINCE_KEYS: dict[int, tuple[object, dict[str, set[tuple[str, str]]]]] = {}


def _keys_by_province(
    keys: dict[tuple[str, str], tuple[Entry, ...]],
) -> dict[str, set[tuple[str, str]]]:
    """Province code -> ``(key, target)`` pairs of the canonical and skeleton levels (cached)."""
    cached = _PROVINCE_KEYS.get(id(keys))
    if cached is not None and cached[0] is keys:
        return cached[1]
    table: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for (level, key), entries in keys.items():
        if level in ("canonical", "skeleton"):
            for entry in entries:
                for province in entry.provinces:
                    table[province].add((key, entry.target))
    _PROVINCE_KEYS[id(keys)] = (keys, dict(table))
    return dict(table)


def _runner_up(ranked: list[tuple[str, int]]) -> float:
    return ranked[1][1] if len(ranked) > 1 else float("inf")


def _similarity(key: str, distance: int) -> float:
    return 100.0 * (1.0 - distance / max(len(key), 1))
