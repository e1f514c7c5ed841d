"""Match a place that names an association of Comuni (an Unione): ``Unione Bassa Romagna`` (RA).

The associations and their members come from the gazetteer's register
(:attr:`~mapgen.gazetteer.Gazetteer.associations`). Matching is strict: the typed
name and the registered one must have the same distinctive words once the generic
ones are dropped (:data:`GENERIC`: Unione, dei, Comuni, montana, U.C., Com. Mont. ...),
and the association must lie in the typed province or region (anywhere in Italy
only when it is the one with those words). No word is guessed: "Consorzio Monviso
Solidale" is not the Unione Montana dei Comuni del Monviso, and "Garda" (a Comune,
found before this matcher is asked) is not the Unione Montana del Baldo-Garda.

Two answers, both carrying the association's id and members:

* the lead Comune named with the association (``Carpi - Unione Terre d'Argine``,
  ``Lugo (capofila Unione Bassa Romagna)``) and among its members: placed there;
* the association alone (``Reno Galliera``, BO): ``ambiguous``, the members as
  candidates, so a person picks the lead once in the corrections file.

A lead Comune that answered for its association names the Comune where the practice
goes and, in a field of its own (``denominazione_ente``), the association:
:meth:`LeadAssociation.find` finds the registered association named there that
counts the lead among its members (the same strict words; the lead's membership
stands for the province), so the practice gets the association's members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar, Final

from mapgen.geocoders import _results
from mapgen.geocoders._index import Scope
from mapgen.geocoders.base import Matcher
from mapgen.model import Association, Candidate, Comune, Match, MatchStatus, Place
from mapgen.text import fold

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer

__all__ = ["GENERIC", "AssociationMatcher", "LeadAssociation", "distinctive_words"]

#: Folded words that say "an association" or join words, not which one.
GENERIC: Final = frozenset({
    "unione", "unioni", "comune", "comuni", "comunale", "comunali", "montana", "montane", "montani",
    "montano", "comunita", "collinare", "collinari", "territoriale", "intercomunale", "capofila",
    "u", "c", "m", "uc", "cm", "com", "mont", "ente", "di", "d", "del", "della", "delle", "dello",
    "degli", "dei", "dell", "l", "la", "il", "lo", "le", "i", "gli", "e", "ed", "tra", "fra",
})
#: Words that introduce the lead Comune's own name in a compound cell.
_LEAD_WORDS: Final = frozenset({"comune", "di", "capofila", "citta"})
_SPLIT = re.compile(r"\s[-–—]\s|[()\[\],;/]|\s[-–—]|[-–—]\s")
SCORE: Final = 100.0


def distinctive_words(text: str) -> frozenset[str]:
    """The words of a name that tell one association from another: generic ones dropped."""
    return frozenset(w for w in fold(text).split() if w not in GENERIC)


class AssociationMatcher(Matcher):
    """Resolve a place naming an Unione di Comuni, alone or with its lead Comune."""

    name: ClassVar[str] = "association"

    @cached_property
    def _by_words(self) -> dict[frozenset[str], list[Association]]:
        return _words_table(self._gazetteer.associations)

    def geocode(self, place: Place) -> Match | None:
        """Return the association's lead Comune, the association for a person, or ``None``."""
        if not self._gazetteer.associations:
            return None
        parts = [p.strip() for p in _SPLIT.split(place.comune) if p and p.strip()]
        readings = [" ".join(parts[:i] + parts[i + 1 :]) for i in range(len(parts))] if len(parts) >= 2 else []
        if not any(distinctive_words(text) in self._by_words for text in (place.comune, *readings)):
            return None  # the common case, decided without parsing the province
        scope = self._index.query(place).scope
        found = self._associations(place.comune, scope)
        if found:
            return self._alone(place, found)
        for part, rest in zip(parts, readings, strict=False):
            found = self._associations(rest, scope)
            lead = self._comune(part, place) if len(found) == 1 else None
            if lead is not None:
                return self._with_lead(place, found[0], lead)
        return None

    def _associations(self, text: str, scope: Scope) -> list[Association]:
        words = distinctive_words(text)
        found = self._by_words.get(words, []) if words else []
        return [a for a in found if scope is None or self._provinces(a) & scope]

    def _provinces(self, association: Association) -> frozenset[str]:
        comuni = self._gazetteer.comuni
        return frozenset(comuni[c].province_code for c in association.members if c in comuni)

    def _comune(self, text: str, place: Place) -> Comune | None:
        """The one Comune a part of the cell names exactly ("Comune di Lugo", "capofila Lugo")."""
        words = text.split()
        while len(words) > 1 and fold(words[0]) in _LEAD_WORDS:
            words = words[1:]
        typed = Place(" ".join(words), provincia=place.provincia, regione=place.regione)
        match = self._names.geocode(typed)
        if match is None or match.status not in (MatchStatus.EXACT, MatchStatus.NORMALIZED, MatchStatus.ALIAS):
            return None
        return self._gazetteer.comuni.get(match.istat_code or "")

    @cached_property
    def _names(self) -> Matcher:
        from mapgen.geocoders.by_name import NameMatcher

        return NameMatcher(self._gazetteer)

    def _members(self, association: Association) -> list[Comune]:
        comuni = self._gazetteer.comuni
        return [comuni[c] for c in association.members if c in comuni]

    def _alone(self, place: Place, found: Sequence[Association]) -> Match:
        typed = place.comune.strip()
        if len(found) > 1:
            names = ", ".join(f"{a.name} ({a.sigla})" for a in found)
            return _results.unresolved(
                MatchStatus.AMBIGUOUS, method=self.name,
                hint=f"{typed!r} può essere più Unioni di Comuni: {names}; indicare il Comune capofila.",
            )
        association = found[0]
        members = self._members(association)
        return Match(
            status=MatchStatus.AMBIGUOUS, method=self.name, score=SCORE,
            candidates=_candidates(members),
            hint=(f"{typed!r} è un'Unione di Comuni, {association.name} ({association.sigla}, "
                  f"{len(members)} Comuni): indicare il Comune capofila tra i membri "
                  f"({_results.labels(members)})."),
            raw={"typed": typed, "association": association.name},
            association=association.id, members=association.members,
        )

    def _with_lead(self, place: Place, association: Association, lead: Comune) -> Match:
        typed = place.comune.strip()
        members = self._members(association)
        if lead.istat_code not in association.members:
            return Match(
                status=MatchStatus.AMBIGUOUS, method=self.name, score=SCORE,
                candidates=_candidates([lead, *members]),
                hint=(f"{typed!r}: {lead.label} non è tra i Comuni di {association.name} "
                      f"({_results.labels(members)}): indicare il Comune capofila."),
                raw={"typed": typed, "association": association.name},
                association=association.id, members=association.members,
            )
        placed = _results.resolved(
            lead, MatchStatus.NORMALIZED, score=SCORE, method=self.name,
            hint=f"{typed!r}: {lead.label}, capofila di {association.name} ({len(members)} Comuni).",
            raw={"typed": typed, "association": association.name},
        )
        from dataclasses import replace

        return replace(placed, association=association.id, members=association.members)


