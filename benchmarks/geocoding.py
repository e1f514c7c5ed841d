"""Accuracy and speed of :class:`mapgen.geocoders.Geocoder` against simple baselines.

Run ``python -m benchmarks.geocoding`` (``--quick`` for a short run). Not part of
the test suite: the numbers depend on the machine and take a minute or two.

Accuracy: a labelled set of variants generated from the gazetteer with the
transformations people apply when they type a Comune into a form (fixed seed).
Each case expects an ISTAT code, ``ambiguous`` (homonyms without a deciding
province) or ``not_a_comune``; an answer is *correct*, a *wrong code* (a code
that is not the expected one, or any code where none is expected), or
*abstained* (no code). Three baselines run on the same cases: exact matching
after folding case and accents; rapidfuzz ``extractOne`` (WRatio, cutoff 88)
within the typed province; ``extractOne`` over every name.

Speed: rows per second on 100,000 generated rows, for the geocoder's table API
(distinct places resolved once) and, in the same run, for the baseline that
calls ``extractOne`` over all names for every row (on a sample, then per row).
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.geocoders import FuzzyMatcher, Geocoder
from mapgen.geocoders._index import index_for
from mapgen.model import Comune, Place
from mapgen.text import fold, strip_accents

SEED = 20201
AMBIGUOUS = "ambiguous"
NOT_A_COMUNE = "not_a_comune"
Answer = Callable[[Place], str | None]  # a code, or None for an abstention
# Categories beyond the issue's transformations: reported, left out of "unambiguous".
STRESS = "[stress] "
#: The typos the issue names (a transposed, missing or extra letter), and a wrong letter.
ISSUE_OPS = ("transpose", "delete", "insert")
ALL_OPS = (*ISSUE_OPS, "replace")
# Typos as close to another Comune's name as to their own: no one can tell them apart.
TIE = "[tie] "
T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """One labelled input: ``expected`` is an ISTAT code, AMBIGUOUS or NOT_A_COMUNE."""

    category: str
    place: Place
    expected: str
    homonyms: tuple[str, ...] = ()


# --- the labelled set -----------------------------------------------------------------------


class CaseBuilder:
    """Generate labelled variants from a gazetteer, deterministically."""

    def __init__(self, gazetteer: Gazetteer, seed: int = SEED) -> None:
        self.gaz = gazetteer
        self.rng = random.Random(seed)
        self.active = sorted(gazetteer.active(), key=lambda c: c.istat_code)
        by_name: dict[str, list[Comune]] = defaultdict(list)
        for c in self.active:
            by_name[fold(c.name)].append(c)
        self.by_name = by_name
        self.unique = [c for c in self.active if len(by_name[fold(c.name)]) == 1]
        self.homonym_groups = [g for g in by_name.values() if len(g) > 1]
        self.index = index_for(gazetteer)
        self.collisions = 0

    def sample(self, pool: Sequence[Comune], n: int) -> list[Comune]:
        return self.rng.sample(list(pool), min(n, len(pool)))

    def province(self, c: Comune, p: float = 0.5) -> str:
        return c.sigla if self.rng.random() < p else ""

    def typo_cases(self, n: int) -> list[Case]:
        """Only the typo categories, ``n`` each: where wrong codes hide."""
        return [
            *self.typo1_prov(n),
            *self.typo1(n),
            *self.typo2_prov(n),
            *self.typo_letter_prov(n),
            *self.typo_letter(n),
        ]

    def build(self, n: int = 150, *, typos: int | None = None) -> list[Case]:
        """``n`` cases per category (``typos`` per typo category, default ``n``)."""
        typos = n if typos is None else typos
        cases: list[Case] = []
        for method in (
            self.official,
            self.official_no_hint,
            self.case_space,
            self.accents,
            self.prefix,
            self.saints,
            self.hyphens,
            self.bilingual,
            self.short_forms,
            self.province_in_name,
            self.province_forms,
            self.old_provinces,
            self.codes,
            self.typo1_prov,
            self.typo1,
            self.typo2_prov,
            self.typo_letter_prov,
            self.typo_letter,
            self.merged,
            self.homonyms,
            self.homonyms_decided,
            self.homonym_typos,
            self.not_a_comune,
        ):
            cases.extend(method(typos if method.__name__.startswith("typo") else n))
        return cases

    def official(self, n: int) -> Iterator[Case]:
        for c in self.sample(self.active, n):
            yield Case("official name + province", Place(c.name, c.sigla), c.istat_code)

    def official_no_hint(self, n: int) -> Iterator[Case]:
        for c in self.sample(self.unique, n):
            yield Case("official name, no province", Place(c.name), c.istat_code)

    def case_space(self, n: int) -> Iterator[Case]:
        forms = (
            str.upper,
            str.lower,
            lambda s: f"  {s}  ",
            lambda s: s.replace(" ", "  ") + ".",
            lambda s: s.title(),
        )
        for c in self.sample(self.unique, n):
            yield Case(
                "case, spaces, punctuation",
                Place(self.rng.choice(forms)(c.name), self.province(c)),
                c.istat_code,
            )

    def accents(self, n: int) -> Iterator[Case]:
        pool = [c for c in self.unique if strip_accents(c.name) != c.name]
        for c in self.sample(pool, n):
            typed = strip_accents(c.name)
            if self.rng.random() < 0.5 and c.name[-1] in "àèéìòù":
                typed = typed + "'"
            yield Case("accents missing or as apostrophe", Place(typed, self.province(c)), c.istat_code)

    def prefix(self, n: int) -> Iterator[Case]:
        prefixes = ("Comune di ", "COMUNE DI ", "Città di ", "comune di ", "Citta' di ")
        for c in self.sample(self.unique, n):
            yield Case(
                "'Comune di' / 'Città di'",
                Place(self.rng.choice(prefixes) + c.name, self.province(c)),
                c.istat_code,
            )

    def saints(self, n: int) -> Iterator[Case]:
        forms = {
            "San ": ("S. ", "S.", "S "),
            "Santa ": ("S. ", "S.ta ", "Sta "),
            "Sant'": ("S. ", "S.", "Sant "),
            "Santo ": ("S. ", "S.to "),
            "Santi ": ("SS. ", "S.S. "),
        }
        pool = [c for c in self.active if any(k in c.name for k in forms)]
        for c in self.sample(pool, n):
            typed = c.name
            for full, abbreviations in forms.items():
                if full in typed:
                    typed = typed.replace(full, self.rng.choice(abbreviations), 1)
                    break
            expected = c.istat_code if len(self.by_name[fold(c.name)]) == 1 or self.province(c, 1) else AMBIGUOUS
            yield Case("saint abbreviations", Place(typed, c.sigla), expected)

    def hyphens(self, n: int) -> Iterator[Case]:
        pool = [c for c in self.unique if " " in c.name or "-" in c.name]
        for c in self.sample(pool, n):
            if "-" in c.name:
                typed = c.name.replace("-", self.rng.choice((" ", " - ", "/")))
            else:
                typed = c.name.replace(" ", self.rng.choice(("-", "")), 1)
            yield Case("hyphen, space, slash", Place(typed, self.province(c)), c.istat_code)

    def bilingual(self, n: int) -> Iterator[Case]:
        pool = [c for c in self.active if c.name_other]
        for c in self.sample(pool, n):
            other = c.name_other.split("/")[0]
            typed = self.rng.choice((other, f"{c.name} - {other}", f"{other}/{c.name}", f"{c.name}/{other}"))
            yield Case("bilingual (either half, both)", Place(typed, self.province(c)), c.istat_code)

    def short_forms(self, n: int) -> Iterator[Case]:
        drop = {
            "di",
            "del",
            "della",
            "dello",
            "dei",
            "delle",
            "degli",
            "nel",
            "nell'",
            "sul",
            "sulla",
            "in",
            "de'",
            "d'",
            "nella",
            "al",
            "sull'",
        }
        pool = []
        for c in self.unique:
            words = c.name.replace("nell'", "nell' ").replace("d'", "d' ").replace("sull'", "sull' ").split()
            kept = [w for w in words if w.lower() not in drop]
            if 1 < len(kept) < len(words):
                pool.append((c, " ".join(kept)))
        for c, typed in self.rng.sample(pool, min(n, len(pool))):
            yield Case("short forms (no 'di', 'nell'')", Place(typed, self.province(c)), c.istat_code)

    def province_in_name(self, n: int) -> Iterator[Case]:
        provinces = {p.code: p for p in self.gaz.provinces}
        for c in self.sample(self.active, n):
            name = provinces[c.province_code].name.split("/")[0]
            typed = self.rng.choice(
                (
                    f"{c.name} ({c.sigla})",
                    f"{c.name} {c.sigla}",
                    f"{c.name} - {name}",
                    f"{c.name}, {c.sigla}",
                    f"{c.name} ({name})",
                )
            )
            yield Case("province in the name", Place(typed), c.istat_code)

    def province_forms(self, n: int) -> Iterator[Case]:
        provinces = {p.code: p for p in self.gaz.provinces}
        regions = {r.code: r for r in self.gaz.regions}
        for c in self.sample(self.active, n):
            p, r = provinces[c.province_code], regions[c.region_code]
            form = self.rng.randrange(5)
            place = (
                Place(c.name, p.name.split("/")[0])
                if form == 0
                else Place(c.name, f"Provincia di {p.name.split('/')[0]}")
                if form == 1
                else Place(c.name, c.sigla.lower())
                if form == 2
                else Place(c.name, regione=_region_spelling(r.name, self.rng))
                if form == 3
                else Place(c.name, f"({c.sigla})", r.name)
            )
            expected = c.istat_code
            if form == 3 and sum(x.region_code == c.region_code for x in self.by_name[fold(c.name)]) > 1:
                expected = AMBIGUOUS
            yield Case("province/region spellings", place, expected)

    def old_provinces(self, n: int) -> Iterator[Case]:
        pool = [(c, a) for c in self.active for p in self.gaz.provinces if p.code == c.province_code for a in p.aliases]
        for c, alias in self.rng.sample(pool, min(n, len(pool))):
            yield Case("old province names/siglas", Place(c.name, alias), c.istat_code)

    def codes(self, n: int) -> Iterator[Case]:
        for c in self.sample(self.active, n // 3):
            yield Case(
                "ISTAT/cadastral code",
                Place(self.rng.choice((c.istat_code, c.cadastral_code))),
                c.istat_code,
            )

    def typo(self, name: str, edits: int, ops: Sequence[str] = ALL_OPS) -> str:
        for _ in range(edits):
            name = _one_edit(name, self.rng, ops)
        return name

    def typos(
        self, n: int, category: str, edits: int, with_province: bool, ops: Sequence[str] = ISSUE_OPS
    ) -> Iterator[Case]:
        pool = self.active if with_province else self.unique
        made = 0
        for c in self.sample(pool, 3 * n):
            typed = self.typo(c.name, edits, ops)
            if self._collides(typed, c.istat_code):
                self.collisions += 1
                continue
            tie = self._equally_close(typed, c, with_province)
            yield Case(
                TIE + category if tie else category,
                Place(typed, c.sigla if with_province else ""),
                c.istat_code,
            )
            made += 1
            if made == n:
                return

    def _equally_close(self, typed: str, c: Comune, with_province: bool) -> bool:
        """Another Comune (in the province, or anywhere) is as few edits away as the intended."""
        others = [
            x
            for x in self.active
            if x.istat_code != c.istat_code and (not with_province or x.province_code == c.province_code)
        ]
        key = fold(typed)
        mine = min(OSA.distance(key, fold(n)) for n in (c.name, c.name_other) if n)
        names = [fold(n) for x in others for n in (x.name, x.name_other) if n]
        best = process.extractOne(key, names, scorer=OSA.distance, score_cutoff=mine)
        return best is not None

    def _collides(self, typed: str, code: str) -> bool:
        """The typo is another Comune's name: no geocoder can tell, so it is left out."""
        return any(e.target != code for _, entries in self.index.lookup(fold(typed)) for e in entries)

    def typo1_prov(self, n: int) -> Iterator[Case]:
        return self.typos(n, "typo (1 edit) + province", 1, True)

    def typo1(self, n: int) -> Iterator[Case]:
        return self.typos(n, "typo (1 edit), no province", 1, False)

    def typo2_prov(self, n: int) -> Iterator[Case]:
        return self.typos(n, STRESS + "typo (2 edits) + province", 2, True, ALL_OPS)

    def typo_letter_prov(self, n: int) -> Iterator[Case]:
        return self.typos(n, STRESS + "wrong letter + province", 1, True, ("replace",))

    def typo_letter(self, n: int) -> Iterator[Case]:
        return self.typos(n, STRESS + "wrong letter, no province", 1, False, ("replace",))

    def merged(self, n: int) -> Iterator[Case]:
        pool = []
        for c in self.gaz.comuni.values():
            target = self.gaz.successor_of(c) if not c.active else None
            if target is not None and target.istat_code != c.istat_code:
                pool.append((c.name, c.sigla, target.istat_code))
        for entry in self.gaz.names:
            if entry.kind in ("merged", "historical"):
                target = self.gaz.by_code(entry.istat_code)
                if target is not None:
                    target = target if target.active else self.gaz.successor_of(target)
                if target is not None:
                    pool.append((entry.name, entry.sigla, target.istat_code))
        for name, sigla, code in self.rng.sample(sorted(set(pool)), min(n, len(pool))):
            yield Case("merged/renamed Comuni (+ province)", Place(name, sigla), code)

    def homonyms(self, n: int) -> Iterator[Case]:
        for group in self.rng.sample(self.homonym_groups, min(n, len(self.homonym_groups))):
            codes = tuple(c.istat_code for c in group)
            yield Case("homonyms, no province", Place(group[0].name), AMBIGUOUS, codes)

    def homonyms_decided(self, n: int) -> Iterator[Case]:
        for group in self.rng.sample(self.homonym_groups, min(n, len(self.homonym_groups))):
            c = self.rng.choice(group)
            typed = self.rng.choice((Place(c.name, c.sigla), Place(f"{c.name} ({c.sigla})")))
            yield Case("homonyms + province", typed, c.istat_code)

    def homonym_typos(self, n: int) -> Iterator[Case]:
        groups = [g for g in self.homonym_groups if len(g[0].name) >= 5]
        for group in self.rng.sample(groups, min(n, len(groups))):
            typed = self.typo(group[0].name, 1)
            if self._collides(typed, "-"):
                continue
            yield Case(
                "homonyms misspelt, no province",
                Place(typed),
                AMBIGUOUS,
                tuple(c.istat_code for c in group),
            )

    def _is_comune(self, name: str) -> bool:
        return any(True for _ in self.index.lookup(fold(name)))

    def not_a_comune(self, n: int) -> Iterator[Case]:
        # Province names that are also a Comune's (Lecce, "Reggio Calabria") are Comuni here.
        provinces = [p.name for p in self.gaz.provinces if not self._is_comune(p.name.split("/")[0])]
        regions = [r.name for r in self.gaz.regions if not self._is_comune(r.name.split("/")[0])]
        for i, c in enumerate(self.sample(self.active, n)):
            words = ("Valle", "Alta", "Media", "Bassa", "Colline", "Terre", "Monti", "Pianura")
            area = f"{self.rng.choice(words)} del {c.name}"
            options = (
                f"Unione dei Comuni {area}",
                f"Unione Montana {area}",
                f"Ambito territoriale n. {i % 40 + 1}",
                f"Ambito sociale di {c.name}",
                f"Provincia di {c.province.split('/')[0]}",
                f"Città metropolitana di {c.province}",
                self.rng.choice(regions),
                self.rng.choice(provinces),
                "N/A",
                "",
                "-",
                "nessuno",
                f"Comunità montana {area}",
                f"Consorzio servizi sociali {area}",
                f"Distretto socio sanitario {i % 30 + 1}",
            )
            yield Case("not a Comune", Place(self.rng.choice(options)), NOT_A_COMUNE)


