"""Map a previous-map feature's properties to the canonical fields (internal to ``umap_layer``).

Canonical fields have Italian names (the ones the ``[previous]`` section of the
config file uses as keys) and each fills one :class:`~mapgen.model.Initiative`
field. Property names are matched with :func:`mapgen.text.fold`, so ``Titolo``,
``titolo`` and ``TITOLO`` are one name; the first guess found in a layer wins.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

from mapgen.errors import ConfigError
from mapgen.i18n import _
from mapgen.model import AREAS, FUNDING_SOURCES
from mapgen.text import fold

#: Canonical field -> (Initiative field, property names guessed when the mapping doesn't say).
CANONICAL_FIELDS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "Titolo": (
        "titolo",
        (
            "titolo",
            "name",
            "title",
            "nome",
            "titolo iniziativa",
            "nome iniziativa",
            "iniziativa",
            "titolo progetto",
            "progetto",
        ),
    ),
    "Descrizione": (
        "descrizione",
        ("descrizione", "description", "desc", "descrizione iniziativa"),
    ),
    "Comune": (
        "comune",
        ("comune", "nome comune", "comune nome", "municipality", "municipio", "city", "citta"),
    ),
    "Provincia": ("provincia", ("provincia", "sigla provincia", "sigla", "province", "prov")),
    "Regione": ("regione", ("regione", "region")),
    "Area": (
        "aree",
        ("area", "aree", "area tematica", "aree tematiche", "categoria", "category", "tema"),
    ),
    "Anno": ("", ("anno", "year", "edizione")),
    "Fonte di finanziamento": (
        "fonti",
        (
            "fonte di finanziamento",
            "fonti di finanziamento",
            "fonte",
            "fonti",
            "finanziamento",
            "funding",
        ),
    ),
    "Destinatari": ("destinatari", ("destinatari", "beneficiari", "target")),
    "Sito web": ("sito_web", ("sito web", "sito", "website", "url", "link", "web")),
    "Importo": ("importo", ("importo", "importo finanziato", "budget", "costo")),
    "Data inizio": ("data_inizio", ("data inizio", "inizio", "data di inizio", "start date")),
    "Data fine": ("data_fine", ("data fine", "fine", "data di fine", "end date")),
    "Tipo ente": ("tipo_ente", ("tipo ente", "tipologia ente", "forma")),
    "Denominazione ente": ("denominazione_ente", ("denominazione ente", "ente", "denominazione")),
    "Comuni associati": ("comuni_associati", ("comuni associati", "comuni")),
    # Contacts: published only with include_contacts. Whatever fills them, every property
    # that holds a contact (by name or by content) is kept out of public text (mapgen.contacts).
    "Referente": ("referente", ("referente", "contatto", "nome referente", "referenti")),
    "Email": (
        "email",
        ("email", "e mail", "mail", "posta elettronica", "email referente", "e mail referente",
         "indirizzo email", "pec"),
    ),
    "Telefono": (
        "telefono",
        ("telefono", "tel", "phone", "telefono referente", "telefono ufficio", "recapito telefonico",
         "cellulare", "recapito"),
    ),
}

_CANONICAL_BY_FOLD: Final = {fold(name): name for name in CANONICAL_FIELDS}

#: Folded spellings of the vocabularies, with a few synonyms seen in free text.
_AREA_WORDS: Final = {fold(a): a for a in AREAS} | {
    "centro per le famiglie": "centri per le famiglie",
    "sostegno famiglie": "sostegno alle famiglie",
    "genitorialita": "responsabilità genitoriali",
    "prima infanzia": "infanzia",
}
_FUNDING_WORDS: Final = {fold(f): f for f in FUNDING_SOURCES} | {
    "statale": "nazionale",
    "stato": "nazionale",
    "europea": "comunitaria",
    "ue": "comunitaria",
    "unione europea": "comunitaria",
    "fondi europei": "comunitaria",
    "comune": "comunale",
    "regione": "regionale",
}
_LIST_SPLIT: Final = re.compile(r"\s*[,;|\n]\s*")


def canonical_name(key: str) -> str:
    """Return the canonical field called ``key`` (any case/accents), or raise ConfigError."""
    found = _CANONICAL_BY_FOLD.get(fold(key))
    if found is None:
        valid = ", ".join(CANONICAL_FIELDS)
        raise ConfigError(
            _("[previous] properties: unknown field {key}; valid fields are {valid}.", key=repr(key), valid=valid)
        )
    return found


def resolve_properties(mapped: Mapping[str, str], present: Iterable[str]) -> dict[str, str]:
    """Choose the property that fills each canonical field in one layer.

    Parameters
    ----------
    mapped
        Canonical field -> property name, from the config; wins over guesses.
    present
        Property names found in the layer's features (``_``-prefixed ones are
        uMap's own and never mapped).

    Returns
    -------
    dict
        Canonical field -> property name actually present; a property fills
        at most one field. Mapped names absent from the layer are left out
        (the caller reports them).
    """
    present = set(present)
    by_fold: dict[str, str] = {}
    for key in sorted(present):
        if not key.startswith("_"):
            by_fold.setdefault(fold(key), key)
    explicit = {canonical_name(c): p for c, p in mapped.items()}
    chosen: dict[str, str] = {}
    for canonical, prop in explicit.items():
        found = prop if prop in present else by_fold.get(fold(prop))
        if found is not None:
            chosen[canonical] = found
    taken = set(chosen.values())
    for canonical, (_label, guesses) in CANONICAL_FIELDS.items():
        if canonical in explicit:
            continue
        free = (by_fold[g] for g in guesses if g in by_fold and by_fold[g] not in taken)
        guess = next(free, None)
        if guess is not None:
            chosen[canonical] = guess
            taken.add(guess)
    return chosen


def as_text(value: Any) -> str:
    """A property value as text: None -> "", lists joined with ", ", numbers as written."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(as_text(v) for v in value)
    return str(value)


