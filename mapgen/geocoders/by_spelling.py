"""Match the spellings registries and people write that plain name matching misses.

Asked only for names the exact matchers left unresolved (after the
not-a-Comune screen, before fuzzy matching), in this order:

mojibake
    UTF-8 text decoded as Windows-1252 or Latin-1 (``CantÃ¹``) is repaired with
    ``ftfy`` and the repaired name is matched again.
lost letter
    ``Forl?``: each ``?`` (or U+FFFD) stands for one letter; accepted only when
    exactly one Comune of the scope fits.
registry forms
    ``CALDARO .KALTERN.``, ``BRESSANONE * BRIXEN`` and the same cut at a fixed
    width: the Italian half must be the first words of the Comune's name (the
    registries omit "sulla strada del vino"), the other half the start of its
    other-language name; a text without a separator counts only when it is long
    enough to be a cut (:data:`CUT_AT_LEAST` characters) and starts exactly one
    Comune's name (a completed cut is ``to_check``: a person confirms it).
short forms
    With a province or region only (a guess: ``to_check``, a person confirms it):
    ``Sesto`` (MI) is Sesto San Giovanni, the one Comune of MI whose name starts
    with that word. It abstains when the short form
    fits two Comuni there, is one typo from another Comune's name there (``Carate``
    in MB: Carate Brianza, or Carnate?), or also names a Comune (or a merged one)
    elsewhere in the same region (``Ortona`` typed with AQ: Ortona dei Marsi, or
    Ortona in CH?).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar, Final

from rapidfuzz.distance import OSA

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import _results
from mapgen.geocoders._index import Scope, Variant
from mapgen.geocoders._normalize import compact, looks_mojibake
from mapgen.geocoders.base import Matcher
from mapgen.geocoders.by_name import NameMatcher
from mapgen.model import Comune, Match, MatchStatus, Place
from mapgen.text import fold, strip_accents

__all__ = ["CUT_AT_LEAST", "SpellingMatcher"]

#: A registry spelling this long without a separator may be a fixed-width cut (30, 40).
CUT_AT_LEAST: Final = 28
#: Longer texts are not one Comune's name: the repairs leave them to the other matchers.
MAX_LENGTH: Final = 120
#: At most this many lost letters ("?") in one name.
MAX_LOST: Final = 6
#: Score of a match through a registry form or a short form.
SCORE: Final = 94.0
_LOST = re.compile("[?\ufffd]+")
_NOT_LETTER = re.compile(r"[^a-z0-9?\ufffd]+")
# "IT * DE", "IT*DE", "IT .DE." (and the same cut anywhere after the separator).
_REGISTRY = re.compile(r"^(?P<it>.+?)(?:\s*\*\s*|\s+\.\s*)(?P<de>[^*]*?)[\s.]*$")


class SpellingMatcher(Matcher):
    """Resolve mojibake, lost letters, registry spellings and short forms.

    Parameters
    ----------
    gazetteer
        The gazetteer to match against.
    short_forms
        Read the first words of a name as the Comune they start, when a province or
        region leaves exactly one.
    """

    name: ClassVar[str] = "spelling"

    def __init__(self, gazetteer: Gazetteer, *, short_forms: bool = True) -> None:
        super().__init__(gazetteer)
        self._names = NameMatcher(gazetteer)
        self._short_forms = short_forms

    def geocode(self, place: Place) -> Match | None:
        """Return the Comune a repaired or completed spelling names, or ``None``."""
        query = self._index.query(place)
        if not query.variants[0].folded:
            return None
        fixed = self._mojibake(place)
        if fixed is not None:
            return fixed
        # As typed first: "… * ST. LO" ends with a cut, not with the province LO.
        for variant in dict.fromkeys((query.variants[0], query.best)):
            found = self._lost_letter(variant, place) or self._registry(variant)
            if found is not None:
                return found
        return self._short_form(query.best, place)

    # --- repairs ------------------------------------------------------------------------

    def _mojibake(self, place: Place) -> Match | None:
        if len(place.comune) > MAX_LENGTH or not looks_mojibake(place.comune):  # ftfy is slow
            return None
        import ftfy  # only for the few names that need it

        fixed = ftfy.fix_text(place.comune)
        if fixed == place.comune or looks_mojibake(fixed):
            return None
        repaired = replace(place, comune=fixed)
        match = self._names.geocode(repaired)
        if match is None or not match.status.resolved:
            match = self.geocode(repaired)
        if match is None or not match.status.resolved:
            return None
        hint = f"Testo {place.comune.strip()!r} riparato in {fixed.strip()!r} (codifica errata)."
        status = MatchStatus.NORMALIZED if match.status is MatchStatus.EXACT else match.status
        return replace(match, status=status, method=self.name, hint=" ".join(h for h in (hint, match.hint) if h))

    def _lost_letter(self, variant: Variant, place: Place) -> Match | None:
        typed = variant.raw
        # Bounded: each mark may take one or two letters, so the pattern's cost grows with them.
        if not _LOST.search(typed) or len(typed) > MAX_LENGTH or len(_LOST.findall(typed)) > MAX_LOST:
            return None
        key = _NOT_LETTER.sub(" ", strip_accents(typed).casefold()).strip()
        for lost in ("[a-z]", "[a-z]{1,2}"):  # a run of marks is one letter ("??": two bytes), then one or two
            pattern = re.compile(_LOST.sub(lost, re.escape(key).replace(r"\?", "?").replace("\\\ufffd", "\ufffd")))
            fits = [c for c, names in self._names_in(variant.scope) if any(pattern.fullmatch(n) for n in names)]
            if fits:
                hint = f"{typed.strip()!r}: lettere perse ('?') completate."
                return self._one(self._index.prefer_typed(fits, place), typed, hint, kind="lost_letter")
        return None

    def _registry(self, variant: Variant) -> Match | None:
        typed = variant.raw.strip()
        if len(typed) > MAX_LENGTH:
            return None
        found = _REGISTRY.match(typed)
        if found is None and len(typed) < CUT_AT_LEAST:
            return None
        italian, other = (found["it"], compact(fold(found["de"]))) if found else (typed, "")
        words = fold(italian).split()
        if not words:
            return None
        cut = found is None or len(typed) >= CUT_AT_LEAST
        partial = cut and not other
        # A complete first word narrows the search to the names it starts.
        pool = self._names_in(variant.scope) if partial and len(words) < 2 else self._index.starting_with(words[0])
        fits = [
            c
            for c, names in pool
            if (variant.scope is None or c.province_code in variant.scope)
            and _starts(names[0].split(), words, partial=partial)
            and (not other or any(compact(n).startswith(other) for n in names[1:]))
        ]
        if partial:  # a cut: the completion is a guess a person confirms
            hint = f"{typed!r} letto come nome di registro troncato: verificare."
            return self._one(fits, typed, hint, kind="registry_cut", check=True) if fits else None
        hint = f"{typed!r} letto come nome di registro (nome bilingue)."
        return self._one(fits, typed, hint, kind="registry") if fits else None

    def _short_form(self, variant: Variant, place: Place) -> Match | None:
        if not self._short_forms or variant.scope is None:
            return None
        codes = self._index.short_form(variant.folded, variant.scope, typed=place)
        if not codes:
            return None
        fits = [self._index.comuni[c] for c in codes]
        fits += self._one_edit_away(variant, codes)
        hint = f"{variant.raw.strip()!r} letto come nome abbreviato: verificare."
        return self._one(fits, variant.raw, hint, kind="short_form", check=True)

    def _one_edit_away(self, variant: Variant, codes: list[str]) -> list[Comune]:
        """Other Comuni in scope one typo from the short form: "Carate" (MB) may be Carnate."""
        return [
            c
            for c, names in self._names_in(variant.scope)
            if c.istat_code not in codes and any(OSA.distance(variant.folded, n, score_cutoff=1) <= 1 for n in names)
        ]

    # --- helpers ------------------------------------------------------------------------

    def _names_in(self, scope: Scope) -> list[tuple[Comune, list[str]]]:
        """Current Comuni in scope with their folded names (official first)."""
        return self._index.names_in(scope)

    def _one(self, fits: list[Comune], typed: str, hint: str, *, kind: str, check: bool = False) -> Match:
        unique = list({c.istat_code: c for c in fits}.values())
        if len(unique) > 1:
            return _results.unresolved(
                MatchStatus.AMBIGUOUS,
                method=self.name,
                scored=[(c, SCORE) for c in unique],
                hint=f"{typed.strip()!r} può indicare {_results.labels(unique)}: indicare il nome completo.",
                raw={"kind": kind},
            )
        if check:  # words completed by the geocoder: a person confirms them (issue 25)
            return _results.to_check(unique[0], score=SCORE, method=self.name, hint=hint,
                                     raw={"kind": kind, "typed": typed.strip()})
        return _results.resolved(
            unique[0],
            MatchStatus.NORMALIZED,
            score=SCORE,
            method=self.name,
            hint=hint,
            raw={"kind": kind, "typed": typed.strip()},
        )


def _starts(name: list[str], words: list[str], *, partial: bool) -> bool:
    """True when ``words`` are the first words of ``name`` (the last one cut, if ``partial``)."""
    if not words or len(words) > len(name):
        return False
    if name[: len(words) - 1] != words[:-1]:
        return False
    last, own = words[-1], name[len(words) - 1]
    return own == last or (partial and own.startswith(last))