def _region_spelling(name: str, rng: random.Random) -> str:
    first = name.split("/")[0]
    return rng.choice((first, first.replace("-", " "), first.upper(), f"Regione {first}", name))


_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def _one_edit(name: str, rng: random.Random, ops: Sequence[str]) -> str:
    """Apply one of ``ops`` to one letter: transpose, delete, insert or replace it."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    for _ in range(100):  # until the drawn operation applies where it was drawn
        if not letters:
            return name
        i, op = rng.choice(letters), rng.choice(ops)
        if op == "transpose" and i + 1 < len(name) and name[i + 1].isalpha() and name[i] != name[i + 1]:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        if op == "delete" and len(letters) > 3:
            return name[:i] + name[i + 1 :]
        if op == "insert":
            return name[:i] + rng.choice(_KEYBOARD) + name[i:]
        if op == "replace":
            replacement = rng.choice([ch for ch in _KEYBOARD if ch != name[i].lower()])
            return name[:i] + replacement + name[i + 1 :]
    return name


# --- issue 15: the spellings registries and people really write ----------------------------------

#: Expected when any answer without a code is right: two Comuni are really possible.
ABSTAIN = "abstain"
PATTERN = "[spelling] "
_ACCENT_LETTERS = "àáèéìíòóùú"
# Words people put around a Comune's name to name one of its localities.
_LOCALITY_FORMS = (
    "Marina di {c}",
    "Lido di {c}",
    "{c} Scalo",
    "{c} Stazione",
    "{c} - {f}",
    "{c}, frazione {f}",
    "Frazione {f} di {c}",
    "{c} loc. {f}",
)
# Invented frazione names (checked below not to be a Comune's name or part of one).
_FRAZIONI = ("Villamarina", "Case Nuove", "Ponticelli", "Borgonuovo di Sotto", "Molinetto", "Cà Bianca")


class PatternBuilder:
    """Labelled sets for each spelling pattern of issue 15, from the gazetteer and the ANPR archive.

    Labels come from the gazetteer's tables (names, provinces, ``successors.csv``, which
    the build derives from the ANPR archive), never from the geocoder.
    """

    def __init__(self, gazetteer: Gazetteer, seed: int = SEED) -> None:
        self.gaz = gazetteer
        self.rng = random.Random(seed)
        self.active = sorted(gazetteer.active(), key=lambda c: c.istat_code)
        self.by_fold: dict[str, list[Comune]] = defaultdict(list)
        for c in self.active:
            for name in (c.name, *c.name_other.split("/")):
                if name.strip():
                    self.by_fold[fold(name)].append(c)
        self.all_names = {fold(n.name) for n in gazetteer.names} | set(self.by_fold)
        self.merged_names: dict[str, list[Comune]] = defaultdict(list)
        for entry in gazetteer.names:
            target = gazetteer.by_code(entry.istat_code)
            if target is not None:
                self.merged_names[fold(entry.name)].append(target)

    def build(self, n: int = 150) -> list[Case]:
        cases: list[Case] = []
        for method in (
            self.registry_accents,
            self.registry_bilingual,
            self.registry_cut,
            self.mojibake,
            self.lost_letter,
            self.accent_homonyms,
            self.short_forms,
            self.localities,
            self.merged_since_1990,
        ):
            cases.extend(method(n))
        return cases

    def sample(self, pool: Sequence[T], n: int) -> list[T]:
        return self.rng.sample(list(pool), min(n, len(pool)))

    def _unique(self, c: Comune) -> bool:
        """No other Comune has this name (accents count: they decide Paternò/Paterno)."""
        return len([x for x in self.by_fold[fold(c.name)] if x.name.casefold() == c.name.casefold()]) == 1

    def _code(self, c: Comune, sigla: str) -> str:
        return c.istat_code if sigla or self._unique(c) else AMBIGUOUS

    def registry_accents(self, n: int) -> Iterator[Case]:
        """Upper case, each accented letter written as the plain letter and an apostrophe."""
        pool = [c for c in self.active if any(ch in _ACCENT_LETTERS for ch in c.name.casefold())]
        for c in self.sample(pool, n):
            typed = "".join(strip_accents(ch) + "'" if ch.casefold() in _ACCENT_LETTERS else ch for ch in c.name)
            sigla = c.sigla if self.rng.random() < 0.5 else ""
            category = PATTERN + "registry: CANTU' (accents as apostrophes)"
            yield Case(category, Place(typed.upper(), sigla), self._code(c, sigla))

    def _registry_pairs(self) -> list[tuple[Comune, str, str]]:
        """(Comune, Italian half, German half) as the registries write them: no wine road."""
        pairs = []
        for c in self.active:
            for other in [o for o in c.name_other.split("/") if o.strip()][:1]:
                it = c.name.replace(" sulla strada del vino", "")
                de = other.replace(" an der Weinstraße", "")
                pairs.append((c, it, de))
        return pairs

    def registry_bilingual(self, n: int) -> Iterator[Case]:
        """``MERANO .MERAN.``, ``BRESSANONE * BRIXEN``, upper case, apostrophe accents."""
        for c, it, de in self.sample(self._registry_pairs(), n):
            form = self.rng.choice(("{it} .{de}.", "{it} * {de}", "{it}*{de}"))
            typed = _apostrophes(form.format(it=it, de=de)).upper()
            sigla = c.sigla if self.rng.random() < 0.3 else ""
            yield Case(PATTERN + "registry: IT .DE. / IT * DE", Place(typed, sigla), c.istat_code)

    def registry_cut(self, n: int) -> Iterator[Case]:
        """Registry spellings cut at 30 or 40 characters (only the ones the cut shortens)."""
        owners = {}
        for c, it, de in self._registry_pairs():
            for form in ("{it} .{de}.", "{it} * {de}"):
                owners[_apostrophes(form.format(it=it, de=de)).upper()] = c
        owners.update({_apostrophes(c.name).upper(): c for c in self.active if len(c.name) > 30})
        cuts = [(typed[:width].rstrip(), owners[typed]) for typed in owners for width in (30, 40) if len(typed) > width]
        for typed, c in self.sample(sorted(cuts, key=lambda tc: tc[0]), n):
            # Two Comuni whose spellings share the cut text cannot be told apart.
            sharing = {o.istat_code for t, o in owners.items() if fold(t).startswith(fold(typed))}
            expected = c.istat_code if len(sharing) == 1 else ABSTAIN
            yield Case(PATTERN + "registry: cut at 30/40 characters", Place(typed), expected)

    def mojibake(self, n: int) -> Iterator[Case]:
        """UTF-8 read as Windows-1252 or Latin-1: ``CantÃ¹``."""
        pool = [c for c in self.active if not c.name.isascii()]
        for c in self.sample(pool, n):
            codec = self.rng.choice(("cp1252", "latin-1"))
            typed = c.name.encode("utf-8").decode(codec, errors="replace")
            sigla = c.sigla if self.rng.random() < 0.5 else ""
            yield Case(PATTERN + "mojibake (UTF-8 read as cp1252/latin-1)", Place(typed, sigla), self._code(c, sigla))

    def lost_letter(self, n: int) -> Iterator[Case]:
        """``Forl?``: the accented letter became a question mark."""
        pool = [c for c in self.active if not c.name.isascii()]
        for c in self.sample(pool, n):
            typed = "".join("?" if not ch.isascii() else ch for ch in c.name)
            sigla = c.sigla if self.rng.random() < 0.5 else ""
            pattern = re.compile("".join("." if ch == "?" else re.escape(ch) for ch in strip_accents(typed).casefold()))
            fits = {
                x.istat_code
                for x in self.active
                if (not sigla or x.sigla == sigla) and pattern.fullmatch(strip_accents(x.name).casefold())
            }
            expected = c.istat_code if len(fits) == 1 else ABSTAIN
            yield Case(PATTERN + "lost letter as '?'", Place(typed, sigla), expected)

    def accent_homonyms(self, n: int) -> Iterator[Case]:
        """Every pair of names (current or old) that differ only by accents, typed with and without them."""
        spellings: dict[str, dict[str, str]] = defaultdict(dict)
        for c in self.active:
            spellings[fold(c.name)][c.name] = c.istat_code
        for entry in self.gaz.names:
            target = self.gaz.by_code(entry.istat_code)
            target = target if target is None or target.active else self.gaz.successor_of(target)
            if target is not None:
                spellings[fold(entry.name)].setdefault(entry.name, target.istat_code)
        for names in spellings.values():
            codes = tuple(sorted(set(names.values())))
            if len(codes) < 2 or len({name.casefold() for name in names}) < 2:
                continue
            for name, code in names.items():
                if name != strip_accents(name):
                    for typed in (name, _apostrophes(name).upper(), _apostrophes(name)):
                        yield Case(PATTERN + "accent decides a homonym", Place(typed), code, codes)
                else:
                    yield Case(PATTERN + "accent decides a homonym", Place(name), AMBIGUOUS, codes)

    def short_forms(self, n: int) -> Iterator[Case]:
        """The first words of a longer name with the province (or abstain when two fit)."""
        by_province: dict[str, list[Comune]] = defaultdict(list)
        for c in self.active:
            by_province[c.sigla].append(c)
        pool = []
        for c in self.active:
            words = c.name.split()
            for k in range(1, len(words)):
                head = " ".join(words[:k])
                if re.search(r"-(?:San|Santa|Sant'|Santo)$", head):
                    continue  # "Senale-San": cut inside a saint's name
                if fold(words[k - 1]) in _SHORT_STOP or len(fold(head)) < 4:
                    continue
                fits = [x for x in by_province[c.sigla] if (fold(x.name) + " ").startswith(fold(head) + " ")]
                if any(fold(head) in (fold(x.name), _without_article(fold(x.name))) for x in by_province[c.sigla]):
                    continue  # the whole name of a Comune there ("Valle" for La Valle): not a short form
                # A Comune (or a merged one) of exactly that name elsewhere in the region is
                # as likely as the short form: the province may be the mistake.
                near = [x for x in self.by_fold.get(fold(head), []) if x.region_code == c.region_code]
                near += [x for x in self.merged_names.get(fold(head), []) if x.region_code == c.region_code]
                # One typo from another Comune there: "Carate" (MB) may be Carnate.
                near += [x for x in by_province[c.sigla] if OSA.distance(fold(head), fold(x.name)) == 1]
                pool.append((head, c, fits + near))
        for head, c, fits in self.sample(pool, n):
            expected = c.istat_code if len({x.istat_code for x in fits}) == 1 else ABSTAIN
            yield Case(PATTERN + "short form + province", Place(head, c.sigla), expected)

    def localities(self, n: int) -> Iterator[Case]:
        """A locality named with its Comune: ``Marina di Pisa`` (PI), ``Cesenatico - Villamarina``."""
        frazioni = [f for f in _FRAZIONI if not any(w in self.all_names for w in fold(f).split())]
        pool = [c for c in self.active if len(fold(c.name)) >= 4]
        for c in self.sample(pool, n):
            form = self.rng.choice(_LOCALITY_FORMS)
            typed = form.format(c=c.name, f=self.rng.choice(frazioni))
            with_province = self.rng.random() < 0.7 or "{f}" not in form
            sigla = c.sigla if with_province else ""
            if fold(typed) in self.all_names:
                continue  # "Marina di Gioiosa Ionica" is a Comune of its own
            words = fold(typed).split()
            named = {
                x.istat_code
                for x in self.active
                if (not sigla or x.sigla == sigla) and _contains_words(words, fold(x.name).split())
            }
            # A Comune whose name lies inside the intended one's is not named: "Pietro" in "San Pietro".
            inside = [x for x in named if _contains_words(fold(c.name).split(), fold(self.gaz.comuni[x].name).split())]
            named -= {x for x in inside if x != c.istat_code}
            expected = c.istat_code if named == {c.istat_code} else ABSTAIN
            yield Case(PATTERN + "Comune + frazione/locality", Place(typed, sigla), expected)

    def merged_since_1990(self, n: int) -> Iterator[Case]:
        """Comuni ended since 1990 (``successors.csv``, from the ANPR archive), by their old name."""
        rows = _read_successors(self.gaz)
        for row in self.sample(rows, n):
            sigla = row["sigla"] if self.rng.random() < 0.5 else ""
            same = [x for x in self.by_fold.get(fold(row["name"]), []) if not sigla or x.sigla == sigla]
            # Accents tell Cagnò (TN) from Cagno (CO); "Cagno" without one may be either.
            others = {r["successor"] for r in rows if _same_name(row["name"], r["name"]) and sigla in ("", r["sigla"])}
            # A merger may keep the name (Campiglia Cervo): the name then means the successor.
            alone = {x.istat_code for x in same} <= {row["successor"]}
            expected = row["successor"] if alone and len(others) == 1 else ABSTAIN
            yield Case(PATTERN + "merged/renamed since 1990", Place(row["name"], sigla), expected)


# Words a name never ends with: a short form cut after one of them is not a name people type.
_SHORT_STOP = frozenset(
    (
        *("a", "ad", "al", "all", "alla", "alle", "d", "da", "dal", "de", "dei", "degli", "del", "dell"),
        *("della", "delle", "dello", "di", "e", "ed", "i", "il", "in", "l", "la", "le", "lo", "nel"),
        *("nell", "nella", "s", "san", "santa", "sant", "santi", "santo", "santu", "sul", "sull", "sulla"),
        *("con", "su", "sotto", "sopra", "ss", "sullo", "ne", "nei", "negli", "ai", "agli", "allo", "dal"),
        *("dalla", "dallo", "dei", "nello", "sui", "sugli", "pr", "an", "der", "im", "am", "bei"),
    )
)


def _same_name(typed: str, name: str) -> bool:
    """True when ``typed`` may mean ``name``: typed accents must match, missing ones may not."""
    return typed.casefold() == name.casefold() if typed != strip_accents(typed) else fold(typed) == fold(name)


def _without_article(folded: str) -> str:
    for article in ("la ", "il ", "lo ", "le ", "i ", "l "):
        if folded.startswith(article):
            return folded[len(article) :]
    return folded


def _apostrophes(name: str) -> str:
    """Each accented letter as the plain letter and an apostrophe, as registries write it."""
    return "".join(strip_accents(ch) + "'" if ch.casefold() in _ACCENT_LETTERS else ch for ch in name)


def _contains_words(words: Sequence[str], part: Sequence[str]) -> bool:
    k = len(part)
    return any(list(words[i : i + k]) == list(part) for i in range(len(words) - k + 1))


def _read_successors(gazetteer: Gazetteer) -> list[dict[str, str]]:
    import csv

    with open(gazetteer.path / "successors.csv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["successor"] and r["valid_to"] and r["valid_to"] >= "1990"]
    return sorted(rows, key=lambda r: (r["valid_to"], r["sigla"], r["name"]))


def typo_sweep(gazetteer: Gazetteer, seed: int, *, limit: int | None = None) -> None:
    """Every Comune with a unique name, one wrong letter, no province: the nationwide rule's cost."""
    builder = CaseBuilder(gazetteer, seed=seed)
    cases = []
    for c in builder.unique[:limit]:
        typed = builder.typo(c.name, 1, ("replace",))
        if not builder._collides(typed, c.istat_code):
            cases.append(Case(PATTERN + "wrong letter, no province (every Comune)", Place(typed), c.istat_code))
    print(f"\nTypo sweep: {len(cases)} Comuni with a unique name, one wrong letter each, no province")
    print(f"  {'letters at least':>16} {'none within':>11} {'correct':>9} {'wrong':>6} {'wrong %':>8}")
    for letters, gap in SWEEP_CONFIGS:
        matcher = FuzzyMatcher(gazetteer, alone_letters=letters, alone_gap=gap)
        geocoder = Geocoder(gazetteer, matchers=("istat_code", "name", "spelling", matcher, "locality"))
        t = evaluate(cases, geocoder_answer(geocoder))["ALL"]
        within = f"{1 + gap} edits"
        print(f"  {letters:>16} {within:>11} {t.pct('correct'):>8.2f}% {t.counts['wrong']:>6} {t.pct('wrong'):>7.2f}%")


