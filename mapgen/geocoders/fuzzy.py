"""Match a misspelt Comune name (a transposed, missing, extra or wrong letter) with rapidfuzz.

The typed name's folded and canonical keys (see :mod:`._normalize`; a typo in
"San" spoils the canonical one) are compared, by optimal-string-alignment edit
distance (a transposition counts as one edit), with the keys of every name in
the typed province or region (all of Italy when none was typed). A Comune is
accepted only when

- its distance is within the budget for the name's length: one edit per
  ``chars_per_edit`` letters inside a typed province or region, one per
  ``nationwide_chars_per_edit`` letters without one, at most ``max_edits``;
- without a province or region, the edits are transposed, missing or extra
  letters: a different letter too often spells another real place (the hamlet
  Ostia is not the Comune Ostra), so one is accepted only in a name of 7+ letters
  with no other Comune within 3 edits (``alone_letters``, ``alone_gap``);
- every other Comune needs at least ``margin`` times as many more edits as the
  best one needs (one more for a one-edit match, two more for a two-edit one).

Otherwise the matcher abstains: ``ambiguous`` when the closest names belong to
homonyms, else ``unresolved`` with the closest Comuni as candidates. It also
abstains when the typed name is an exact name of a Comune outside the typed
province (a wrong province is likelier than a typo). The benchmark in
``benchmarks/geocoding.py`` shows how the options trade abstentions for wrong
codes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import _normalize as norm
from mapgen.geocoders import _results
from mapgen.geocoders._index import Entry, Scope, Variant
from mapgen.geocoders.base import Matcher
from mapgen.model import Match, MatchStatus, Place
from mapgen.text import fold

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
        counted) when a province or region narrows the search: with 4, names of
        4-7 letters allow one edit, longer ones two.
    nationwide_chars_per_edit
        The same without a province or region, among every Comune of Italy.
    max_edits
        The most edits ever allowed.
    margin
        The runner-up Comune must need at least ``margin * max(1, best)`` more
        edits than the best one.
    alone_letters, alone_gap
        Without a province, one wrong letter is accepted only in a name of at least
        ``alone_letters`` letters with no other Comune within ``1 + alone_gap`` edits
        (the default: none within 3).
    """

    name: ClassVar[str] = "fuzzy"

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        chars_per_edit: int = 4,
        nationwide_chars_per_edit: int = 5,
        max_edits: int = 2,
        margin: int = 1,
        alone_letters: int = 7,
        alone_gap: int = 2,
    ) -> None:
        super().__init__(gazetteer)
        if min(chars_per_edit, nationwide_chars_per_edit, margin) < 1 or max_edits < 0:
            from mapgen.errors import GeocoderError

            raise GeocoderError(
                f"fuzzy options out of range: chars_per_edit={chars_per_edit}, "
                f"nationwide_chars_per_edit={nationwide_chars_per_edit}, margin={margin} "
                f"(each >= 1), max_edits={max_edits} (>= 0)."
            )
        self._chars_per_edit = (chars_per_edit, nationwide_chars_per_edit)
        self._max_edits = max_edits
        self._margin = margin
        self._alone_letters, self._alone_gap = alone_letters, alone_gap
        self._pool = lru_cache(maxsize=512)(self._build_pool)

    def geocode(self, place: Place) -> Match | None:
        """Return the one Comune within the edit budget, or an abstention with candidates."""
        query = self._index.query(place)
        if not query.variants[0].folded or self._exists_elsewhere(query.variants):
            return None
        readings = [self._rank(v) for v in dict.fromkeys((query.best, query.variants[0]))]
        accepted = {r.ranked[0][0]: r for r in readings if self._accepts(r)}
        if len(accepted) == 1:  # one reading decides, or both agree
            return self._accepted(next(iter(accepted.values())))
        return self._abstain(readings[0])

    def _rank(self, variant: Variant) -> _Reading:
        pool = self._pool(variant.scope)
        cutoff = self._budget(variant) + self._gap(self._budget(variant))
        best: dict[str, int] = {}
        pairs: dict[str, tuple[str, str]] = {}
        for query_key in dict.fromkeys((variant.folded, norm.canonical(variant.folded))):
            for code, distance, key in pool.near(query_key, cutoff):
                if distance < best.get(code, cutoff + 1):
                    best[code], pairs[code] = distance, (query_key, key)
        ranked = sorted(best.items(), key=lambda cd: (cd[1], cd[0]))
        return _Reading(variant, ranked, pool, pairs)

    def _accepts(self, reading: _Reading) -> bool:
        ranked = reading.ranked
        if not ranked or ranked[0][1] > self._budget(reading.variant):
            return False
        if reading.variant.scope is None and _substitutions(*reading.pairs[ranked[0][0]]):
            # Nationwide, a different letter is too often another place (Ostia/Ostra), unless
            # the name is long and no other Comune is anywhere near it.
            return self._alone(reading)
        return _runner_up(ranked) - ranked[0][1] >= self._gap(ranked[0][1])

    def _alone(self, reading: _Reading) -> bool:
        """One wrong letter in a long name, and every other Comune at least ``alone_gap`` edits farther."""
        (code, edits), letters = reading.ranked[0], len(norm.compact(reading.variant.folded))
        if edits != 1 or letters < self._alone_letters:
            return False
        others = self._pool(None).near(reading.pairs[code][0], edits + self._alone_gap)
        return all(other == code for other, _, _ in others)

    def _budget(self, variant: Variant) -> int:
        per_edit = self._chars_per_edit[variant.scope is None]
        return min(self._max_edits, len(norm.compact(variant.folded)) // per_edit)

    def _gap(self, best: int) -> int:
        """How many more edits the runner-up must need: more for a farther best match."""
        return self._margin * max(1, best)

    def _exists_elsewhere(self, variants: Sequence[Variant]) -> bool:
        """The name as typed is a Comune's, but only outside the typed province/region."""
        for variant in variants:
            if variant.scope is None or variant.how == "area_bare":
                continue
            for _, entries in self._index.lookup(variant.folded):
                return not any(e.provinces & variant.scope for e in entries)
        return False

    def _build_pool(self, scope: Scope) -> _Pool:
        """Fold, canonical and skeleton keys of every name in scope, with their targets."""
        by_province = _keys_by_province(self._index.keys)
        pairs: set[tuple[str, str]] = set()
        for province in by_province if scope is None else scope:
            pairs |= by_province.get(province, set())
        return _Pool.of(pairs)

    def _accepted(self, reading: _Reading) -> Match:
        code, edits = reading.ranked[0]
        comune, typed = self._index.comuni[code], reading.variant.raw.strip()
        return _results.resolved(
            comune,
            MatchStatus.FUZZY,
            score=_similarity(reading.variant.folded, edits),
            method=self.name,
            hint=f"Nome corretto da {typed!r} a {comune.name!r}: verificare.",
            raw={"edits": edits, "typed": typed},
        )

    def _abstain(self, reading: _Reading) -> Match:
        key, ranked, variant = reading.variant.folded, reading.ranked, reading.variant
        scored = [(self._index.comuni[c], _similarity(key, d)) for c, d in ranked]
        if len(scored) < 3:
            scored += [(self._index.comuni[c], s) for c, s in reading.pool.lookalikes(key)]
        tied = [c for c, d in ranked if d == ranked[0][1]] if ranked else []
        if len(tied) > 1 and len({fold(self._index.comuni[c].name) for c in tied}) == 1:
            return _results.unresolved(
                MatchStatus.AMBIGUOUS,
                method=self.name,
                scored=scored,
                hint=f"{variant.raw.strip()!r} somiglia a più Comuni omonimi: "
                f"{_results.labels(self._index.comuni[c] for c in tied)}. Indicare la provincia.",
            )
        where = self._index.describe_scope(variant.scope)
        hint = f"Nessun Comune corrisponde con certezza a {variant.raw.strip()!r} ({where})"
        hint += "; i più simili sono tra i candidati." if scored else "."
        return _results.unresolved(MatchStatus.UNRESOLVED, method=self.name, scored=scored, hint=hint)


@dataclass(frozen=True, slots=True)
class _Reading:
    """One reading of the typed place ranked against the names in its scope."""

    variant: Variant
    ranked: list[tuple[str, int]]
    pool: _Pool
    pairs: dict[str, tuple[str, str]]  # code -> (query key, closest key of that Comune)


@dataclass(frozen=True, slots=True)
class _Pool:
    """The keys a query is compared with, sorted by length so a query reads only a window."""

    keys: list[str]
    targets: list[str]
    lengths: list[int]

    @classmethod
    def of(cls, pairs: set[tuple[str, str]]) -> _Pool:
        ordered = sorted(pairs, key=lambda kt: (len(kt[0]), kt))
        keys = [k for k, _ in ordered]
        return cls(keys, [t for _, t in ordered], [len(k) for k in keys])

    def near(self, key: str, cutoff: int) -> Iterator[tuple[str, int, str]]:
        """``(code, distance, key)`` for keys within ``cutoff`` edits (lengths within ``cutoff``)."""
        lo = bisect_left(self.lengths, len(key) - cutoff)
        hi = bisect_right(self.lengths, len(key) + cutoff)
        found = process.extract(key, self.keys[lo:hi], scorer=OSA.distance, score_cutoff=cutoff, limit=None)
        for matched, distance, i in found:
            yield self.targets[lo + i], int(distance), matched

    def lookalikes(self, key: str) -> list[tuple[str, float]]:
        """Candidates for staff by plain similarity, when edit distance found few."""
        found = process.extract(key, self.keys, scorer=fuzz.ratio, score_cutoff=_CANDIDATE_CUTOFF, limit=10)
        return [(self.targets[i], min(float(score), 99.0) * 0.9) for _, score, i in found]


_PROVINCE_KEYS: dict[int, tuple[object, dict[str, set[tuple[str, str]]]]] = {}


def _keys_by_province(
    keys: dict[tuple[str, str], tuple[Entry, ...]],
) -> dict[str, set[tuple[str, str]]]:
    """Province code -> ``(key, target)`` pairs of the fold, canonical, skeleton levels (cached)."""
    cached = _PROVINCE_KEYS.get(id(keys))
    if cached is not None and cached[0] is keys:
        return cached[1]
    table: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for (level, key), entries in keys.items():
        if level in ("fold", "canonical", "skeleton"):
            for entry in entries:
                for province in entry.provinces:
                    table[province].add((key, entry.target))
    _PROVINCE_KEYS[id(keys)] = (keys, dict(table))
    return dict(table)


def _substitutions(typed: str, name: str) -> int:
    """Letters replaced by others in the cheapest alignment (swapped neighbours do not count)."""
    replaced = [(op.src_pos, op.dest_pos) for op in Levenshtein.editops(typed, name) if op.tag == "replace"]
    count, i = 0, 0
    while i < len(replaced):
        (s, d), nxt = replaced[i], replaced[i + 1] if i + 1 < len(replaced) else None
        if nxt == (s + 1, d + 1) and typed[s] == name[d + 1] and typed[s + 1] == name[d]:
            i += 2  # a transposition: "Tricsae" / "Tricase"
            continue
        count, i = count + 1, i + 1
    return count


def _runner_up(ranked: list[tuple[str, int]]) -> float:
    return ranked[1][1] if len(ranked) > 1 else float("inf")


def _similarity(key: str, distance: int) -> float:
    return 100.0 * (1.0 - distance / max(len(key), 1))
