"""Keep the contacts read (referente, e-mail, telephone) out of every public output.

The writers publish contact fields only with ``include_contacts``; this module is the
second line of defence (issue 20): a contact value that reaches a *public* field by
another way (a swallowed CSV row in a description, a config mapping a contact and a
public field to one column, a previous map's own ``email`` property) is found by its
words, whatever column it came through.

A value is matched by its sequence of words (case-folded letters and digits), so
``Mario.Rossi@Comune.it`` is found in ``scrivere a mario.rossi@comune.it``; telephone
numbers by their digits, so ``+39 0832 123456`` is found as ``0832-123456``. A value is
hunted only when it has two *real words* at least (runs of two or more letters or digits:
``Mario Rossi``, ``m.rossi@comune.it``) or is a telephone number (eight digits or more
without the ``+39`` prefix): initials (``M. R.``) and a bare surname are too common to tell
apart from ordinary text, and from the letters of a page's own code.

The file scan compares contacts with the data written: in an HTML page, its data elements
(unpacked when compressed) and markup, not its inlined scripts, styles and comments.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import functools
import gzip
import html
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from mapgen._contact_text import MARK, canonical, canonical_pieces, canonical_with_positions, plain_piece
from mapgen._json import HTML_SAFE_ESCAPES
from mapgen.errors import OutputError
from mapgen.i18n import _
from mapgen.model import BuildResult, CarriedLayer, Initiative, OutputOptions, RowOutcome
from mapgen.text import fold

__all__ = [
    "CONTACT_PROPERTY_NAMES",
    "REMOVED",
    "ContactGuard",
    "ContactScan",
    "ScanPart",
    "check_public_files",
    "contact_values_of",
    "contacts_in_text",
    "holds_contact",
    "is_contact_property",
    "joined_scan",
    "plain",
    "protect_contacts",
    "scan_for_contacts",
    "scan_part",
]

log = logging.getLogger(__name__)

#: What replaces a contact value found in a public field (Italian: map visitors read it).
REMOVED: Final = "(contatto rimosso)"

#: Folded property names of a previous map's features that hold contacts (whole names).
CONTACT_PROPERTY_NAMES: Final = frozenset({
    "referente", "email", "e mail", "mail", "posta elettronica", "pec", "telefono", "tel",
    "cellulare", "cell", "phone", "telephone", "contatto", "contatti", "fax",
})  # fmt: skip

#: Words of a property name that make it a contact wherever they stand: ``email_referente``,
#: ``Telefono Ufficio``, ``Recapiti``, ``emails``. Stems, matched at the start of a word.
_CONTACT_NAME_STEMS: Final = (
    "mail", "email", "telefon", "cellular", "phone", "telephone", "recapit", "referent", "contatt", "whatsapp",
)  # fmt: skip
#: Short words that are contacts only as whole words (``tel``, not ``telaio``).
_CONTACT_NAME_WORDS: Final = frozenset({"tel", "cell", "fax", "pec", "mobile", "posta"})
_NAME_WORD = re.compile(r"[a-z]+|[0-9]+")

#: An e-mail address anywhere in a text (the address alone, not its sentence).
_EMAIL = re.compile(r"[^\W_][\w.+-]*@[^\W_][\w-]*(?:\.[\w-]+)+")
#: A run that may be a telephone number: digits with spaces, dots, slashes, brackets, dashes.
_PHONE_RUN = re.compile(r"\+?\d[\d ./()-]{6,}\d")

_NOT_DIGIT = re.compile(r"\D+")
# One-digit groups at the start of a run: no Italian number has a one-digit prefix, but this
# survey's titles put age ranges before years ("Nido 0-3 2019/2020": not 0320192020).
_ONE_DIGIT_LEAD = re.compile(r"^(?:\d[ ./()-]+)+(?=\d)")
_MIN_PHONE_DIGITS = 8  # an Italian number with its prefix; shorter values are matched as words
_DECIMAL = re.compile(r"[+-]?\d{1,3}[.,]\d+")
#: A real word has two letters or digits at least: initials ("M. R.") are in every page's code.
_REAL_WORD = 2


#: The characters :func:`~mapgen._contact_text.plain_piece` looks at (as its byte pattern does).
_ODD_CHAR = re.compile("[^\x00-\x7f\u00e0-\u00f6\u00f8-\u00ff]")


def plain(text: str) -> str:
    """``text`` with digits, spaces and dashes of any script in ASCII, other symbols as spaces.

    Examples
    --------
    >>> plain("０８３２\u00a0–\u00a0１２３４５６ «Nicolò»")
    '0832 - 123456  Nicolò '
    """
    return text if text.isascii() else _ODD_CHAR.sub(lambda m: plain_piece(m.group()), text)


@functools.lru_cache(maxsize=4096)  # a map repeats the same few property names on every feature
def is_contact_property(name: str) -> bool:
    """True for a property name that says it holds a contact.

    ``Email``, ``E-mail``, ``telefono``, ``Referente``, and names that hold such a word:
    ``email_referente``, ``Telefono Ufficio``, ``Recapito``, ``emails``, ``emailReferente``.

    Examples
    --------
    >>> [is_contact_property(n) for n in ("email_referente", "Telefono Ufficio", "Recapito", "Tel.", "telaio")]
    [True, True, True, True, False]
    """
    folded = fold(name)
    if folded.replace("-", " ").replace("_", " ").strip() in CONTACT_PROPERTY_NAMES:
        return True
    words = _NAME_WORD.findall(folded)
    return any(w in _CONTACT_NAME_WORDS or w.startswith(_CONTACT_NAME_STEMS) for w in words) or any(
        stem in folded for stem in ("email", "telefon", "posta elettronica", "e mail", "e-mail")
    )


def _is_phone_run(run: str) -> bool:
    """True when a run of digits reads as an Italian telephone number (or one with a ``+`` prefix).

    Italian numbers: landlines start with 0 (6 to 11 digits; 8 or more are hunted), mobiles with
    3 (9 or 10 digits). Amounts, dates, years and codes have other shapes: ``2019-09-01``,
    ``1.234.567``, ``30000000``.
    """
    if _DECIMAL.fullmatch(run.strip()):
        return False
    digits = re.sub(r"\D", "", run)
    key = _phone_key(run)
    if run.startswith("+") or digits.startswith("00"):
        return len(key) >= _MIN_PHONE_DIGITS
    return (key[:1] == "0" and _MIN_PHONE_DIGITS <= len(key) <= 11) or (key[:1] == "3" and 9 <= len(key) <= 10)


def contacts_in_text(text: str) -> list[str]:
    """The e-mail addresses and telephone numbers written in ``text``.

    Examples
    --------
    >>> contacts_in_text("Scrivere a m.rossi@comune.it o chiamare lo 0832 – 123456 (importo 1.234.567)")
    ['m.rossi@comune.it', '0832 - 123456']
    """
    text = plain(text)
    found = _EMAIL.findall(text) if "@" in text else []
    runs = (_ONE_DIGIT_LEAD.sub("", run) for run in _PHONE_RUN.findall(text))
    return found + [run for run in runs if _is_phone_run(run)]


def holds_contact(value: object) -> bool:
    """True when ``value`` (a text, a number, or a list or object of them) holds an e-mail address or a
    telephone number, or an object inside it has a contact property."""
    if isinstance(value, str):
        return bool(contacts_in_text(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _is_phone_run(str(value))
    if isinstance(value, Mapping):
        return any(is_contact_property(str(k)) or holds_contact(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_contact(v) for v in value)
    return False


def _phone_key(text: str) -> str:
    """The digits of a telephone number without the Italian prefix (``+39``/``0039``)."""
    digits = _NOT_DIGIT.sub("", text if text.isascii() else plain(text))
    for prefix in ("0039", "39"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= _MIN_PHONE_DIGITS:
            return digits[len(prefix):]
    return digits


def _real_words(chain: str) -> int:
    """How many words of a canonical chain (UTF-8 bytes as latin-1) have two characters or more."""
    return sum(len(word.encode("latin-1").decode("utf-8", errors="replace")) >= _REAL_WORD for word in chain.split())


#: A public file is scanned this many bytes at a time (:meth:`ContactGuard.found_in_file`).
FILE_PIECE: Final = 1 << 20


@dataclass
class ContactGuard:
    """The contacts read, found in any text in one pass by two Aho-Corasick automata.

    Contact values are indexed in the canonical form of :mod:`mapgen._contact_text`: a
    telephone number by its digits without the ``+39`` prefix, anything else by its words
    (two real words at least). The automata are built once, when first searched.

    Examples
    --------
    >>> guard = ContactGuard.of(["Mario Rossi", "mario.rossi@comune.it", "+39 0832 123456"])
    >>> guard.scrub("Scrivere a Mario.Rossi@comune.it o 0832-123456")
    ('Scrivere a (contatto rimosso) o (contatto rimosso)', 2)
    """

    phrases: set[str] = field(default_factory=set)  # " mario rossi ": canonical words between spaces
    phones: set[str] = field(default_factory=set)  # "0832123456": digits without the +39 prefix
    _automata: tuple[Any, Any, int, int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_build(cls, contacts: frozenset[str]) -> ContactGuard:
        """The guard of a build's contacts: built once for the scrub and the file scan."""
        return _guard_of(contacts)

    @classmethod
    def of(cls, values: Iterable[str]) -> ContactGuard:
        """Index contact values; empty values, and values of fewer than two real words, are skipped."""
        guard = cls()
        for value in values:
            guard.add(value)
        return guard

    def add(self, value: str) -> None:
        """Index one contact value (a cell of a contact column)."""
        text = plain(value).strip()
        if not text:
            return
        key = _phone_key(text)
        if len(key) >= _MIN_PHONE_DIGITS and len(key) * 2 >= len("".join(text.split())):
            self.phones.add(key)
        else:
            chain = canonical(value.encode("utf-8", errors="replace"))[0]
            if _real_words(chain) >= 2:
                self.phrases.add(chain)
        self._automata = None

    def __bool__(self) -> bool:
        return bool(self.phrases or self.phones)

    def _matchers(self) -> tuple[Any, Any, int, int]:
        """The automata of the chains and of the numbers, and how much of a stream a piece of a
        file keeps for the next (:meth:`found_in_file`): the longest chain but one, the longest number."""
        if self._automata is None:
            self._automata = (_automaton(self.phrases), _automaton(self.phones),
                              max((len(chain) for chain in self.phrases), default=1) - 1,
                              max((len(key) for key in self.phones), default=0))
        return self._automata

    def _word_hits(self, words: str) -> Iterator[tuple[int, int]]:
        """(start, end) of every contact chain in a word stream, end inclusive."""
        automaton = self._matchers()[0]
        if automaton is not None:
            for _, start, end in automaton.find_matches_as_indexes(words.encode("latin-1"), overlapping=True):
                yield start, end - 1

    def _phone_hits(self, digits: str) -> Iterator[tuple[int, int]]:
        """(start, end) of every telephone number ending a run of digits (a prefix may come before)."""
        automaton = self._matchers()[1]
        if automaton is not None:
            for _, start, end in automaton.find_matches_as_indexes(digits.encode("latin-1"), overlapping=True):
                if end == len(digits) or not digits[end].isdigit():
                    yield start, end - 1

    def found_in_canonical(self, words: str, digits: str) -> bool:
        """True when a contact is in the streams of :func:`~mapgen._contact_text.canonical`."""
        return next(self._word_hits(words), None) is not None or next(self._phone_hits(digits), None) is not None

    def found_in_file(self, data: bytes, *, piece: int = FILE_PIECE) -> bool:
        """:meth:`found_in_canonical` of a file's UTF-8 bytes, ``piece`` bytes of them at a time.

        The canonical forms of a whole 11 MB file took ~90 MB at once, the build's peak; here
        each piece is scanned with the end of the one before (the longest contact's length), and
        a telephone number ending a piece waits for the next character, which says whether it
        ends a run of digits. Same answer as the whole file at once (a test checks it).
        """
        if not self:
            return False
        words_kept, digits_kept = self._matchers()[2:]
        words = digits = ""
        for new_words, new_digits in canonical_pieces(data, piece):
            words, digits = words + new_words, digits + new_digits
            if next(self._word_hits(words), None) is not None:
                return True
            if any(end < len(digits) - 1 for _, end in self._phone_hits(digits)):
                return True
            words = words[max(0, len(words) - words_kept):]
            digits = digits[max(0, len(digits) - digits_kept):]
        return next(self._phone_hits(digits), None) is not None  # a number may end the file

    def found_in(self, text: str) -> bool:
        """True when a contact value appears in ``text``."""
        return bool(self) and self.found_in_canonical(*canonical(text.encode("utf-8", errors="replace")))

    def _spans(self, text: str) -> list[tuple[int, int]]:
        words, word_at, digits, digit_at = canonical_with_positions(text)
        # a chain's hit includes the spaces around it: its text is from the first to the last letter
        spans = [(word_at[start + 1], word_at[end - 1] + 1) for start, end in self._word_hits(words)]
        for start, end in self._phone_hits(digits):
            while start > 0 and digits[start - 1].isdigit():  # the whole number, with its prefix
                start -= 1
            first = digit_at[start] - (digit_at[start] > 0 and text[digit_at[start] - 1] == "+")
            spans.append((first, digit_at[end] + 1))
        return spans

    def scrub(self, text: str) -> tuple[str, int]:
        """Replace every contact value in ``text`` by :data:`REMOVED`; return it and the count."""
        if not self.found_in(text):  # the fast pass; the positions only for the rare text with a contact
            return text, 0
        merged: list[list[int]] = []
        for start, end in sorted(self._spans(text)):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        pieces, last = [], 0
        for start, end in merged:
            pieces += [text[last:start], REMOVED]
            last = end
        return "".join([*pieces, text[last:]]), len(merged)

    def suspects(self, texts: Iterable[str]) -> set[str]:
        """The texts that hold a contact, found in one pass over all of them.

        The texts are joined by :data:`~mapgen._contact_text.MARK`, a byte UTF-8 never holds
        and a word of its own, so no contact runs from one text into the next; a hit names its
        text by the marks before it.
        """
        unique = list(dict.fromkeys(texts))
        if not self or not unique:
            return set()
        words, digits = canonical(_JOIN.join(t.encode("utf-8", errors="replace") for t in unique))
        found: set[str] = set()
        for stream, hits in ((words, self._word_hits(words)), (digits, self._phone_hits(digits))):
            marks = [m.start() for m in _MARK_CHAR.finditer(stream)]
            found |= {unique[bisect.bisect(marks, end)] for _, end in hits}
        return found

    def scrubber(self, texts: Iterable[str]) -> Callable[[str], tuple[str, int]]:
        """:meth:`scrub` for many texts: one pass over all of them, then each text with a contact alone.

        A text that was not among ``texts`` is scrubbed on its own, so the result is always exact.
        """
        texts = set(texts)
        return self.scrubber_of(texts, self.suspects(texts))

    def scrubber_of(self, texts: set[str], held: set[str]) -> Callable[[str], tuple[str, int]]:
        """:meth:`scrubber` of ``texts`` whose :meth:`suspects` are ``held`` (already found)."""

        def scrub(text: str) -> tuple[str, int]:
            return (text, 0) if text in texts and text not in held else self.scrub(text)

        return scrub


