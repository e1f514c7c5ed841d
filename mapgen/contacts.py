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
import gzip
import html
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from mapgen.errors import OutputError
from mapgen.model import BuildResult, CarriedLayer, Initiative, OutputOptions, RowOutcome
from mapgen.text import fold

__all__ = [
    "CONTACT_PROPERTY_NAMES",
    "REMOVED",
    "ContactGuard",
    "check_public_files",
    "contact_values_of",
    "contacts_in_text",
    "holds_contact",
    "is_contact_property",
    "plain",
    "protect_contacts",
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

_WORD = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\+?\d[\d ./()-]*\d")
_LONG_DIGITS = re.compile(r"\+?\d[\d ./()-]{6,}\d")  # at least 8 characters: could hold a telephone number
_MIN_PHONE_DIGITS = 8  # an Italian number with its prefix; shorter values are matched as words
_DECIMAL = re.compile(r"[+-]?\d{1,3}[.,]\d+")
#: A real word has two letters or digits at least: initials ("M. R.") are in every page's code.
_REAL_WORD = 2


#: Dashes (Unicode category Pd) and the minus sign: "0832 – 123456" is "0832-123456".
_DASHES: Final = (
    "\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    "\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead\u2212"
)
#: Characters that may stand for an ASCII digit, space, dash or letter: the no-break space and
#: everything past Latin Extended-B (accented Latin letters are left alone: they are letters).
_ODD_CHAR = re.compile(r"[^\x00-\x9f\xa1-\u024f]")


def _plain_char(match: re.Match[str]) -> str:
    """One character as ASCII when it stands for a digit, a space, a dash or a letter; else as is.

    Always one character, so that positions in the plain text are positions in the original.
    """
    char = match.group()
    if char.isdecimal():  # any script's digits: "٠٨٣٢", "０８３２"
        return str(unicodedata.decimal(char))
    if char.isspace():  # no-break, thin, ideographic spaces
        return " "
    if char in _DASHES:
        return "-"
    compatible = unicodedata.normalize("NFKC", char)  # full-width letters and signs: "＠"
    return compatible if len(compatible) == 1 and compatible.isascii() else char


def plain(text: str) -> str:
    """``text`` with digits, spaces and dashes of any script written in ASCII (same length).

    Examples
    --------
    >>> plain("０８３２\u00a0–\u00a0１２３４５６")
    '0832 - 123456'
    """
    return text if text.isascii() else _ODD_CHAR.sub(_plain_char, text)


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
    return found + [run for run in _PHONE_RUN.findall(text) if _is_phone_run(run)]


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
    digits = re.sub(r"\D", "", plain(text))
    for prefix in ("0039", "39"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= _MIN_PHONE_DIGITS:
            return digits[len(prefix):]
    return digits


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _WORD.findall(text))


@dataclass
class ContactGuard:
    """The contacts read, indexed to be found in any text in linear time.

    Examples
    --------
    >>> guard = ContactGuard.of(["Mario Rossi", "mario.rossi@comune.it", "+39 0832 123456"])
    >>> guard.scrub("Scrivere a Mario.Rossi@comune.it o 0832-123456")
    ('Scrivere a (contatto rimosso) o (contatto rimosso)', 2)
    """

    phrases: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    phones: dict[str, set[str]] = field(default_factory=dict)  # by their last digits

    @classmethod
    def of(cls, values: Iterable[str]) -> ContactGuard:
        """Index contact values; empty, one-word and too short values are skipped."""
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
        if len(key) >= _MIN_PHONE_DIGITS and len(key) * 2 >= len(re.sub(r"\s", "", text)):
            self.phones.setdefault(key[-_MIN_PHONE_DIGITS:], set()).add(key)
            return
        words = _words(text)
        if sum(len(word) >= _REAL_WORD for word in words) >= 2:
            chains = self.phrases.setdefault(words[0], [])
            if words not in chains:
                chains.append(words)

    def __bool__(self) -> bool:
        return bool(self.phrases or self.phones)

    def _spans(self, text: str) -> list[tuple[int, int]]:
        text = plain(text)  # same length: the spans are the original text's
        spans: list[tuple[int, int]] = []
        matches = list(_WORD.finditer(text))
        folded = [m.group().casefold() for m in matches]
        for i, word in enumerate(folded):
            for chain in self.phrases.get(word, ()):
                if tuple(folded[i : i + len(chain)]) == chain:
                    spans.append((matches[i].start(), matches[i + len(chain) - 1].end()))
        for m in _DIGITS.finditer(text):
            key = _phone_key(m.group())
            if _DECIMAL.fullmatch(m.group().strip()):
                continue  # a coordinate or an amount ("12.291800"), never a telephone number
            same_end = self.phones.get(key[-_MIN_PHONE_DIGITS:], ())
            # the whole number, or it with a prefix the text added ("0039 0832 123456")
            if any(key.endswith(p) for p in same_end):
                spans.append(m.span())
        return spans

    def found_in(self, text: str) -> bool:
        """True when a contact value appears in ``text`` (fast path for whole output files).

        Words and digit runs are extracted by the regular expression engine in one call each;
        Python only looks at the words that start a contact and the runs long enough to be a number.
        """
        if not self:
            return False
        text = plain(text)
        words = _WORD.findall(text.casefold())
        present = set(words)
        candidates = [  # set operations first: most contacts have a word the file lacks
            chain for first in present & self.phrases.keys() for chain in self.phrases[first]
            if present.issuperset(chain)
        ]  # fmt: skip
        if candidates and _has_chain(words, candidates):
            return True
        for run in _LONG_DIGITS.findall(text) if self.phones else ():
            if _DECIMAL.fullmatch(run):
                continue
            key = _phone_key(run)
            if any(key.endswith(p) for p in self.phones.get(key[-_MIN_PHONE_DIGITS:], ())):
                return True
        return False

    def scrub(self, text: str) -> tuple[str, int]:
        """Replace every contact value in ``text`` by :data:`REMOVED`; return it and the count."""
        spans = sorted(self._spans(text)) if self else []
        if not spans:
            return text, 0
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        pieces, last = [], 0
        for start, end in merged:
            pieces += [text[last:start], REMOVED]
            last = end
        return "".join([*pieces, text[last:]]), len(merged)


def _has_chain(words: list[str], chains: list[tuple[str, ...]]) -> bool:
    """True when one of ``chains`` is a run of consecutive ``words``.

    Consecutive words of ``_WORD.findall`` are exactly words separated by ``[\\W_]+``, which is
    how a contact is matched (``Mario.Rossi@Comune.it`` in ``mario rossi comune it``): one pass
    over the words instead of a regular-expression search per contact over the whole file
    (those searches took 70 of the 90 s of a build at 10,000 initiatives).
    """
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for chain in chains:
        by_first.setdefault(chain[0], []).append(chain)
    for i in (i for i, word in enumerate(words) if word in by_first):
        if any(tuple(words[i : i + len(chain)]) == chain for chain in by_first[words[i]]):
            return True
    return False


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


def _scrub_record(record: Initiative, guard: ContactGuard) -> tuple[Initiative, list[str]]:
    changes: dict[str, Any] = {}
    for name in _PUBLIC_FIELDS:
        text, hits = guard.scrub(getattr(record, name))
        if hits:
            changes[name] = text
    members = [guard.scrub(m) for m in record.comuni_associati]
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


def _scrubbed_values(value: Any, guard: ContactGuard) -> tuple[Any, bool]:
    """``value`` (a text, or a list or object of them) with the contacts of ``guard`` scrubbed."""
    if isinstance(value, str):
        text, count = guard.scrub(value)
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


def _scrub_feature(feature: Any, guard: ContactGuard) -> tuple[Any, list[str]]:
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


def _without_contacts(key: object, value: Any, guard: ContactGuard) -> tuple[Any, bool]:
    """A property's value without its contacts, and whether it changed; :data:`_DROPPED` to drop it.

    A property named as a contact, or a text holding an e-mail address or a telephone number,
    is dropped; objects and lists keep their other members; other texts are scrubbed.
    """
    if is_contact_property(str(key)):
        return _DROPPED, True
    if isinstance(value, str):
        if contacts_in_text(value):
            return _DROPPED, True
        text, count = guard.scrub(value)
        return text, bool(count)
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


def _scrub_layer(layer: CarriedLayer, guard: ContactGuard) -> tuple[CarriedLayer, dict[str, list[str]]]:
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


def protect_contacts(result: BuildResult, options: OutputOptions) -> BuildResult:
    """Remove every contact value read from the public fields, unless ``include_contacts``.

    Survey and previous-map records have the values replaced by :data:`REMOVED` in their
    public text; carried layers lose their contact properties (``email``, ``telefono``,
    ...). Each record touched says so in its report line (its outcome's reason).
    """
    guard = ContactGuard.of(result.contacts)
    if options.include_contacts or not (guard or result.carried_layers):
        return result
    by_record: dict[str, list[str]] = {}
    initiatives = []
    for item in result.initiatives:
        records = []
        for record in item.records:
            new, fields = _scrub_record(record, guard)
            if fields:
                by_record.setdefault(record.record_id, []).extend(fields)
            records.append(new)
        initiatives.append(replace(item, record=records[0], history=tuple(records[1:])))
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


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


#: A page's own code and comments, and its data elements (``mapgen.writers.preview``).
_PAGE_PART = re.compile(
    r"<!--.*?-->|<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL
)


def _page_part(match: re.Match[str]) -> str:
    """The data of a page's element; nothing for its code, its styles and its comments.

    The preview writes every text read into JSON data elements, plain or gzip+base64 when large
    (``application/gzip-base64``), and into the page's markup; its scripts and styles are the
    inlined libraries and its own code, where no text read is written (a test checks it), and
    whose letters would match contacts ("M. R.") though no contact is there.
    """
    kind = (match.group(2) or "").casefold()
    if "application/json" in kind:
        return match.group(3)
    if "application/gzip-base64" in kind:
        try:
            return gzip.decompress(base64.b64decode(match.group(3))).decode("utf-8", errors="replace")
        except (ValueError, OSError, EOFError):
            return match.group(3)  # not what the preview writes: scan it as it is
    return " "


def _public_text(path: Path) -> str:
    """The text a reader of ``path`` sees: JSON strings, HTML without entities, XLSX cells."""
    data = path.read_bytes()
    if path.suffix in {".geojson", ".umap", ".json"}:
        try:
            return html.unescape("\n".join(_strings(json.loads(data))))
        except ValueError:
            pass
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            data = b"\n".join(book.read(name) for name in book.namelist() if name.endswith(".xml"))
    text = data.decode("utf-8", errors="replace")
    if path.suffix in {".html", ".htm"}:
        text = _PAGE_PART.sub(_page_part, text)
    return html.unescape(text)


def check_public_files(folder: Path, files: Iterable[Path], result: BuildResult, options: OutputOptions) -> None:
    """Refuse the build if a contact value read appears in a public file (not ``report.*``).

    Raises
    ------
    OutputError
        Naming the file; the previous outputs are left as they were.
    """
    guard = ContactGuard.of(result.contacts)
    if options.include_contacts or not guard:
        return
    for name in files:
        if name.name.startswith("report") or name.name.startswith("."):
            continue  # the report is for staff: contacts are its business
        if guard.found_in(_public_text(folder / name)):
            raise OutputError(
                f"the public file {name} holds a contact (referente, e-mail or telephone) read from the "
                "inputs, and include_contacts is false: the build is refused and the previous outputs "
                "are unchanged. Please report this with the input files; set include_contacts = true "
                "in [output] only if the contacts may be published."
            )
