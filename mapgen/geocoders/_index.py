"""The gazetteer turned into lookup tables, built once and shared by every matcher.

Every name that leads to a Comune becomes an :class:`Entry`: official names,
other-language names, the bilingual pair, the names of retired Comuni (leading to
their successor) and the ``names.csv`` aliases. Each entry is indexed under the
keys of :mod:`._normalize` at every level. Province and region spellings
(names, siglas, codes, the ``aliases`` columns, the halves of bilingual and
multi-part names) map to sets of province codes, the *scope* that narrows a
search.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from mapgen.gazetteer import Gazetteer, NameEntry
from mapgen.geocoders import _normalize as norm
from mapgen.geocoders._normalize import fold
from mapgen.model import Comune, Place

__all__ = [
    "FORMER_PROVINCE",
    "MERGED_BY_DATES",
    "OFFICIAL_KINDS",
    "Entry",
    "GazetteerIndex",
    "Query",
    "Scope",
    "Variant",
    "index_for",
]

log = logging.getLogger(__name__)

#: Entry kinds that are a Comune's own current name (status exact/normalized, not alias).
OFFICIAL_KINDS: Final = frozenset({"official", "other_language", "bilingual"})

#: Kind of an entry that is a Comune's own name in a province it belonged to before
#: (``names.csv`` lists "Andria, BA" as historical: same name, old province).
FORMER_PROVINCE: Final = "former_province"

#: Kind of a merged name whose successor the gazetteer derived from dates alone
#: (``successors.csv`` method ``registry-dates``): a person checks where it went.
MERGED_BY_DATES: Final = "merged_by_dates"

#: A set of province codes a Comune must lie in; ``None`` means anywhere.
Scope = frozenset[str] | None

_PARTS = re.compile(r"\s*(?:/|\s-\s|-|\se\s)\s*")


@dataclass(frozen=True, slots=True)
class Entry:
    """A name that leads to a Comune.

    ``target`` is the ISTAT code the name resolves to (the successor for a merged
    Comune); ``source_code`` the code the name belonged to; ``provinces`` the
    province codes where the name is at home (its own and its target's).
    """

    target: str
    name: str
    kind: str
    source_code: str
    provinces: frozenset[str]
    valid_to: str = ""


@dataclass(frozen=True, slots=True)
class Variant:
    """One reading of a typed Comune: folded text, raw text and the scope it implies."""

    folded: str
    raw: str
    scope: Scope
    how: str  # "full", "prefix", "area" (marked province), "area_bare" (bare trailing words)


@dataclass(frozen=True, slots=True)
class Query:
    """A typed place, parsed once: the readings to try, the scope and notes for staff."""

    place: Place
    variants: tuple[Variant, ...]
    scope: Scope
    notes: tuple[str, ...]

    @property
    def best(self) -> Variant:
        """The reading fuzzy and online matching use: the most specific one."""
        for how in ("area", "prefix"):
            for variant in self.variants:
                if variant.how == how:
                    return variant
        return self.variants[0]


class GazetteerIndex:
    """Name and area lookup tables over one :class:`~mapgen.gazetteer.Gazetteer`."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.comuni: Mapping[str, Comune] = gazetteer.comuni
        self.sigla_of: dict[str, str] = {p.code: p.sigla for p in gazetteer.provinces}
        self.province_name: dict[str, str] = {p.code: p.name for p in gazetteer.provinces}
        self.region_of_province: dict[str, str] = {p.code: p.region_code for p in gazetteer.provinces}
        self.areas: dict[str, frozenset[str]] = _area_table(gazetteer)
        self.province_keys: frozenset[str] = _province_name_keys(gazetteer)
        self.region_keys: frozenset[str] = _region_name_keys(gazetteer)
        # Official region names (and their halves), for names that are also a Comune's.
        self.region_names = frozenset(fold(half) for r in gazetteer.regions for half in (r.name, *r.name.split("/")))
        self.keys: dict[tuple[str, str], tuple[Entry, ...]] = _key_table(self._entries())
        # Built on first use: only names the exact matchers missed need them.
        self._folded_names: list[tuple[Comune, list[str]]] | None = None
        self._first_words: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] | None = None
        self._canonical_names: dict[str, list[Comune]] | None = None
        self._by_province: dict[str, list[tuple[Comune, list[str]]]] | None = None
        self._by_first: dict[str, list[tuple[Comune, list[str]]]] | None = None
        self.query = lru_cache(maxsize=1 << 16)(self._parse)
        self.area = lru_cache(maxsize=1 << 12)(self._area)  # type: ignore[method-assign]
        # Every matcher looks the same names up again (by name, fuzzy, locality, the screen).
        self.lookup = lru_cache(maxsize=1 << 16)(self._lookup)  # type: ignore[method-assign]
        log.debug("geocoder index: %d keys", len(self.keys))

    # --- entries ------------------------------------------------------------------------

    def _entries(self) -> Iterator[Entry]:
        for comune in self.comuni.values():
            yield from self._comune_entries(comune)
        for name in self.gazetteer.names:
            entry = self._name_entry(name)
            if entry is not None:
                yield entry

    def target_of(self, code: str) -> Comune | None:
        """The current Comune a code leads to (itself, its successor, or the retired one)."""
        comune = self.comuni.get(code)
        if comune is None or comune.active:
            return comune
        return self.gazetteer.successor_of(comune) or comune

    def _comune_entries(self, comune: Comune) -> Iterator[Entry]:
        target = self.target_of(comune.istat_code)
        assert target is not None
        provinces = frozenset({comune.province_code, target.province_code})
        if not comune.active:
            kind = "merged" if target.istat_code != comune.istat_code else "retired"
            yield Entry(target.istat_code, comune.name, kind, comune.istat_code, provinces, comune.valid_to)
            return
        yield Entry(comune.istat_code, comune.name, "official", comune.istat_code, provinces)
        for other in _other_names(comune):
            yield Entry(comune.istat_code, other, "other_language", comune.istat_code, provinces)
            for pair in (f"{comune.name}/{other}", f"{other}/{comune.name}"):
                yield Entry(comune.istat_code, pair, "bilingual", comune.istat_code, provinces)

    def _name_entry(self, name: NameEntry) -> Entry | None:
        target = self.target_of(name.istat_code)
        if target is None:
            log.warning("names.csv: %r leads to unknown code %s; ignored", name.name, name.istat_code)
            return None
        own = self.areas.get(fold(name.sigla), frozenset()) if name.sigla else frozenset()
        provinces = own | {target.province_code}
        valid_to = str(getattr(name, "valid_to", "") or "")
        own_names = {fold(n) for n in (target.name, *_other_names(target))}
        kind = FORMER_PROVINCE if fold(name.name) in own_names else name.kind
        if kind == "merged" and name.dates_only:
            kind = MERGED_BY_DATES
        return Entry(target.istat_code, name.name, kind, name.istat_code, provinces, valid_to)

    # --- lookups ------------------------------------------------------------------------

    def lookup(self, folded: str) -> tuple[tuple[str, tuple[Entry, ...]], ...]:
        """``(level, entries)`` for each level where the folded name has entries."""
        return self._lookup(folded)

    def _lookup(self, folded: str) -> tuple[tuple[str, tuple[Entry, ...]], ...]:
        keys = self.keys
        return tuple((level, keys[level, key]) for level, key in norm.level_keys(folded) if keys.get((level, key)))

    def area(self, text: str) -> Scope:
        """The province codes a typed province or region means, or ``None`` if unknown."""
        return self._area(text)

    def _area(self, text: str) -> Scope:
        """The province codes a typed province or region means, or ``None`` if unknown."""
        for variant in norm.area_variants(text):
            for key in (variant, norm.skeleton(norm.canonical(variant)), norm.compact(variant)):
                found = self.areas.get(key)
                if found:
                    return found
        return None

    def is_area_name(self, folded: str) -> str:
        """``"provincia"``/``"regione"`` when a folded text names one, else ``""``."""
        for variant in norm.area_variants(folded):
            skel = norm.skeleton(norm.canonical(variant))
            if skel.split()[:1] != variant.split()[:1]:
                # A leading "article" may be a Comune: "Ne - Genova", "Dello - Brescia".
                skel = variant
            if variant in self.region_keys or skel in self.region_keys:
                return "regione"
            if variant in self.province_keys or skel in self.province_keys:
                return "provincia"
        return ""

    def regions_of(self, scope: Scope) -> frozenset[str]:
        """The region codes of a scope's provinces."""
        return frozenset(self.region_of_province.get(p, "") for p in scope or ())

    def in_scope(self, code: str, scope: Scope) -> bool:
        """True when the Comune with this code lies in the scope."""
        comune = self.comuni.get(code)
        return scope is None or (comune is not None and comune.province_code in scope)

    def describe_scope(self, scope: Scope) -> str:
        """Italian description of a scope for hints: ``"LE"``, ``"TO, TN"``."""
        if scope is None:
            return "tutta Italia"
        return ", ".join(sorted(self.sigla_of.get(p, p) for p in scope))

    # --- names by their words (the spelling matchers) -----------------------------------------

    def folded_names(self) -> list[tuple[Comune, list[str]]]:
        """Every current Comune with its folded names, the official one first (built once)."""
        if self._folded_names is None:
            self._folded_names = [
                (c, [fold(c.name), *(fold(o) for o in _other_names(c))])
                for c in self.comuni.values()
                if c.active
            ]
        return self._folded_names

    def prefer_typed(self, comuni: list[Comune], place: Place | None) -> list[Comune]:
        """The Comuni of the province typed by its own sigla or name, when any of them fits.

        A province's scope also holds the provinces it gave Comuni to ("LC" reaches into
        BG); a weaker rule such as a short form reads the typed province literally.
        """
        if place is None or not place.provincia.strip():
            return comuni
        typed = fold(place.provincia)
        own = [c for c in comuni if typed in (fold(c.sigla), fold(self.province_name.get(c.province_code, "")))]
        return own or comuni

    def short_form(self, folded: str, scope: frozenset[str], *, typed: Place | None = None) -> list[str]:
        """Codes a short form may mean in ``scope``: the Comuni whose names start with it.

        Empty when no name in scope starts with the words, or one is exactly these words
        (then it is a name, not a short form). Comuni (also merged ones) of exactly that
        name elsewhere in the same region are added: the province may be the mistake.
        """
        words = tuple(norm.canonical(folded).split())
        if len(norm.compact(folded)) < 4 or not words or norm.is_connective(words[-1]):
            return []
        fits: set[str] = set()
        table = self._by_first_word()
        for province in scope:
            for name_words, code in table.get((words[0], province), ()):
                if name_words[: len(words)] == words:
                    if len(name_words) == len(words):
                        return []
                    fits.add(code)
        if not fits:
            return []
        fits = {c.istat_code for c in self.prefer_typed([self.comuni[code] for code in fits], typed)}
        regions = self.regions_of(scope)
        for level, entries in self.lookup(folded):
            if level in ("fold", "canonical"):
                fits |= {e.target for e in entries if self.regions_of(e.provinces) & regions}
        return sorted(fits)

    def names_in(self, scope: Scope) -> list[tuple[Comune, list[str]]]:
        """Current Comuni in scope (anywhere for ``None``) with their folded names, official first."""
        if self._by_province is None:
            table: dict[str, list[tuple[Comune, list[str]]]] = defaultdict(list)
            for comune, names in self.folded_names():
                table[comune.province_code].append((comune, names))
            self._by_province = dict(table)
        if scope is None:
            return self.folded_names()
        return [pair for province in sorted(scope) for pair in self._by_province.get(province, ())]

    def starting_with(self, word: str) -> list[tuple[Comune, list[str]]]:
        """Current Comuni whose official folded name starts with the whole word ``word``."""
        if self._by_first is None:
            table: dict[str, list[tuple[Comune, list[str]]]] = defaultdict(list)
            for comune, names in self.folded_names():
                table[names[0].split()[0]].append((comune, names))
            self._by_first = dict(table)
        return self._by_first.get(word, [])

    def canonical_names(self) -> dict[str, list[Comune]]:
        """Canonical folded name (official and other-language) -> current Comuni (built once)."""
        if self._canonical_names is None:
            table: dict[str, list[Comune]] = defaultdict(list)
            for comune, names in self.folded_names():
                for name in dict.fromkeys(norm.canonical(n) for n in names):
                    table[name].append(comune)
            self._canonical_names = dict(table)
        return self._canonical_names

    def _by_first_word(self) -> dict[tuple[str, str], list[tuple[tuple[str, ...], str]]]:
        """(first canonical word, province code) -> (canonical words, ISTAT code) of current names."""
        if self._first_words is None:
            table: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] = defaultdict(list)
            for comune, names in self.folded_names():
                for name in dict.fromkeys(norm.canonical(n) for n in names):
                    words = tuple(name.split())
                    table[(words[0], comune.province_code)].append((words, comune.istat_code))
            self._first_words = dict(table)
        return self._first_words

    # --- parsing typed places -------------------------------------------------------------

    def _parse(self, place: Place) -> Query:
        scope, notes = self._column_scope(place)
        folded = norm.folded_variants(place.comune)
        variants = [Variant(folded[0], place.comune.strip(), scope, "full")]
        if len(folded) > 1:
            variants.append(Variant(folded[1], norm.strip_raw_prefix(place.comune), scope, "prefix"))
        if not self.is_area_name(folded[-1]):  # "Monza e Brianza" is a province, not Monza
            variants.extend(self._area_variants(place.comune, scope))
        return Query(place, tuple(variants), scope, tuple(notes))

    def _column_scope(self, place: Place) -> tuple[Scope, list[str]]:
        scope: Scope = None
        notes: list[str] = []
        for label, text in (("provincia", place.provincia), ("regione", place.regione)):
            if not text.strip():
                continue
            found = self.area(text)
            if found is None:
                notes.append(f"{label.capitalize()} {text.strip()!r} non riconosciuta: ignorata.")
                continue
            scope = found if scope is None else (scope & found or scope)
        return scope, notes

    def _area_variants(self, text: str, scope: Scope) -> Iterator[Variant]:
        for head, tail, marked in norm.trailing_area(text):
            found = self.area(tail)
            if found is None:
                continue
            narrowed = found if scope is None else scope & found
            if not narrowed:
                continue
            how = "area" if marked else "area_bare"
            readings = norm.folded_variants(head)
            # Without its "Comune di" first ("Comune di Ne (GE)" is Ne), then as typed: the
            # prefix may be part of the name ("Città di Castello (PG)").
            if not norm.ends_with_connective(readings[-1]):
                yield Variant(readings[-1], norm.strip_raw_prefix(head) if marked else head, narrowed, how)
            if len(readings) > 1 and not norm.ends_with_connective(readings[0]):
                yield Variant(readings[0], head.strip(), narrowed, how)