#: (name of at least this many letters, no other Comune within 1 + this many edits); 99: today's rule.
SWEEP_CONFIGS = ((99, 2), (7, 2), (8, 2), (6, 2), (5, 2), (7, 1), (6, 1), (5, 1))


def patterns(gazetteer: Gazetteer, n: int, seed: int) -> None:
    """Correct / wrong / abstained per spelling pattern of issue 15."""
    cases = PatternBuilder(gazetteer, seed=seed).build(n)
    tallies = evaluate(cases, geocoder_answer(Geocoder(gazetteer)))
    print_tallies(f"Spelling patterns of issue 15 ({len(cases)} cases, seed {seed})", tallies)


# --- scoring -------------------------------------------------------------------------------------


def judge(case: Case, code: str | None, status: str) -> str:
    """``correct``, ``wrong`` or ``abstained``."""
    if case.expected == AMBIGUOUS:
        return "wrong" if code else ("correct" if status == AMBIGUOUS else "abstained")
    if case.expected == NOT_A_COMUNE:
        return "wrong" if code else ("correct" if status == NOT_A_COMUNE else "abstained")
    if case.expected == ABSTAIN:
        return "wrong" if code else "correct"
    if code is None:
        return "abstained"
    return "correct" if code == case.expected else "wrong"


