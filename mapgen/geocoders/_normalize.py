"""How typed Comune names are reduced to lookup keys: generic Italian spelling patterns only.

Every name (official, other-language, alias, or typed) is folded with
:func:`mapgen.text.fold` and then reduced through a ladder of keys, from strict
to loose. The matcher looks a typed name up level by level and stops at the
first level that finds anything, so a looser level can only help names that the
stricter ones missed:

``fold``
    lower case, accents stripped, punctuation as single spaces
    (``"Cantu'"`` -> ``"cantu"``, ``"Bolzano - Bozen"`` -> ``"bolzano bozen"``).
``canonical``
    saint abbreviations unified (``S.``, ``S.ta``, ``SS.``, ``Sant'``, ``San``,
    ``St.`` -> ``s``) and ``j`` read as ``i`` (``Jonico``/``Ionico``).
``skeleton``
    the canonical key without articles and prepositions, so official long forms
    meet common short ones (``Reggio nell'Emilia`` / ``Reggio Emilia``).
``compact``
    the fold and skeleton keys without spaces (``San Remo`` / ``Sanremo``).

Gazetteer facts (which names exist, old province siglas, merged Comuni) are not
here: they come from the gazetteer tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

from mapgen import text

# Folding is the costliest step of parsing a typed place; typed places repeat a lot.
fold = lru_cache(maxsize=1 << 16)(text.fold)

__all__ = [
    "LEVELS",
    "accent_key",
    "canonical",
    "compact",
    "fold",
    "is_connective",
    "level_keys",
    "looks_mojibake",
    "skeleton",
    "spellings",
    "squeeze",
    "strip_prefixes",
    "strip_raw_prefix",
]

#: The key levels, strict to loose; :func:`level_keys` yields keys in this order.
LEVELS: Final = ("fold", "canonical", "skeleton", "compact")

# Ways of writing "saint" before a name: Italian, abbreviated, German, French, Sardinian.
_SAINT_TOKENS: Final = frozenset(
    {
        "s",
        "san",
        "santo",
        "santa",
        "sant",
        "santi",
        "ss",
        "sta",
        "sto",
        "st",
        "sankt",
        "saint",
        "sainte",
        "santu",
    }
)
# "S.ta" and "S.to" fold to two tokens ("s ta"); the second one belongs to the first.
_SAINT_SUFFIXES: Final = frozenset({"ta", "to", "ti"})

# Articles and prepositions (Italian, plus the German/Slovenian ones of bilingual names)
# that official long forms carry and common short forms drop.
_CONNECTIVES: Final = frozenset(
    {
        "a",
        "ad",
        "ai",
        "agli",
        "al",
        "all",
        "alla",
        "alle",
        "allo",
        "con",
        "d",
        "da",
        "dal",
        "dall",
        "dalla",
        "dalle",
        "dallo",
        "de",
        "dei",
        "degli",
        "del",
        "dell",
        "della",
        "delle",
        "dello",
        "di",
        "e",
        "ed",
        "gli",
        "i",
        "il",
        "in",
        "l",
        "la",
        "le",
        "lo",
        "ne",
        "negli",
        "nei",
        "nel",
        "nell",
        "nella",
        "nelle",
        "nello",
        "sul",
        "sull",
        "sulla",
        "sulle",
        "sullo",
        "sui",
        "sugli",
        "su",
        "an",
        "der",
        "im",
        "am",
        "bei",
        "ob",
        "pri",
        "en",
        "et",
    }
)

# Words that introduce a Comune's name in forms and registries ("Comune di X", "Città di X").
# "Città di Castello" is itself a name: the matcher tries the unstripped text first.
_PREFIXES: Final = (
    "amministrazione comunale di ",
    "amministrazione comunale ",
    "comune di ",
    "comune del ",
    "comune dell ",
    "comune della ",
    "comune de ",
    "comune ",
    "municipio di ",
    "citta di ",
    "gemeinde ",
    "commune de ",
    "commune d ",
    "commune ",
)

_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Case-fold and collapse white space, nothing else: the test for an ``exact`` match."""
    return _SPACES.sub(" ", text.casefold()).strip()