def _other_names(comune: Comune) -> list[str]:
    """A Comune's other-language names (ISTAT joins several with "/")."""
    return [n.strip() for n in comune.name_other.split("/") if n.strip()]


def _key_table(entries: Iterable[Entry]) -> dict[tuple[str, str], tuple[Entry, ...]]:
    table: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    # Each distinct entry once, each of its keys once: no bucket needs a membership test.
    for entry in dict.fromkeys(entries):
        keys = dict.fromkeys(
            level_key for spelling in norm.spellings(entry.name) for level_key in norm.level_keys(fold(spelling))
        )
        for level_key in keys:
            table[level_key].append(entry)
    return {k: tuple(v) for k, v in table.items()}


def _name_parts(name: str) -> list[str]:
    """Halves and parts of an area name ("Trentino-Alto Adige/Südtirol" -> 4 spellings)."""
    halves = [h for h in name.split("/") if h.strip()]
    parts = halves if len(halves) > 1 else []
    for half in halves:
        pieces = [p for p in _PARTS.split(half) if p.strip()]
        parts += pieces if len(pieces) > 1 else []
    return parts


def _area_table(gazetteer: Gazetteer) -> dict[str, frozenset[str]]:
    """Folded spelling -> province codes, for provinces then regions (provinces win)."""
    by_region: dict[str, set[str]] = defaultdict(set)
    for province in gazetteer.provinces:
        by_region[province.region_code].add(province.code)
    exact: dict[str, set[str]] = defaultdict(set)
    loose: dict[str, set[str]] = defaultdict(set)
    for province in gazetteer.provinces:
        codes = {province.code}
        for spelling in (province.name, province.sigla, province.code, *province.aliases):
            _add_area_keys(exact, spelling, codes)
        for part in _name_parts(province.name):
            _add_area_keys(loose, part, codes)
    for region in gazetteer.regions:
        codes = by_region.get(region.code, set())
        for spelling in (region.name, *region.aliases):
            _add_area_keys(exact, spelling, codes, keep=True)
        for part in _name_parts(region.name):
            _add_area_keys(loose, part, codes, keep=True)
    merged = {k: frozenset(v) for k, v in loose.items()}
    merged.update({k: frozenset(v) for k, v in exact.items()})
    return merged