@functools.lru_cache(maxsize=2)
def _guard_of(contacts: frozenset[str]) -> ContactGuard:
    guard = ContactGuard.of(contacts)
    guard._matchers()
    return guard


_JOIN: Final = b" " + MARK + b" "
_MARK_CHAR: Final = re.compile(MARK.decode("latin-1"))


def _automaton(patterns: Iterable[str]) -> Any:
    """An Aho-Corasick automaton finding ``patterns`` (canonical streams, one byte a character)
    in bytes, every occurrence; None for no pattern.

    ``ahocorasick_rs`` over bytes: 200 MB/s for the word stream and 900 MB/s for the digits,
    against 110 MB/s for both with pyahocorasick over text (benchmarks/README.md).
    """
    import ahocorasick_rs

    encoded = [pattern.encode("latin-1") for pattern in patterns]
    return ahocorasick_rs.BytesAhoCorasick(encoded) if encoded else None


def contact_values_of(properties: Mapping[str, object]) -> list[str]:
    """The contacts a feature's properties hold, for the write-time guard.

    The whole value of a property named as a contact (``email``, ``Telefono Ufficio``,
    ``Recapito``...), inside lists and objects too; and, under any name, every e-mail
    address and telephone number written in a text (``Note: scrivere a x@y.it``).
    """
    return list(_contact_values(properties, named=False))