def canonical(folded: str) -> str:
    """Unify saint abbreviations and ``j``/``i`` in a folded name.

    Parameters
    ----------
    folded
        Output of :func:`mapgen.text.fold`.

    Examples
    --------
    >>> canonical("s ta maria a vico")
    's maria a vico'
    >>> canonical("sant angelo")
    's angelo'
    """
    return _canonical(folded)


@lru_cache(maxsize=1 << 16)
def _canonical(folded: str) -> str:
    # Kept per name: one typed place asks for the same canonical form at several steps
    # (its level keys, the area and not-a-Comune checks, the fuzzy readings).
    tokens = folded.replace("j", "i").split()
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token in _SAINT_SUFFIXES and out and out[-1] == "s" and tokens[i - 1] == "s":
            continue  # the "ta" of "s ta" (from "S.ta")
        out.append("s" if token in _SAINT_TOKENS else token)
    return " ".join(out)


def skeleton(canon: str) -> str:
    """Drop articles and prepositions from a canonical key (never down to nothing)."""
    kept = [t for t in canon.split() if t not in _CONNECTIVES]
    return " ".join(kept) if kept else canon


def ends_with_connective(text: str) -> bool:
    """True for ``"Monza e"``: a name cannot end with an article or preposition."""
    words = fold(text).split()
    return len(words) > 1 and words[-1] in _CONNECTIVES  # "Ne" (GE) is a whole name


def is_connective(word: str) -> bool:
    """True for an article, a preposition or a saint's title: no name ends with one."""
    return word in _CONNECTIVES or word in _SAINT_TOKENS


def compact(key: str) -> str:
    """Remove the spaces of a key: ``"san remo"`` -> ``"sanremo"``."""
    return key.replace(" ", "")


def level_keys(folded: str) -> Iterator[tuple[str, str]]:
    """Yield ``(level, key)`` pairs for a folded name, strict to loose, without repeats.

    The ``compact`` level has two keys (from the fold and from the skeleton).
    """
    canon = canonical(folded)
    skel = skeleton(canon)
    seen: set[tuple[str, str]] = set()
    for level, key in (
        ("fold", folded),
        ("canonical", canon),
        ("skeleton", skel),
        ("compact", compact(folded)),
        ("compact", compact(skel)),
    ):
        if key and (level, key) not in seen:
            seen.add((level, key))
            yield level, key


def spellings(name: str) -> list[str]:
    """Return ``name`` and its generic alternative spellings (umlauts as ``ae``/``oe``/``ue``)."""
    alt = name.translate(_UMLAUTS)
    return [name] if alt == name else [name, alt]


def strip_prefixes(folded: str) -> str:
    """Remove one leading ``comune di`` / ``citta di`` style prefix from a folded name.

    Returns the text unchanged when it has no such prefix or nothing would remain.
    """
    for prefix in _PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            return folded[len(prefix) :]
    return folded


_RAW_PREFIX = re.compile(
    r"^\s*(?:amministrazione\s+comunale|comune|citt[àa]'?|municipio|gemeinde|commune)"
    r"(?:\s+(?:di|del|della|dell'|de|d'))?\s+",
    re.IGNORECASE,
)


def strip_raw_prefix(text: str) -> str:
    """``"Comune di Castro"`` -> ``"Castro"`` on the text as typed (for display, online queries)."""
    stripped = _RAW_PREFIX.sub("", text, count=1).strip()
    return stripped or text.strip()


def folded_variants(text: str) -> list[str]:
    """The folded text and, when it differs, the text with its ``comune di`` prefix removed."""
    folded = fold(text)
    stripped = strip_prefixes(folded)
    return [folded] if stripped == folded else [folded, stripped]


