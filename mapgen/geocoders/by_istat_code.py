"""Match a Comune typed as a code: a 6-digit ISTAT code ("075096") or a cadastral code ("C336").

Only the full 6-digit form is read as an ISTAT code: shorter numbers are often
postal codes (CAP "73030" would otherwise read as ISTAT "073030"). A retired
code leads to its successor (status ``alias``). A code outside the province or
region typed beside it is not trusted.
"""

from __future__ import annotations

import re
from typing import ClassVar

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import _results
from mapgen.geocoders.base import Matcher
from mapgen.model import Comune, Match, MatchStatus, Place

__all__ = ["IstatCodeMatcher"]

_ISTAT = re.compile(r"^\d{6}$")
_CADASTRAL = re.compile(r"^[A-Za-z]\d{3}$")


class IstatCodeMatcher(Matcher):
    """Resolve ISTAT and cadastral codes typed in the Comune field.

    Parameters
    ----------
    gazetteer
        The gazetteer to match against.
    cadastral
        Also read ``A123``-shaped text as a cadastral (Belfiore) code.
    """

    name: ClassVar[str] = "istat_code"

    def __init__(self, gazetteer: Gazetteer, *, cadastral: bool = True) -> None:
        super().__init__(gazetteer)
        self._cadastral = cadastral

    def geocode(self, place: Place) -> Match | None:
        """Return the Comune whose code ``place.comune`` is, or ``None`` if it is not a code."""
        text = place.comune.strip()
        if _ISTAT.match(text):
            found = self._gazetteer.by_code(text)
            kind = "ISTAT"
        elif self._cadastral and _CADASTRAL.match(text):
            found = self._gazetteer.by_cadastral(text)
            kind = "catastale"
        else:
            return None
        if found is None:
            return _results.unresolved(
                MatchStatus.UNRESOLVED,
                method=self.name,
                hint=f"{text!r} sembra un codice {kind} ma nessun Comune lo ha: verificare.",
            )
        return self._checked(found, text, place)

    def _checked(self, found: Comune, text: str, place: Place) -> Match:
        target = self._index.target_of(found.istat_code) or found
        scope = self._index.query(place).scope
        if not self._index.in_scope(target.istat_code, scope):
            return _results.unresolved(
                MatchStatus.UNRESOLVED,
                method=self.name,
                scored=[(target, 100.0)],
                hint=f"Il codice {text!r} è di {target.label}, fuori da "
                f"{self._index.describe_scope(scope)}: verificare codice e provincia.",
            )
        if not target.active:
            return _results.unresolved(
                MatchStatus.UNRESOLVED,
                method=self.name,
                scored=[(target, 90.0)],
                hint=f"Il codice {text!r} è di {target.label}, Comune soppresso di cui non si "
                "conosce il successore: indicare il Comune attuale.",
            )
        if target.istat_code != found.istat_code:
            return _results.resolved(
                target,
                MatchStatus.ALIAS,
                score=100.0,
                method=self.name,
                hint=f"Il codice {text!r} era di {found.label}, confluito in {target.label}.",
                raw={"code": text, "retired": found.istat_code},
            )
        return _results.resolved(target, MatchStatus.EXACT, score=100.0, method=self.name, raw={"code": text})