@dataclass
class Tally:
    counts: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def pct(self, key: str) -> float:
        return 100.0 * self.counts[key] / max(self.total, 1)


def evaluate(cases: Sequence[Case], answer: Callable[[Place], tuple[str | None, str]]) -> dict[str, Tally]:
    """Per category (and ``ALL``, ``unambiguous``) tallies of correct / wrong / abstained."""
    tallies: dict[str, Tally] = defaultdict(lambda: Tally(Counter()))
    for case in cases:
        verdict = judge(case, *answer(case.place))
        tallies[case.category].counts[verdict] += 1
        tallies["ALL"].counts[verdict] += 1
        if case.expected not in (AMBIGUOUS, NOT_A_COMUNE, ABSTAIN) and not case.category.startswith((STRESS, TIE)):
            tallies["unambiguous (a code expected)"].counts[verdict] += 1
        if case.homonyms or "homonym" in case.category:
            tallies["homonyms (all)"].counts[verdict] += 1
    return dict(tallies)


def geocoder_answer(geocoder: Geocoder) -> Callable[[Place], tuple[str | None, str]]:
    def answer(place: Place) -> tuple[str | None, str]:
        match = geocoder.geocode(place)
        return (match.istat_code if match.status.resolved else None), match.status.value

    return answer


class Baselines:
    """The issue's comparison points: exact folded lookup, extractOne in the province, over all."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        active = gazetteer.active()
        self.names = [fold(c.name) for c in active]
        self.codes = [c.istat_code for c in active]
        self.sigla = [c.sigla for c in active]
        self.exact_index: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            self.exact_index[name].append(i)
        self.by_sigla: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(self.sigla):
            self.by_sigla[s].append(i)

    def exact(self, place: Place) -> tuple[str | None, str]:
        hits = self.exact_index.get(fold(place.comune), [])
        sigla = place.provincia.strip().upper()
        if sigla:
            hits = [i for i in hits if self.sigla[i] == sigla]
        return (self.codes[hits[0]], "exact") if len(hits) == 1 else (None, "unresolved")

    def extract_in_province(self, place: Place) -> tuple[str | None, str]:
        sigla = place.provincia.strip().upper()
        pool = self.by_sigla.get(sigla) or range(len(self.names))
        choices = {i: self.names[i] for i in pool}
        best = process.extractOne(fold(place.comune), choices, scorer=fuzz.WRatio, score_cutoff=88)
        return (self.codes[best[2]], "fuzzy") if best else (None, "unresolved")

    def extract_all(self, place: Place) -> tuple[str | None, str]:
        best = process.extractOne(fold(place.comune), self.names, scorer=fuzz.WRatio)
        return (self.codes[best[2]], "fuzzy") if best else (None, "unresolved")


# --- reports ------------------------------------------------------------------------------


def print_tallies(title: str, tallies: dict[str, Tally]) -> None:
    print(f"\n{title}")
    print(f"  {'category':<40} {'n':>6} {'correct':>9} {'wrong':>8} {'abstained':>10}")
    order = sorted(k for k in tallies if k not in ("ALL", "unambiguous (a code expected)", "homonyms (all)"))
    order.sort(key=lambda k: (k.startswith(TIE), k.startswith(STRESS)))
    for key in [*order, "homonyms (all)", "unambiguous (a code expected)", "ALL"]:
        if key not in tallies:
            continue
        t = tallies[key]
        print(f"  {key:<40} {t.total:>6} {t.pct('correct'):>8.2f}% {t.counts['wrong']:>8} {t.pct('abstained'):>9.2f}%")


def summary_line(name: str, tallies: dict[str, Tally]) -> str:
    allt, una = tallies["ALL"], tallies["unambiguous (a code expected)"]
    hom = tallies.get("homonyms (all)", Tally(Counter()))
    return (
        f"  {name:<34} unambiguous correct {una.pct('correct'):6.2f}%   wrong overall "
        f"{allt.counts['wrong']:>4} ({allt.pct('wrong'):5.2f}%)   "
        f"homonym wrong {hom.counts['wrong']:>3}"
    )


def accuracy(gazetteer: Gazetteer, cases: list[Case]) -> None:
    geocoder = Geocoder(gazetteer)
    tallies = evaluate(cases, geocoder_answer(geocoder))
    print_tallies("mapgen Geocoder (default thresholds)", tallies)
    base = Baselines(gazetteer)
    print("\nComparison on the same cases")
    print(summary_line("mapgen Geocoder", tallies))
    for name, answer in (
        ("baseline: exact after folding", base.exact),
        ("baseline: extractOne WRatio>=88 +prov", base.extract_in_province),
        ("baseline: extractOne over all names", base.extract_all),
    ):
        print(summary_line(name, evaluate(cases, answer)))


#: The columns of the trade-off table: category -> short header.
TRADE_OFF_COLUMNS = {
    "typo (1 edit) + province": "typo+prov",
    "typo (1 edit), no province": "typo",
    STRESS + "wrong letter + province": "letter+prov",
    STRESS + "wrong letter, no province": "letter",
    STRESS + "typo (2 edits) + province": "2 edits",
}
#: (chars per edit with a province, without, margin, max edits); the default is 4, 5, 1, 2.
TRADE_OFF_CONFIGS = (
    (3, 4, 1, 2),
    (4, 4, 1, 2),
    (4, 5, 1, 2),
    (4, 6, 1, 2),
    (5, 5, 1, 2),
    (4, 5, 2, 2),
    (6, 6, 1, 2),
    (4, 5, 1, 1),
    (3, 3, 1, 3),
)


def trade_off(gazetteer: Gazetteer, cases: list[Case]) -> None:
    """How the fuzzy options trade abstentions for wrong codes (% correct per typo category)."""
    print("\nFuzzy threshold trade-off on the labelled set plus the typo set")
    print("(chars per edit with a province / nationwide, margin, max edits; default 4/5 1 2)")
    heads = "".join(f" {h:>11}" for h in TRADE_OFF_COLUMNS.values())
    print(f"  {'chars/edit':>10} {'margin':>6} {'max':>4} {heads}  {'wrong: issue':>12} {'stress':>6}")
    for chars, nationwide, margin, max_edits in TRADE_OFF_CONFIGS:
        matcher = FuzzyMatcher(
            gazetteer,
            chars_per_edit=chars,
            nationwide_chars_per_edit=nationwide,
            margin=margin,
            max_edits=max_edits,
        )
        t = evaluate(cases, geocoder_answer(Geocoder(gazetteer, matchers=("istat_code", "name", matcher))))
        cells = "".join(f" {t[c].pct('correct'):>10.1f}%" if c in t else f" {'-':>11}" for c in TRADE_OFF_COLUMNS)
        stress = sum(v.counts["wrong"] for k, v in t.items() if k.startswith((STRESS, TIE)))
        issue = t["ALL"].counts["wrong"] - stress
        print(f"  {f'{chars}/{nationwide}':>10} {margin:>6} {max_edits:>4} {cells}  {issue:>12} {stress:>6}")


def speed(gazetteer: Gazetteer, cases: list[Case], *, rows: int, baseline_rows: int) -> None:
    rng = random.Random(SEED)
    builder = CaseBuilder(gazetteer, seed=SEED + 1)
    pool = [c for c in cases if c.place.comune]
    places = []
    for _ in range(rows):
        case = rng.choice(pool)
        # Half the rows are fresh spellings, so repeats do not flatter the table API.
        if rng.random() < 0.5 and len(case.place.comune) > 4:
            place = Place(
                builder.typo(case.place.comune, 1)
                if rng.random() < 0.2
                else rng.choice((str.upper, str.lower, str.title))(case.place.comune),
                case.place.provincia,
                case.place.regione,
            )
        else:
            place = case.place
        places.append(place)
    print(f"\nSpeed: {rows} rows, {len(set(places))} distinct places")
    _cold_caches()
    start = time.perf_counter()
    geocoder = Geocoder(gazetteer)
    built = time.perf_counter() - start
    geocoder.geocode_many(places)
    ours = time.perf_counter() - start
    _cold_caches()
    per_row = Geocoder(gazetteer)
    start = time.perf_counter()
    for place in places:
        per_row.geocode(place)
    ours_row = (time.perf_counter() - start) / rows
    sample = places[: max(baseline_rows, 1)]
    base = Baselines(gazetteer)
    start = time.perf_counter()
    for place in sample:
        base.extract_all(place)
    baseline = (time.perf_counter() - start) / len(sample)
    print(
        f"  mapgen Geocoder.geocode_many: {rows / ours:>8,.0f} rows/s  ({ours:.1f} s, of which "
        f"{built:.2f} s building the index)"
    )
    print(f"  mapgen Geocoder.geocode:      {1 / ours_row:>8,.0f} rows/s  (one call per row)")
    print(
        f"  baseline extractOne, all:     {1 / baseline:>8,.0f} rows/s  (first {len(sample)} rows: "
        "at this rate 100,000 rows take too long)"
    )
    print(f"  speed-up: {baseline * rows / ours:,.0f}x (table), {baseline / ours_row:,.0f}x (row by row)")


def _cold_caches() -> None:
    """Forget every cached index and parse, so a timing includes building them."""
    from mapgen.geocoders import _index, _normalize, fuzzy

    _index._INDEXES.clear()
    fuzzy._PROVINCE_KEYS.clear()
    _normalize.fold.cache_clear()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-category", type=int, default=150)
    parser.add_argument("--typos", type=int, default=1000, help="cases per typo category")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="fewer cases and rows")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the labelled set")
    parser.add_argument("--skip", nargs="*", default=[], choices=["accuracy", "tradeoff", "speed", "patterns", "sweep"])
    args = parser.parse_args(argv)
    if args.quick:
        args.per_category, args.typos, args.rows, args.baseline_rows = 60, 200, 10_000, 300
    gazetteer = load_gazetteer()
    builder = CaseBuilder(gazetteer, seed=args.seed)
    cases = builder.build(args.per_category)
    typo_cases = CaseBuilder(gazetteer, seed=args.seed + 1).typo_cases(args.typos)
    print(
        f"{len(cases)} labelled cases (seed {args.seed}), plus {len(typo_cases)} typo cases for "
        f"the trade-off; {builder.collisions} typos left out: they spell another Comune's name"
    )
    if "patterns" not in args.skip:
        patterns(gazetteer, args.per_category, args.seed)
    if "sweep" not in args.skip:
        typo_sweep(gazetteer, args.seed, limit=1000 if args.quick else None)
    if "accuracy" not in args.skip:
        accuracy(gazetteer, cases)
    if "tradeoff" not in args.skip:
        trade_off(gazetteer, cases + typo_cases)
    if "speed" not in args.skip:
        speed(gazetteer, cases, rows=args.rows, baseline_rows=args.baseline_rows)


if __name__ == "__main__":
    main()