def _contact_values(value: object, *, named: bool) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _contact_values(item, named=named or is_contact_property(str(key)))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _contact_values(item, named=named)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if named:
            yield text
        yield from contacts_in_text(text)


# --- applied to a build ----------------------------------------------------------------

#: Text fields of a record that the writers publish.
_PUBLIC_FIELDS: Final = (
    "titolo", "descrizione", "destinatari", "aree_altro", "fonti_altro", "sito_web", "tipo_ente",
    "denominazione_ente",
)  # fmt: skip

_NOTE: Final = "Tolto dalla mappa pubblica un contatto (referente, e-mail o telefono) trovato in: {}."


#: How a text is scrubbed: :meth:`ContactGuard.scrub`, or its one-pass :meth:`ContactGuard.scrubber`.
Scrub = Callable[[str], tuple[str, int]]


def _record_texts(record: Initiative) -> Iterator[str]:
    """The texts of a record that :func:`_scrub_record` looks at (its public fields, its properties)."""
    yield from (getattr(record, name) for name in _PUBLIC_FIELDS)
    yield from record.comuni_associati
    yield from _texts(record.properties)


def _texts(value: Any) -> Iterator[str]:
    """The texts inside a property value (lists and objects walked); numbers cannot hold a name."""
    if isinstance(value, str):
        yield value
        return
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    for item in items:
        if isinstance(item, str):  # most values: no generator of their own (800,000 at 10,000 records)
            yield item
        elif isinstance(item, Mapping | list):
            yield from _texts(item)