# Words that introduce a province or region name ("Provincia di Lecce", "Regione Puglia").
_AREA_PREFIXES: Final = (
    "citta metropolitana di ",
    "citta metropolitana ",
    "libero consorzio comunale di ",
    "libero consorzio di ",
    "provincia autonoma di ",
    "provincia di ",
    "provincia ",
    "prov di ",
    "prov ",
    "pr ",
    "autonome provinz ",
    "regione autonoma della ",
    "regione autonoma ",
    "regione ",
    "region ",
)
# "(LE)", "[LE]", "(prov. LE)" at the end of a Comune name.
_TRAILING_BRACKET = re.compile(r"^(?P<head>.*?\S)\s*[(\[](?P<tail>[^()\[\]]+)[)\]]\W*$")
# "Castro, LE", "Castro - Lecce", "Castro – LE" (a spaced dash or a comma/semicolon).
_TRAILING_SEPARATED = re.compile(r"^(?P<head>.*?\S)\s*(?:[,;]|\s[-–—]|[-–—]\s)\s*(?P<tail>[^,;]+?)\W*$")


def area_variants(text: str) -> list[str]:
    """Folded spellings of a typed province or region, prefix and connectives removed in turn.

    ``"Città metropolitana di Roma Capitale"`` -> ``["citta metropolitana di roma capitale",
    "roma capitale"]``; the caller looks each one up (plain and as a skeleton).
    """
    folded = fold(text)
    out = [folded]
    for prefix in _AREA_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            out.append(folded[len(prefix) :])
            break
    return out


def trailing_area(text: str) -> list[tuple[str, str, bool]]:
    """Possible ``(name, province, marked)`` splits of a Comune typed with its province.

    ``"Castro (LE)"``, ``"Castro, Lecce"``, ``"Samone TN"``, ``"Castro Lecce"``: the caller
    keeps a split only when the tail is a known province or region. ``marked`` is
    True when punctuation marks the split or the tail is a two-letter sigla; bare
    trailing words (one to three, shortest first) are weaker evidence.
    """
    splits: list[tuple[str, str, bool]] = []
    for pattern in (_TRAILING_BRACKET, _TRAILING_SEPARATED):
        found = pattern.match(text.strip())
        if found:
            splits.append((found["head"], found["tail"], True))
    words = fold(text).split()
    for n in (1, 2, 3):
        if len(words) > n:
            tail = " ".join(words[-n:])
            splits.append((" ".join(words[:-n]), tail, len(tail) == 2))
    return splits


_VOWEL_APOSTROPHE = re.compile(r"([aeiou])['’`´]")
_ACCENTED_VOWEL = re.compile("[àáâèéêìíîòóôùúû]")


def accent_key(typed: str) -> str:
    """Lower case with every accented vowel as the vowel and ``*``, apostrophe forms included.

    Registries write "Paternò" as ``PATERNO'`` and sometimes misplace the mark (``FE'NIS``
    for Fénis); both sides go through the same function, so elisions such as "Ca' "
    stay comparable.

    Examples
    --------
    >>> accent_key("PATERNO'") == accent_key("Paternò")
    True
    >>> accent_key("Paterno")
    'paterno'
    """
    lowered = typed.casefold()
    marked = _ACCENTED_VOWEL.sub(lambda m: text.strip_accents(m.group()) + "*", lowered)
    return squeeze(_VOWEL_APOSTROPHE.sub(r"\1*", marked))


# UTF-8 lead bytes read as Windows-1252/Latin-1 ("Ã", "Ä", "Å", "Â"), then a continuation
# byte read the same way: "CantÃ¹", "SoÄ\x8di". Italian names never hold these pairs.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00c5]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def looks_mojibake(typed: str) -> bool:
    """True for UTF-8 text decoded as Windows-1252 or Latin-1 (to be repaired, not matched)."""
    return not typed.isascii() and _MOJIBAKE.search(typed) is not None
