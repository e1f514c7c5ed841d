"""Recognise what is not a Comune: empty cells, placeholders, associations, provinces, regions.

The :class:`~mapgen.geocoders.Geocoder` asks this screen after exact name
matching failed and before fuzzy matching, so that "Unione dei Comuni del
Frignano" or "Provincia di Lecce" are reported as such (status
``not_a_comune``, with an Italian hint for staff) instead of being forced onto
the nearest Comune name. A cell listing several Comuni ("Castro, Tricase") is
``ambiguous`` with those Comuni as candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from mapgen.geocoders import _results
from mapgen.geocoders._index import GazetteerIndex
from mapgen.model import Match, MatchStatus, Place
from mapgen.text import fold

__all__ = ["screen"]

METHOD: Final = "screen"

# Placeholders people type when they have no Comune to give (folded).
_PLACEHOLDERS: Final = frozenset(
    {
        "",
        "n a",
        "na",
        "n d",
        "nd",
        "nn",
        "null",
        "nan",
        "nessuno",
        "nessuna",
        "niente",
        "non applicabile",
        "non disponibile",
        "non pertinente",
        "non so",
        "x",
        "xx",
        "xxx",
        "test",
        "prova",
        "vari",
        "varie",
        "diversi",
        "tutti",
        "tutti i comuni",
        "altro",
        "italia",
        "nazionale",
        "tutta italia",
        "0",
    }
)
# Associations and bodies that are not a single Comune (folded, whole words), with the hint's noun.
_BODIES: Final = (
    (r"unione (?:dei |di |montana |comuni )?(?:comuni)?", "un'Unione di Comuni"),
    (r"ambito(?: territoriale| sociale| distrettuale)?", "un Ambito territoriale"),
    (
        r"(?:piano|zona|distretto) (?:di zona|sociale|socio sanitario|sanitario)",
        "un Ambito/Distretto",
    ),
    (r"distretto", "un Distretto"),
    (r"consorzio", "un Consorzio"),
    (r"comunita (?:montana|di valle|comprensoriale)", "una Comunità montana o di valle"),
    (r"comprensorio", "un Comprensorio"),
    (r"(?:asl|asp|ulss|usl|ats|azienda sanitaria|azienda)", "un'Azienda sanitaria o un altro ente"),
    (r"societa della salute", "una Società della Salute"),
    (r"conferenza dei sindaci", "una Conferenza dei sindaci"),
    (r"plus", "un PLUS (Piano locale unitario dei servizi)"),
    # Only at the start: "Castro (provincia di Lecce)" is a Comune with its province.
    (r"^regione", "una Regione"),
    (r"^provincia", "una Provincia"),
    (r"^citta metropolitana", "una Città metropolitana"),
)
_BODY_PATTERNS: Final = tuple((re.compile(rf"\b{p}\b"), noun) for p, noun in _BODIES)
# Any of them, in one pass: most places name no body, and then no pattern is tried alone.
_ANY_BODY: Final = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _BODY_PATTERNS))
_LIST_SPLIT = re.compile(r"\s*(?:[,;+&]|\s+e\s+|\s+ed\s+)\s*")
_POSTCODE = re.compile(r"^\d{5}$")

Resolver = Callable[[Place], Match | None]


def screen(place: Place, index: GazetteerIndex, resolve: Resolver) -> Match | None:
    """Return a ``not_a_comune`` (or list-of-Comuni ``ambiguous``) Match, or ``None``.

    Parameters
    ----------
    place
        The place as typed; call this only after exact name matching failed.
    index
        The gazetteer index (for province and region names).
    resolve
        Exact name matching, used to recognise each item of a list of Comuni.
    """
    text = place.comune.strip()
    folded = fold(text)
    if folded in _PLACEHOLDERS or not re.search(r"[a-z]", folded):
        return _not_a_comune(text, _placeholder_hint(text))
    if len(folded) == 2 and folded in index.areas and "?" not in text:  # "Al?" is Alì with a lost letter
        return _not_a_comune(text, f"{text!r} sembra la sigla di una provincia, non un Comune: indicare il Comune.")
    area = index.is_area_name(folded)
    if area and not _short_form(place, folded, index):
        return _not_a_comune(
            text,
            f"{text!r} è il nome di una {area}, non di un Comune: indicare il Comune in cui si svolge l'iniziativa.",
        )
    for pattern, noun in _BODY_PATTERNS if _ANY_BODY.search(folded) else ():
        if pattern.search(folded):
            return _not_a_comune(
                text,
                f"{text!r} sembra {noun}, non un Comune: indicare il Comune "
                "capofila o quello in cui si svolge l'iniziativa.",
            )
    return _list_of_comuni(place, index, resolve)


def _short_form(place: Place, folded: str, index: GazetteerIndex) -> bool:
    """ "Ascoli" typed with FG is Ascoli Satriano, not the province of Ascoli Piceno."""
    scope = index.query(place).scope
    return scope is not None and bool(index.short_form(folded, scope, typed=place))


def _placeholder_hint(text: str) -> str:
    if not text:
        return "Cella vuota: indicare il Comune."
    if _POSTCODE.match(text):
        return f"{text!r} sembra un CAP, non un Comune: indicare il nome del Comune."
    return f"{text!r} non è il nome di un Comune: indicare il Comune."


def _not_a_comune(text: str, hint: str) -> Match:
    return _results.unresolved(MatchStatus.NOT_A_COMUNE, method=METHOD, hint=hint, raw={"typed": text})


def _list_of_comuni(place: Place, index: GazetteerIndex, resolve: Resolver) -> Match | None:
    """ "Castro, Tricase e Andrano": every item is a Comune, so the cell names an association."""
    items = [i for i in _LIST_SPLIT.split(place.comune.strip()) if i]
    if len(items) < 2:
        return None
    codes: list[str] = []
    for item in items:
        match = resolve(Place(item, place.provincia, place.regione))
        if match is None:
            return None
        codes += [match.istat_code] if match.istat_code else [c.istat_code for c in match.candidates]
    comuni = [index.comuni[c] for c in dict.fromkeys(codes)]
    if len(comuni) < 2:
        return None
    return _results.unresolved(
        MatchStatus.AMBIGUOUS,
        method=METHOD,
        scored=[(c, 0.0) for c in comuni],
        hint=f"La cella nomina più Comuni, {_results.labels(comuni)}: indicare il Comune capofila.",
    )