def _scrub_record(record: Initiative, guard: Scrub) -> tuple[Initiative, list[str]]:
    changes: dict[str, Any] = {}
    for name in _PUBLIC_FIELDS:
        text, hits = guard(getattr(record, name))
        if hits:
            changes[name] = text
    members = [guard(m) for m in record.comuni_associati]
    if any(hits for _, hits in members):
        changes["comuni_associati"] = tuple(text for text, _ in members)
    fields = sorted(changes)
    # The raw properties of a previous map's feature fill the {placeholders} of its description
    # (mapgen.umap.markup): a contact read elsewhere (the survey's referente) must not come back
    # through them. Contacts by name or by content are refused by the filling itself.
    properties, changed = _scrubbed_values(record.properties, guard)
    if changed:
        changes["properties"] = properties
        fields += ["descrizione"] * ("{" in record.descrizione and "descrizione" not in fields)
    return (replace(record, **changes) if changes else record), fields


def _scrubbed_values(value: Any, guard: Scrub) -> tuple[Any, bool]:
    """``value`` (a text, or a list or object of them) with the contacts of ``guard`` scrubbed."""
    if isinstance(value, str):
        text, count = guard(value)
        return text, bool(count)
    if isinstance(value, Mapping):
        members = {k: _scrubbed_values(v, guard) for k, v in value.items()}
        if any(changed for _, changed in members.values()):
            return {k: new for k, (new, _) in members.items()}, True
    elif isinstance(value, list):
        items = [_scrubbed_values(v, guard) for v in value]
        if any(changed for _, changed in items):
            return [new for new, _ in items], True
    return value, False


