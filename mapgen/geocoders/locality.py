"""Match a Comune typed with one of its localities: ``Marina di Pisa`` (PI), ``Cesenatico - Villamarina``.

Asked last, after fuzzy matching, so a misspelt name is never read as a
locality of a shorter Comune inside it. The typed words must contain the name
of exactly one current Comune of the typed province or region (as whole words,
at least :data:`MIN_LETTERS` letters; a name inside a longer matched name does
not count). Without a province or region the text must also say that the rest is
a locality: a word such as "frazione", "località", "marina", "lido", "scalo", or a
dash or comma between the Comune and the rest; and the Comune's name must be
unique in Italy.

Dropping words is a guess, never a certainty (issue 25): the Comune found is a
provisional placement (``to_check``) that goes to a person, with the Comuni the
dropped words may mean as candidates ("Ospedaletto - Palugana": Ospedaletto (TN),
or Ospedaletto Euganeo?). Two cases are not placed at all (``ambiguous``):

- the words name more than one place, old names included ("Trivero - Ponzone":
  Trivero is now Valdilana, Ponzone a Comune in AL);
- "X di <capoluogo>" with the province, as in "Ponzano di Treviso" (TV): the
  capoluogo there names the province, far more often than a locality of the
  capoluogo (Ponzano Veneto was meant); the Comuni of the province whose name
  starts with X are the candidates.
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from mapgen.geocoders import _results
from mapgen.geocoders._index import Variant
from mapgen.geocoders._normalize import canonical, is_connective
from mapgen.geocoders.base import Matcher
from mapgen.model import Comune, Match, MatchStatus, Place
from mapgen.text import fold

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
#: A run of typed words (start, end) and the Comuni it names.
_Span = tuple[int, int, list[Comune]]
_SEPARATED = re.compile(r"\s[-–—]\s|,")


class LocalityMatcher(Matcher):
    """Resolve a Comune named together with a frazione or locality: provisionally, for a person to check."""

    name: ClassVar[str] = "locality"

    def geocode(self, place: Place) -> Match | None:
        """Return the one Comune named inside the typed words (``to_check``), ``ambiguous``, or ``None``."""
        query = self._index.query(place)
        variant = query.best
        words = canonical(variant.folded).split()
        if not 2 <= len(words) <= MAX_WORDS or any(True for v in query.variants for _ in self._index.lookup(v.folded)):
            return None  # the whole text names a place (elsewhere): a wrong province, not a locality
        spans = self._spans(words, variant)
        found = list({c.istat_code: c for _, _, here in spans for c in here}.values())
        if not found:
            return None
        if variant.scope is None and not _says_locality(variant, words, found):
            return None
        typed = variant.raw.strip()
        found += [c for c in self._old_names(words, spans, variant) if c not in found]
        if len(found) > 1:
            return _results.unresolved(
                MatchStatus.AMBIGUOUS,
                method=self.name,
                scored=[(c, SCORE) for c in found],
                hint=f"{typed!r} nomina più luoghi, {_results.labels(found)}: indicare il Comune.",
            )
        comune = found[0]
        start, end, _ = spans[0]
        others = self._others(words[:start], comune, variant)
        if variant.scope is not None and self._names_the_province(words, start, end, comune):
            return _results.unresolved(
                MatchStatus.AMBIGUOUS,
                method=self.name,
                scored=[(c, SCORE) for c in [*others, comune]],
                hint=f"{typed!r}: «{' '.join(words[start:end])}» qui indica di solito la provincia, "
                f"non il Comune {comune.label}: indicare il Comune.",
                raw={"typed": typed, "rule": "di_capoluogo"},
            )
        return _results.to_check(
            comune,
            score=SCORE,
            method=self.name,
            hint=f"{typed!r}: usato il Comune {comune.label}, ignorata la località: verificare.",
            others=others,
            raw={"typed": typed, "rule": "locality" if variant.scope is not None else "locality_no_province"},
        )

    def _spans(self, words: list[str], variant: Variant) -> list[_Span]:
        """Runs of the typed words that name Comuni in scope (not inside a longer run that names one)."""
        spans: list[_Span] = []
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
        return [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o != s for o in spans)]

    def _old_names(self, words: list[str], spans: list[_Span], variant: Variant) -> list[Comune]:
        """Comuni that other typed words name by an old or other name ("Trivero": Valdilana)."""
        taken = {k for i, j, _ in spans for k in range(i, j)}
        found: dict[str, Comune] = {}
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                run = " ".join(words[i:j])
                if taken & set(range(i, j)) or (i, j) == (0, len(words)) or len(run.replace(" ", "")) < MIN_LETTERS:
                    continue
                for level, entries in self._index.lookup(run):
                    if level in ("fold", "canonical"):
                        for e in entries:
                            here = variant.scope is None or e.provinces & variant.scope
                            if here and e.target in self._index.comuni:
                                found.setdefault(e.target, self._index.comuni[e.target])
        return [c for c in found.values() if c.active]

    def _others(self, before: list[str], comune: Comune, variant: Variant) -> list[Comune]:
        """Comuni the typed words may mean instead: longer names starting with the dropped or the found words."""
        own = canonical(fold(comune.name)).split()
        lead = [w for w in before if w not in _MARKERS and not is_connective(w)]
        out: list[Comune] = []
        for first, wanted in ((lead[0], lead[:1]) if lead and len(lead[0]) >= MIN_LETTERS else ("", []), (own[0], own)):
            if not first:
                continue
            for c, names in self._index.starting_with(first):
                name = canonical(names[0]).split()
                if (
                    c.istat_code != comune.istat_code
                    and name[: len(wanted)] == wanted
                    and len(name) > len(wanted)
                    and (variant.scope is None or c.province_code in variant.scope)
                ):
                    out.append(c)
        return out

    def _names_the_province(self, words: list[str], start: int, end: int, comune: Comune) -> bool:
        """ "Ponzano di Treviso": words, then "di", then the capoluogo, at the end."""
        if end != len(words) or start < 2 or not is_connective(words[start - 1]):
            return False
        if any(w in _MARKERS for w in words[: start - 1]):
            return False  # "Marina di Pisa", "Lido di Camaiore": a locality of the Comune
        province = canonical(fold(self._index.province_name.get(comune.province_code, "")))
        name = canonical(fold(comune.name))
        return f" {name} " in f" {province} "


def _says_locality(variant: Variant, words: list[str], found: list[Comune]) -> bool:
    """Without a province: the typed text marks the rest as a locality."""
    return len(found) == 1 and (bool(_SEPARATED.search(variant.raw)) or any(w in _MARKERS for w in words))