class LeadAssociation:
    """Which registered association a lead Comune names in its own field (``denominazione_ente``)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer  # its register is read on the first name asked for

    @cached_property
    def _by_words(self) -> dict[frozenset[str], list[Association]]:
        return _words_table(self._gazetteer.associations)

    def find(self, ente: str, lead: Comune) -> tuple[Association | None, str]:
        """The registered association ``ente`` names that counts ``lead`` among its members.

        Returns the association (or None) and, when the name is a registered
        association's but ``lead`` is not among its members, why (Italian, for the row's
        reason): the practice stays at the Comune the respondent named, without members.
        """
        if not ente.strip() or not self._by_words:
            return None, ""
        parts = [p.strip() for p in _SPLIT.split(ente) if p and p.strip()]
        named: dict[str, Association] = {}
        for text in dict.fromkeys((ente, *parts)):
            for association in self._by_words.get(distinctive_words(text), []):
                named.setdefault(association.id, association)
        with_lead = [a for a in named.values() if lead.istat_code in a.members]
        if len(with_lead) == 1:
            return with_lead[0], ""
        nearby = [a for a in named.values() if a.region_code == lead.region_code]
        if with_lead or not nearby:  # two registered namesakes with the lead, or none in its region
            return None, ""
        names = ", ".join(f"{a.name} ({a.sigla})" for a in nearby)
        return None, (f"{lead.label} non è tra i Comuni di {names} secondo il registro delle Unioni: "
                      f"la pratica resta a {lead.name}, senza i Comuni dell'Unione.")


def _words_table(associations: Iterable[Association]) -> dict[frozenset[str], list[Association]]:
    table: dict[frozenset[str], list[Association]] = {}
    for association in associations:
        words = distinctive_words(association.name)
        if words:
            table.setdefault(words, []).append(association)
    return table


def _candidates(comuni: Iterable[Comune]) -> tuple[Candidate, ...]:
    """Every member as a candidate (not only three): the person picks the lead among them."""
    seen: dict[str, Candidate] = {}
    for c in comuni:
        seen.setdefault(c.istat_code, Candidate(c.istat_code, c.name, c.sigla, SCORE))
    return tuple(seen.values())