def _scrub_feature(feature: Any, guard: Scrub) -> tuple[Any, list[str]]:
    """A carried feature without its contact properties and with contacts scrubbed from its text."""
    props = feature.get("properties") if isinstance(feature, Mapping) else None
    if not isinstance(props, Mapping):
        return feature, []
    kept: dict[str, Any] = {}
    hit: list[str] = []
    for key, value in props.items():
        new, changed = _without_contacts(key, value, guard)
        if changed:
            hit.append(str(key))
        if new is not _DROPPED:
            kept[key] = new
    return ({**feature, "properties": kept} if hit else feature), hit


_DROPPED: Final = object()


def _without_contacts(key: object, value: Any, guard: Scrub) -> tuple[Any, bool]:
    """A property's value without its contacts, and whether it changed; :data:`_DROPPED` to drop it.

    A property named as a contact is dropped; texts are scrubbed, and dropped if an e-mail
    address or a telephone number is still in them; objects and lists keep their other members.
    """
    if is_contact_property(str(key)):
        return _DROPPED, True
    if isinstance(value, str):
        # The contacts in a text are among those read (build._previous_contacts): scrubbed, the rest
        # of the text stays ("Scrivere a (contatto rimosso)"); one still there drops the property.
        text, count = guard(value)
        return (_DROPPED, True) if contacts_in_text(text) else (text, bool(count))
    if isinstance(value, Mapping):
        members = {k: _without_contacts(k, v, guard) for k, v in value.items()}
        if not any(changed for _, changed in members.values()):
            return value, False
        return {k: new for k, (new, _) in members.items() if new is not _DROPPED}, True
    if isinstance(value, list):
        items = [_without_contacts("", v, guard) for v in value]
        if not any(changed for _, changed in items):
            return value, False
        return [new for new, _ in items if new is not _DROPPED], True
    if isinstance(value, int | float) and not isinstance(value, bool) and _is_phone_run(str(value)):
        return _DROPPED, True
    return value, False


def _feature_texts(layer: CarriedLayer) -> Iterator[str]:
    for feature in layer.geojson.get("features") or ():
        if isinstance(feature, Mapping):
            yield from _texts(feature.get("properties"))