def split_list(value: Any) -> list[str]:
    """Split a list-like property (JSON array or text with , ; | or new lines) into items."""
    items = value if isinstance(value, (list, tuple)) else _LIST_SPLIT.split(as_text(value))
    return [text for text in (as_text(i).strip() for i in items) if text]


def vocabulary(value: Any, words: Mapping[str, str]) -> tuple[tuple[str, ...], str]:
    """Split ``value`` into known vocabulary terms (in vocabulary order) and the rest as text."""
    known: list[str] = []
    other: list[str] = []
    for item in split_list(value):
        term = words.get(fold(item))
        if term is None:
            other.append(item)
        elif term not in known:
            known.append(term)
    order = list(dict.fromkeys(words.values()))
    return tuple(sorted(known, key=order.index)), "; ".join(other)


def parse_amount(value: Any) -> float | None:
    """Parse an amount in euro: ``12500``, ``"12.500,50"``, ``"€ 1.200"``; None if unparseable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite_or_none(float(value))
    text = re.sub(r"[€\s]|euro", "", as_text(value), flags=re.IGNORECASE)
    if not text:
        return None
    if "," in text:  # Italian: '.' groups thousands, ',' is the decimal mark
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    try:
        return _finite_or_none(float(text))
    except (ValueError, OverflowError):
        return None


def _finite_or_none(value: float) -> float | None:
    """NaN and infinity ("NaN", "inf", 1e999 in a GeoJSON) are no amount; GeoJSON cannot hold them."""
    return value if math.isfinite(value) else None


def parse_date(value: Any) -> date | None:
    """Parse ``2019-03-01``, ``2019-03-01T…`` or ``01/03/2019``; None if unparseable."""
    text = as_text(value).strip()
    if not any(sep in text[:10] for sep in "-/."):  # every pattern needs one; strptime failing is slow
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return None


def area_terms(value: Any) -> tuple[tuple[str, ...], str]:
    """The thematic areas named in ``value`` and the rest (for ``aree_altro``)."""
    return vocabulary(value, _AREA_WORDS)


def funding_terms(value: Any) -> tuple[tuple[str, ...], str]:
    """The funding sources named in ``value`` and the rest (for ``fonti_altro``)."""
    return vocabulary(value, _FUNDING_WORDS)
