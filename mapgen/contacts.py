"""Keep the contacts read (referente, e-mail, telephone) out of every public output.

The writers publish contact fields only with ``include_contacts``; this module is the
second line of defence (issue 20): a contact value that reaches a *public* field by
another way (a swallowed CSV row in a description, a config mapping a contact and a
public field to one column, a previous map's own ``email`` property) is found by its
words, whatever column it came through.

A value is matched by its sequence of words (case-folded letters and digits), so
``Mario.Rossi@Comune.it`` is found in ``scrivere a mario.rossi@comune.it``; telephone
numbers by their digits, so ``+39 0832 123456`` is found as ``0832-123456``. Single
words that are not an e-mail or a telephone number (a bare surname) are too common to
tell apart from ordinary text and are not matched.
"""

from __future__ import annotations

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
    "is_contact_property",
    "protect_contacts",
]

log = logging.getLogger(__name__)

#: What replaces a contact value found in a public field (Italian: map visitors read it).
REMOVED: Final = "(contatto rimosso)"

#: Folded property names of a previous map's features that hold contacts.
CONTACT_PROPERTY_NAMES: Final = frozenset({
    "referente", "email", "e mail", "mail", "posta elettronica", "pec", "telefono", "tel",
    "cellulare", "cell", "phone", "telephone", "contatto", "contatti", "fax",
})  # fmt: skip

_WORD = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\+?\d[\d ./()-]*\d")
_LONG_DIGITS = re.compile(r"\+?\d[\d ./()-]{6,}\d")  # at least 8 characters: could hold a telephone number
_MIN_PHONE_DIGITS = 8  # an Italian number with its prefix; shorter values are matched as words
_DECIMAL = re.compile(r"[+-]?\d{1,3}[.,]\d+")


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
    """True for a property name such as ``Email``, ``E-mail``, ``telefono`` or ``Referente``."""
    return fold(name).replace("-", " ").replace("_", " ").strip() in CONTACT_PROPERTY_NAMES


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
        if len(words) >= 2 or (len(words) == 1 and "@" in text):
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
    """The text values of a feature's contact properties (``email``, ``Telefono``, …)."""
    return [str(v) for k, v in properties.items() if is_contact_property(str(k)) and isinstance(v, str | int)]


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
    return (replace(record, **changes) if changes else record), sorted(changes)


def _scrub_feature(feature: Any, guard: ContactGuard) -> tuple[Any, list[str]]:
    """A carried feature without its contact properties and with contacts scrubbed from its text."""
    props = feature.get("properties") if isinstance(feature, Mapping) else None
    if not isinstance(props, Mapping):
        return feature, []
    kept: dict[str, Any] = {}
    hit: list[str] = []
    for key, value in props.items():
        if is_contact_property(str(key)):
            hit.append(str(key))
            continue
        if isinstance(value, str):
            value, count = guard.scrub(value)
            hit += [str(key)] * bool(count)
        kept[key] = value
    return ({**feature, "properties": kept} if hit else feature), hit


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
    return html.unescape(data.decode("utf-8", errors="replace"))


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