def _scrub_layer(layer: CarriedLayer, guard: Scrub) -> tuple[CarriedLayer, dict[str, list[str]]]:
    features = layer.geojson.get("features")
    if not isinstance(features, list):
        return layer, {}
    hits: dict[str, list[str]] = {}
    scrubbed = []
    for index, feature in enumerate(features):
        new, hit = _scrub_feature(feature, guard)
        if hit:  # keyed as build._carried_outcomes names the feature
            hits[str(feature.get("id", index))] = hit
        scrubbed.append(new)
    if not hits:
        return layer, {}
    return replace(layer, geojson={**layer.geojson, "features": scrubbed}), hits


def _noted(outcome: RowOutcome, fields: list[str] | None) -> RowOutcome:
    if not fields:
        return outcome
    note = _NOTE.format(", ".join(f"«{f}»" for f in dict.fromkeys(fields)))
    return replace(outcome, reason=f"{outcome.reason} {note}".strip())


@dataclass(frozen=True)
class ContactScan:
    """Which records hold a contact in their public texts, found before :func:`protect_contacts`
    runs (:mod:`mapgen.build` scans while the association members are resolved in another process).

    Records are known by ``id``: the scan keeps the records and layers it looked at, so that no
    other object takes one of their ids while it lives.
    """

    contacts: frozenset[str]
    held: frozenset[str]  # the texts that hold a contact
    records: tuple[Initiative, ...]
    layers: tuple[CarriedLayer, ...]
    holding: frozenset[int]  # id() of the records whose texts hold a contact

    @functools.cached_property
    def scanned(self) -> frozenset[int]:
        """id() of every record and layer scanned."""
        return frozenset(map(id, (*self.records, *self.layers)))


def scan_for_contacts(
    contacts: frozenset[str], records: Sequence[Initiative], layers: Sequence[CarriedLayer] = ()
) -> ContactScan:
    """The records whose public texts hold one of ``contacts``, and those texts, the carried
    layers' included: one pass of the automata over every text."""
    return joined_scan(contacts, records, layers, [scan_part(contacts, records, layers, [(0, len(records) + 1)])])


@dataclass(frozen=True)
class ScanPart:
    """What :func:`scan_part` found in some of the records: the texts holding a contact and the
    positions of the records with one (positions, not ids: a part may be found in another process)."""

    held: frozenset[str]
    holding: tuple[int, ...]


def scan_part(
    contacts: frozenset[str], records: Sequence[Initiative], layers: Sequence[CarriedLayer],
    spans: Iterable[tuple[int, int]],
) -> ScanPart:
    """:func:`scan_for_contacts` of the records at positions ``start`` to ``end - 1`` of each
    span, position ``len(records)`` standing for the carried layers. The build splits the scan
    in spans that either process takes (:func:`joined_scan` puts them together)."""
    guard = ContactGuard.for_build(contacts)
    positions: list[int] = []
    per_record: list[list[str]] = []
    texts: set[str] = set()
    for start, end in spans:
        for position in range(start, min(end, len(records) + 1)):
            if position == len(records):
                texts.update(t for layer in layers for t in _feature_texts(layer))
            else:
                positions.append(position)
                per_record.append(list(_record_texts(records[position])))
    texts.update(t for record_texts in per_record for t in record_texts)
    held = guard.suspects(texts)
    holding = tuple(p for p, texts_of in zip(positions, per_record, strict=True) if not held.isdisjoint(texts_of))
    return ScanPart(frozenset(held), holding)


def joined_scan(
    contacts: frozenset[str], records: Sequence[Initiative], layers: Sequence[CarriedLayer], parts: Iterable[ScanPart]
) -> ContactScan:
    """The scan of ``records`` and ``layers`` from :func:`scan_part`\\ s that cover them all."""
    parts = list(parts)
    held = frozenset().union(*(part.held for part in parts))
    holding = frozenset(id(records[p]) for part in parts for p in part.holding)
    return ContactScan(contacts, held, tuple(records), tuple(layers), holding)