def _add_area_keys(table: dict[str, set[str]], spelling: str, codes: set[str], *, keep: bool = False) -> None:
    folded = fold(spelling)
    if not folded:
        return
    for key in {folded, norm.skeleton(norm.canonical(folded)), norm.compact(folded)}:
        if keep and key in table:
            continue  # a province spelling wins over a region's (e.g. "Valle d'Aosta")
        table[key] |= codes
    if folded.isdigit():
        table[folded.lstrip("0") or "0"] |= codes


def _province_name_keys(gazetteer: Gazetteer) -> frozenset[str]:
    keys: set[str] = set()
    for province in gazetteer.provinces:
        for spelling in (province.name, *province.aliases, *_name_parts(province.name)):
            folded = fold(spelling)
            if len(folded) > 2:  # siglas are not names
                keys |= {folded, norm.skeleton(norm.canonical(folded))}
    return frozenset(keys)


def _region_name_keys(gazetteer: Gazetteer) -> frozenset[str]:
    keys: set[str] = set()
    for region in gazetteer.regions:
        for spelling in (region.name, *region.aliases, *_name_parts(region.name)):
            folded = fold(spelling)
            keys |= {folded, norm.skeleton(norm.canonical(folded))}
    return frozenset(keys)


_INDEXES: dict[int, tuple[Gazetteer, GazetteerIndex]] = {}


def index_for(gazetteer: Gazetteer) -> GazetteerIndex:
    """The index of a gazetteer, built on first use and shared by every matcher."""
    cached = _INDEXES.get(id(gazetteer))
    if cached is None or cached[0] is not gazetteer:
        cached = (gazetteer, GazetteerIndex(gazetteer))
        _INDEXES[id(gazetteer)] = cached
    return cached[1]
