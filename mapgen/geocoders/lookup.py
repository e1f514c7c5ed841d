"""A person's question "which Comune is this?": the gazetteer's exact answer, else the geocoder's.

The answer of ``mapgen gazetteer lookup``. An exact name, an other-language, former or merged
name, an ISTAT or cadastral code is looked up in the gazetteer; a name it does not hold
("Reggio Calabria") is read by the offline geocoder once, as it would be in a survey, and
either answers with a note or turns into the suggestion of the error. Example::

    from mapgen.geocoders.lookup import lookup_comune

    answer = lookup_comune("Castro", provincia="LE")
    print("\\n".join(answer.lines()))   # 075096  Castro (LE)  Puglia  40.00...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mapgen.errors import MapgenError
from mapgen.gazetteer import load_gazetteer
from mapgen.geocoders.chain import Geocoder
from mapgen.i18n import _, _lc
from mapgen.model import Match, MatchStatus, Place
from mapgen.text import fold

if TYPE_CHECKING:
    from mapgen.gazetteer import Gazetteer
    from mapgen.gazetteer.shipped import NameEntry
    from mapgen.model import Comune

__all__ = ["LookupAnswer", "check_provincia", "lookup_comune", "starting_with", "suggestion"]


@dataclass(frozen=True, slots=True)
class LookupAnswer:
    """The Comuni a name leads to, each with the names.csv entry that led there (None: official
    name or code), and a note when the answer is the geocoder's reading rather than an exact name."""

    found: tuple[tuple[Comune, NameEntry | None], ...]
    note: str = ""

    def lines(self) -> list[str]:
        """One line per Comune (code, label, region, point, population, retirement, the name that led
        there), then the note; in the person's language, for ``mapgen gazetteer lookup`` to print."""
        lines = []
        for comune, entry in self.found:
            state = ""
            if not comune.active:
                state = _("  (retired {date}, now {successor})", date=comune.valid_to,
                          successor=comune.successor or "?")
            kind = _NAME_KINDS.get(entry.kind, entry.kind.replace("_", " ")) if entry else ""
            via = _("  ({kind} name {name} ({sigla}))", kind=kind, name=entry.name, sigla=entry.sigla) if entry else ""
            lines.append(
                f"{comune.istat_code}  {comune.label}  {comune.region}  {comune.lat:.5f},{comune.lon:.5f}  "
                + _("pop. {population}", population=comune.population or "?") + f"{state}{via}"
            )
        if self.note:
            lines.append(self.note)
        return lines


#: The kinds of names of names.csv, as the lookup says them.
_NAME_KINDS = {"other_language": _lc("name", "other language"), "historical": _lc("name", "historical"),
               "merged": _lc("name", "merged"), "variant": _lc("name", "variant")}


def check_provincia(gazetteer: Gazetteer, provincia: str | None) -> None:
    """Refuse a province code no Comune has (``--provincia XX``), naming it as such.

    Raises
    ------
    MapgenError
        ``provincia`` is not the sigla of any Comune (case and spaces aside).
    """
    if provincia is None:
        return
    siglas = {c.sigla.upper() for c in gazetteer.comuni.values()}
    if provincia.strip().upper() not in siglas:
        raise MapgenError(_("no province has the code {code}. Use the two-letter sigla of a province or "
                            "metropolitan city, e.g. LE, TO, RM (see ISTAT's list).", code=repr(provincia)))


#: At most this many Comuni in a "Did you mean" list.
SUGGESTED = 8


def suggestion(match: Match, *, starting: Sequence[Comune] = ()) -> str:
    """What to try for a missed name: the Comuni whose name starts with it, then the geocoder's reading.

    ``starting``: the Comuni whose name begins with the words typed ("Monteleone" for the six
    "Monteleone ..."), listed before the names the geocoder finds close in spelling.
    """
    if match.istat_code and not starting:
        return " " + _("The geocoder reads it as {name} ({sigla}) [{status}]: try that name.", name=match.name,
                       sigla=match.sigla, status=match.status)
    names = [c.label for c in starting[:SUGGESTED]]
    names += [label for c in match.candidates if (label := f"{c.name} ({c.sigla})") not in names]
    if not names:
        return ""
    more = len(starting) - SUGGESTED
    listed = ", ".join(names[:SUGGESTED])
    if more > 0:
        return " " + _("Did you mean: {names} and {count} more?", names=listed, count=more)
    return " " + _("Did you mean: {names}?", names=listed)


def starting_with(gazetteer: Gazetteer, name: str, *, provincia: str | None = None) -> list[Comune]:
    """The current Comuni whose name starts with the words of ``name`` (accents, case aside), by name."""
    typed = fold(name)
    if not typed:
        return []
    sigla = provincia.strip().upper() if provincia else None
    found = [c for c in gazetteer.comuni.values()
             if c.active and (sigla is None or c.sigla == sigla) and fold(c.name).startswith(typed + " ")]
    return sorted(found, key=lambda c: (fold(c.name), c.sigla))


def lookup_comune(name: str, *, provincia: str | None = None, gazetteer: Gazetteer | None = None) -> LookupAnswer:
    """The Comuni ``name`` names exactly; else the one the offline geocoder reads it as, with a note.

    Parameters
    ----------
    name
        Official, other-language, former or merged name, ISTAT or cadastral code.
    provincia
        Province sigla that narrows the search (``LE``); checked first.
    gazetteer
        The gazetteer to ask (default: the shipped one).

    Raises
    ------
    MapgenError
        ``provincia`` is no province's sigla, or neither the gazetteer nor the geocoder finds
        ``name``; the message then carries the geocoder's suggestion when it has one.
    """
    gazetteer = gazetteer if gazetteer is not None else load_gazetteer()
    check_provincia(gazetteer, provincia)
    found = gazetteer.lookup(name, sigla=provincia)
    if found:
        return LookupAnswer(tuple(found))
    # A common spelling the geocoder reads ("Reggio Calabria") is an answer, with a note; asked once.
    match = Geocoder(gazetteer).geocode(Place(comune=name, provincia=provincia or ""), online=False)
    comune = gazetteer.comuni.get(match.istat_code) if match.istat_code else None
    starting = starting_with(gazetteer, name, provincia=provincia)
    if comune is not None and match.status is MatchStatus.FUZZY and starting and comune not in starting:
        # "Reggio" read as Greggio by spelling, while Reggio Emilia and Reggio di Calabria exist: ask
        starting.append(comune)
        comune = None
        match = replace(match, istat_code="")
    if comune is not None:
        note = _("Note: no Comune is officially called {name}; the geocoder reads it as {comune} [{status}], as "
                 "it does in a survey.", name=repr(name), comune=comune.label, status=match.status)
        return LookupAnswer(((comune, None),), note)
    if provincia:
        raise MapgenError(_("no Comune is called {name} in {provincia}.", name=repr(name), provincia=provincia)
                          + suggestion(match, starting=starting))
    raise MapgenError(_("no Comune is called {name}.", name=repr(name)) + suggestion(match, starting=starting))