def protect_contacts(
    result: BuildResult, options: OutputOptions, scan: ContactScan | None = None
) -> BuildResult:
    """Remove every contact value read from the public fields, unless ``include_contacts``.

    Survey and previous-map records have the values replaced by :data:`REMOVED` in their
    public text; carried layers lose their contact properties (``email``, ``telefono``,
    ...). Each record touched says so in its report line (its outcome's reason).

    A ``scan`` made before for ``result.contacts`` spares the pass over the records and layers
    it covers; the others get theirs here.
    """
    if options.include_contacts:
        return result
    contacts = ContactGuard.for_build(result.contacts)
    if not (contacts or result.carried_layers):
        return result
    if scan is None or scan.contacts != result.contacts:
        scan = ContactScan(result.contacts, frozenset(), (), (), frozenset())
    unscanned = [r for i in result.initiatives for r in i.records if id(r) not in scan.scanned]
    unscanned_layers = [layer for layer in result.carried_layers if id(layer) not in scan.scanned]
    rest = scan_for_contacts(result.contacts, unscanned, unscanned_layers)
    holding = scan.holding | rest.holding
    held = scan.held | rest.held

    def guard(text: str) -> tuple[str, int]:
        # Only texts of the records and layers scanned get here: those not held hold no contact.
        return contacts.scrub(text) if text in held else (text, 0)

    by_record: dict[str, list[str]] = {}
    initiatives = []
    for item in result.initiatives:
        if not holding or all(id(record) not in holding for record in item.records):  # no contact in its texts
            initiatives.append(item)
            continue
        scrubbed = []
        for record in item.records:
            if id(record) not in holding:
                scrubbed.append(record)
                continue
            new, fields = _scrub_record(record, guard)
            if fields:
                by_record.setdefault(record.record_id, []).extend(fields)
            scrubbed.append(new)
        initiatives.append(replace(item, record=scrubbed[0], history=tuple(scrubbed[1:])))
    layers: list[CarriedLayer] = []
    by_feature: dict[tuple[str, str], list[str]] = {}
    for layer in result.carried_layers:
        new_layer, hits = _scrub_layer(layer, guard)
        layers.append(new_layer)
        by_feature |= {(layer.name, fid): fields for fid, fields in hits.items()}
    if by_record or by_feature:
        log.warning("Contacts (referente, e-mail, telephone) removed from the public text of %d records and "
                    "%d carried features; the report names them.", len(by_record), len(by_feature))
    outcomes = tuple(
        _noted(o, by_record.get(o.record_id) or by_feature.get((o.source.layer or "", o.source.feature or "")))
        for o in result.outcomes
    )
    return replace(result, initiatives=tuple(initiatives), carried_layers=tuple(layers), outcomes=outcomes)


#: A page's own code and comments, and its data elements (``mapgen.writers.preview``).
_PAGE_PART = re.compile(rb"<!--.*?-->|<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
#: A JSON escape: ``\u00e0``, ``\n``, ``\"``...
_JSON_ESCAPE = re.compile(rb'\\(?:u([0-9a-fA-F]{4})|(.))', re.DOTALL)
_JSON_CHARS: Final = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t"}
#: An HTML or XML character reference: ``&amp;``, ``&#123;``, ``&#x7b;``.
_ENTITY = re.compile(rb"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_JSON_FILES: Final = frozenset({".geojson", ".umap", ".json"})
_PAGES: Final = frozenset({".html", ".htm"})


def _page_part(match: re.Match[bytes]) -> bytes:
    """The data of a page's element; nothing for its code, its styles and its comments.

    The preview writes every text read into JSON data elements, plain or gzip+base64 when large
    (``application/gzip-base64``), and into the page's markup; its scripts and styles are the
    inlined libraries and its own code, where no text read is written (a test checks it), and
    whose letters would match contacts ("M. R.") though no contact is there.
    """
    kind = (match.group(2) or b"").lower()
    if b"application/json" in kind:
        return match.group(3)
    if b"application/gzip-base64" in kind:
        try:
            return gzip.decompress(base64.b64decode(match.group(3)))
        except (ValueError, OSError, EOFError):
            return match.group(3)  # not what the preview writes: scan it as it is
    return b" "


def _json_char(match: re.Match[bytes]) -> bytes:
    if match.group(1) is not None:
        return chr(int(match.group(1), 16)).encode("utf-8", errors="replace")
    return _JSON_CHARS.get(match.group(2), match.group(2))


def _entity(match: re.Match[bytes]) -> bytes:
    return html.unescape(match.group().decode("ascii")).encode("utf-8", errors="replace")


def _geopackage_text(path: Path) -> bytes:
    """Every text value of every table of a GeoPackage (SQLite): the data written, not its pages.

    SQLite may split a long text across overflow pages, so the file's bytes are not its texts.
    Each column's texts are joined by SQLite itself (``group_concat``), one row of results a table.
    """
    import sqlite3

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    chunks: list[bytes] = []
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)) as db:
        db.text_factory = bytes
        tables = [row[0].decode("utf-8", errors="replace")
                  for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1].decode("utf-8", errors="replace")
                       for row in db.execute(f"PRAGMA table_info({quoted(table)})")]
            if not columns:
                continue
            joined = ", ".join(
                f"group_concat(CASE WHEN typeof({quoted(c)}) = 'text' THEN {quoted(c)} END, char(10))" for c in columns
            )
            row = db.execute(f"SELECT {joined} FROM {quoted(table)}").fetchone()
            chunks += [value for value in row or () if isinstance(value, bytes)]
    return b"\n".join(chunks)


