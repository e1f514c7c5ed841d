"""Match a Comune typed with one of its localities: ``Marina di Pisa`` (PI), ``Cesenatico - Villamarina``.

Asked last, after fuzzy matching, so a misspelt name is never read as a
locality of a shorter Comune inside it. The typed words must contain the name
of exactly one current Comune of the typed province or region (as whole words,
at least :data:`MIN_LETTERS` letters; a name inside a longer matched name does
not count). Without a province or region the text must also say that the rest is
a locality: a word such as "frazione", "località", "marina", "lido", "scalo", or a
dash or comma between the Comune and the rest; and the Comune's name must be
unique in Italy.
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from mapgen.geocoders import _results
from mapgen.geocoders._index import Variant
from mapgen.geocoders._normalize import canonical
from mapgen.geocoders.base import Matcher
from mapgen.model import Comune, Match, MatchStatus, Place

__all__ = ["MAX_WORDS", "MIN_LETTERS", "LocalityMatcher"]

#: Shorter Comune names ("Ne", "Ala", "Lu") occur inside too many locality names.
MIN_LETTERS: Final = 4
SCORE: Final = 90.0
#: Longer cells are sentences, not a place: and every run of words is looked up (quadratic).
MAX_WORDS: Final = 12
# Words that say "what follows or precedes is a locality of the Comune" (folded).
_MARKERS: Final = frozenset(
    {"frazione", "fraz", "localita", "loc", "marina", "lido", "scalo", "stazione", "borgata", "contrada", "c da"}
)
_SEPARATED = re.compile(r"\s[-–—]\s|,")


class LocalityMatcher(Matcher):
    """Resolve a Comune named together with a frazione or locality, saying the locality was dropped."""

    name: ClassVar[str] = "locality"

    def geocode(self, place: Place) -> Match | None:
        """Return the one Comune named inside the typed words, or ``None``."""
        query = self._index.query(place)
        variant = query.best
        words = canonical(variant.folded).split()
        if not 2 <= len(words) <= MAX_WORDS or any(True for v in query.variants for _ in self._index.lookup(v.folded)):
            return None  # the whole text names a place (elsewhere): a wrong province, not a locality
        found = self._named(words, variant)
        if not found:
            return None
        if variant.scope is None and not _says_locality(variant, words, found):
            return None
        if len(found) > 1:
            return _results.unresolved(
                MatchStatus.AMBIGUOUS,
                method=self.name,
                scored=[(c, SCORE) for c in found],
                hint=f"{variant.raw.strip()!r} nomina più Comuni, {_results.labels(found)}: indicare il Comune.",
            )
        comune = found[0]
        return _results.resolved(
            comune,
            MatchStatus.NORMALIZED,
            score=SCORE,
            method=self.name,
            hint=f"{variant.raw.strip()!r}: usato il Comune {comune.label}, ignorata la località.",
            raw={"typed": variant.raw.strip()},
        )

    def _named(self, words: list[str], variant: Variant) -> list[Comune]:
        """Comuni in scope named by a run of the typed words (not inside a longer run that names one)."""
        spans: list[tuple[int, int, list[Comune]]] = []
        table = self._index.canonical_names()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if (i, j) == (0, len(words)):
                    continue
                run = " ".join(words[i:j])
                if len(run.replace(" ", "")) < MIN_LETTERS:
                    continue
                here = [c for c in table.get(run, ()) if variant.scope is None or c.province_code in variant.scope]
                if here:
                    spans.append((i, j, here))
        outer = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o != s for o in spans)]
        return list({c.istat_code: c for _, _, found in outer for c in found}.values())


def _says_locality(variant: Variant, words: list[str], found: list[Comune]) -> bool:
    """Without a province: the typed text marks the rest as a locality."""
    return len(found) == 1 and (bool(_SEPARATED.search(variant.raw)) or any(w in _MARKERS for w in words))