def _public_bytes(path: Path) -> bytes:
    """What a reader of ``path`` sees, as UTF-8: the file as written, its data decoded where encoded.

    JSON escapes and HTML entities decoded; a page without its code (:func:`_page_part`); the
    cells of an XLSX (its XML parts, unzipped); the texts of a GeoPackage.
    """
    if path.suffix == ".gpkg":
        return _geopackage_text(path)
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            data = b"\n".join(book.read(name) for name in book.namelist() if name.endswith(".xml"))
    else:
        data = path.read_bytes()
    if path.suffix in _PAGES:
        data = _PAGE_PART.sub(_page_part, data)
    if (path.suffix in _JSON_FILES or path.suffix in _PAGES) and b"\\" in data:
        data = _json_unescaped(data)
    return _ENTITY.sub(_entity, data) if b"&" in data else data


def _json_unescaped(data: bytes) -> bytes:
    """``data`` with its JSON escapes decoded.

    One regular expression for every escape: its search for a backslash runs at memory speed
    (8 ms for a 10 MB map without escapes), and each escape it finds costs a call (1.5 µs).
    The line breaks of the descriptions are nearly all of them (106,724 of 107,276 in a
    10,000-practice map.umap), so they go first through ``bytes.replace`` (4 ms a MB): 0.085 s
    for that map instead of 0.16 s. (``bytes.replace`` once per kind of escape took 0.15 s.)
    """
    if b"\\\\" not in data:  # else "\\\\n" would be a backslash and an n, not a line break
        data = data.replace(b"\\n", b"\n")
        # the preview's data escaped as |tojson: 64,000 of its 81,000 escapes at 10,000 initiatives
        for char, escaped in HTML_SAFE_ESCAPES:
            data = data.replace(escaped, char)
    return _JSON_ESCAPE.sub(_json_char, data)


#: ``da_correggere.csv``: the rows waiting for a person, as typed (titles included), for staff only.
_REVIEW_FILE: Final = "da_correggere.csv"


def check_public_files(folder: Path, files: Iterable[Path], result: BuildResult, options: OutputOptions) -> None:
    """Refuse the build if a contact value read appears in a public file (not ``report.*``).

    Raises
    ------
    OutputError
        Naming the file; the previous outputs are left as they were.
    """
    if options.include_contacts:
        return
    guard = ContactGuard.for_build(result.contacts)
    if not guard:
        return
    # The report and the rows for a person are for staff: contacts are their business.
    public = [name for name in files if not (name.name.startswith(("report", ".")) or name.name == _REVIEW_FILE)]
    within = _parts_of_maps(folder, public)
    for name in public:
        if name not in within and guard.found_in_file(_public_bytes(folder / name)):
            raise OutputError(
                _("the public file {name} holds a contact (referente, e-mail or telephone) read from "
                  "the inputs, and include_contacts is false: the build is refused and the previous "
                  "outputs are unchanged. Please report this with the input files; set "
                  "include_contacts = true in [output] only if the contacts may be published.", name=name)
            )


def _parts_of_maps(folder: Path, names: Sequence[Path]) -> set[Path]:
    """The JSON files among ``names`` whose bytes a map among them (``.umap``) holds whole: a
    layer's file, which uMap's backup holds as it is. The map's check covers them (0.2 of the
    1.2 CPU s of a 10,000-initiative build's checks); each map is read and let go in turn.

    Nothing is in such a file that the map's check would miss: it begins and ends with a brace,
    so its JSON escapes, its character references and its words and digits are those of the
    map at the same place (:func:`_public_bytes`, :func:`~mapgen._contact_text.canonical`), and a
    contact found in it is found in the map (a test holds it on any texts).
    """
    candidates = [name for name in names if name.suffix in _JSON_FILES and name.suffix != ".umap"]
    within: set[Path] = set()
    for map_name in (name for name in names if name.suffix == ".umap"):
        whole_map = (folder / map_name).read_bytes()
        for name in candidates:
            # a file larger than the map (the GIS GeoJSON, where one process writes both) is not read
            if name not in within and (folder / name).stat().st_size <= len(whole_map):
                data = (folder / name).read_bytes().removesuffix(b"\n")
                if data.startswith(b'{"') and data.endswith(b"}") and data in whole_map:
                    within.add(name)
    return within
