"""The headings of a LimeSurvey export, in any of its four heading modes, indexed once.

LimeSurvey's export dialog writes the header row in one of four ways:

* question code: ``id``, ``submitdate``, ``G01Q03``, ``area[SQ001]``, ``area[other]``;
* full question text: ``ID risposta``, ``Comune``, ``Area di intervento [Infanzia]``;
* code and text (LimeSurvey 5/6): ``id. ID risposta``, ``area[SQ001]. Area di intervento [Infanzia]``;
* abbreviated text: the text cut to 15 characters, ``Area di interve.. [Infanzia]``.

:class:`Headings` splits every header into its code and its text once, so that a
mapping written with codes finds its columns in code and code+text files, a
mapping written with texts finds them in text and code+text files, and, with
the survey's structure file, any mapping finds them in any file. Every lookup
is a dictionary access: laying out a table costs one pass over its columns
whatever the number of practice groups.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from mapgen.text import fold

__all__ = ["Heading", "Headings", "Style", "flatten_text", "parse_heading"]

Style = Literal["code", "codetext", "text"]

_CODE: Final = r"[A-Za-z][A-Za-z0-9_]*"
_CODE_HEADING: Final = re.compile(rf"^(?P<base>{_CODE})(?:\[(?P<sub>[^\[\]]*)\])?$")
_CODETEXT_HEADING: Final = re.compile(
    rf"^(?P<code>{_CODE}(?:\[[^\[\]]*\])?)\.(?:\s+(?P<text>.*))?$", re.DOTALL
)
_TEXT_SUB: Final = re.compile(r"^(?P<base>.*?)\s*\[(?P<sub>[^\[\]]*)\]$", re.DOTALL)
#: LimeSurvey 2.x numbered full-text headings: "7 - Comune".
_NUMBERED: Final = re.compile(r"^\d{1,4}\s+-\s+")
_TAGS: Final = re.compile(r"<[^>]*>")
#: LimeSurvey's abbreviated headings end a cut text with "..".
ELLIPSIS: Final = ".."

#: LimeSurvey's own columns, by code, and their labels in the languages offices use.
SYSTEM_LABELS: Final[Mapping[str, tuple[str, ...]]] = {
    "id": ("response id", "id risposta", "id della risposta", "antwort id", "antwort-id",
           "id de la reponse", "id de respuesta", "id de la respuesta"),
    "submitdate": ("date submitted", "data invio", "data di invio", "data completamento",
                   "datum abgeschickt", "date de soumission", "date d'envoi", "date d envoi",
                   "fecha de envio", "fecha de envío"),
    "lastpage": ("last page", "ultima pagina", "letzte seite", "derniere page", "ultima pagina"),
    "startlanguage": ("start language", "lingua iniziale", "start-sprache", "startsprache",
                      "langue de depart", "idioma inicial"),
    "seed": ("seed", "seme", "zufallszahl", "graine", "semilla"),
    "startdate": ("date started", "data di inizio risposta", "datum gestartet",
                  "date de debut", "fecha de inicio"),
    "datestamp": ("date last action", "data ultima azione", "datum der letzten aktivitat",
                  "date de la derniere action", "fecha de la ultima accion"),
    "ipaddr": ("ip address", "indirizzo ip", "ip-adresse", "adresse ip", "direccion ip"),
    "refurl": ("referrer url", "url di provenienza", "referrer-url", "url referente",
               "url de referencia"),
    "token": ("token", "access code", "codice di accesso", "zugangsschlussel", "code d'acces",
              "codigo de acceso"),
}  # fmt: skip
_FOLDED_LABELS: Final = {code: tuple(dict.fromkeys(fold(label) for label in labels))
                         for code, labels in SYSTEM_LABELS.items()}  # fmt: skip


def flatten_text(text: str) -> str:
    """A question text as LimeSurvey prints it in a heading: no tags, entities decoded, one space."""
    text = html.unescape(_TAGS.sub(" ", text)).replace("\u00a0", " ")
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Heading:
    """One header split into LimeSurvey's code and text.

    ``code`` is ``G01Q03`` or ``area[SQ001]`` (``""`` when the header holds no
    code), ``base_code``/``sub_code`` its two halves; ``text`` is the question
    text part (``""`` for a code heading), ``base_text``/``sub_text`` its halves.
    """

    header: str
    code: str = ""
    base_code: str = ""
    sub_code: str = ""
    text: str = ""
    base_text: str = ""
    sub_text: str = ""


def _text_parts(text: str) -> tuple[str, str]:
    text = _NUMBERED.sub("", flatten_text(text))
    match = _TEXT_SUB.match(text)
    if match is None or not match.group("base"):
        return text, ""
    return match.group("base"), match.group("sub").strip()


def parse_heading(header: str, style: Style) -> Heading:
    """Split ``header`` as a heading of the given style (see :func:`heading_style`)."""
    if style == "codetext":
        match = _CODETEXT_HEADING.match(header)
        if match is not None:
            code, text = match.group("code"), match.group("text") or ""
            base, sub = _split_code(code)
            base_text, sub_text = _text_parts(text)
            return Heading(header, code, base, sub, flatten_text(text), base_text, sub_text)
    if style in ("code", "codetext") and _CODE_HEADING.match(header):
        base, sub = _split_code(header)
        return Heading(header, header, base, sub)
    base_text, sub_text = _text_parts(header)
    text = _NUMBERED.sub("", flatten_text(header))
    return Heading(header, text=text, base_text=base_text, sub_text=sub_text)


def _split_code(code: str) -> tuple[str, str]:
    match = _CODE_HEADING.match(code)
    if match is None:
        return code, ""
    return match.group("base"), match.group("sub") or ""


def heading_style(columns: Sequence[str]) -> Style:
    """Which heading mode wrote these headers: ``code``, ``codetext`` or ``text``.

    Code+text headings all have the ``code. text`` shape (``id. ID risposta``);
    code headings are LimeSurvey's ``id``/``submitdate`` beside code-shaped
    names. Anything else is read as text.
    """
    if not columns:
        return "text"
    codetext = sum(1 for c in columns if _CODETEXT_HEADING.match(c))
    if (codetext * 2 > len(columns) and len(columns) >= 3) or any(
        c.startswith(("id. ", "submitdate. ")) for c in columns
    ):
        return "codetext"
    codes = sum(1 for c in columns if _CODE_HEADING.match(c))
    if {"id", "submitdate"} & set(columns) and codes * 5 >= len(columns) * 4:
        return "code"
    return "text"


@dataclass
class Headings:
    """Every header of one table, split and indexed for lookups by name, code or text."""

    columns: Sequence[str]
    style: Style
    parsed: list[Heading] = field(default_factory=list)
    by_name: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_folded: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_code: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_text: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    code_family: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    text_family: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    underscore_family: dict[str, list[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def of(
        cls,
        columns: Sequence[str],
        codes: Mapping[int, str] | None = None,
        texts: Mapping[int, str] | None = None,
    ) -> Headings:
        """Index ``columns``; the structure file gives the ``codes`` of text headings and the
        ``texts`` of code headings, so that either kind of mapping finds them."""
        headings = cls(columns, heading_style(columns))
        for index, header in enumerate(columns):
            heading = parse_heading(header, headings.style)
            known = (codes or {}).get(index)
            if known and not heading.code:
                base, sub = _split_code(known)
                heading = Heading(header, known, base, sub, heading.text, heading.base_text,
                                  heading.sub_text)  # fmt: skip
            text = (texts or {}).get(index)
            if text and not heading.text:
                base_text, sub_text = _text_parts(text)
                heading = Heading(header, heading.code, heading.base_code, heading.sub_code,
                                  flatten_text(text), base_text, sub_text)  # fmt: skip
            headings._add(index, heading)
        return headings

    def _add(self, index: int, heading: Heading) -> None:
        self.parsed.append(heading)
        self.by_name[heading.header].append(index)
        self.by_folded[fold(heading.header)].append(index)
        if heading.code:
            self.by_code[heading.code.casefold()].append(index)
            if heading.sub_code or heading.code != heading.base_code:
                self.code_family[heading.base_code.casefold()].append((index, heading.sub_code))
        if heading.text:
            self.by_text[fold(heading.text)].append(index)
            if heading.sub_text or heading.text.endswith("[]"):
                self.text_family[fold(heading.base_text)].append((index, heading.sub_text))
        if "_" in heading.header and (not heading.code or self.style == "code"):
            # some tools write sub-columns as area_SQ001: every split at "_" is a candidate
            name = heading.header
            for cut in (m.start() for m in re.finditer("_", name)):
                if cut and re.fullmatch(r"\w+", name[:cut]):
                    self.underscore_family[name[:cut]].append((index, name[cut + 1 :]))

    @property
    def carries_codes(self) -> bool:
        """True when the headers name question codes (code or code+text headings)."""
        return self.style != "text" or bool(self.by_code)

    def system_column(self, code: str) -> list[int]:
        """The columns of LimeSurvey's own field ``code`` (``id``, ``submitdate``…), any language."""
        found = self.by_code.get(code.casefold(), [])
        if found:
            return list(found)
        if code in self.by_name:
            return list(self.by_name[code])
        found = []
        for label in _FOLDED_LABELS[code]:  # a dict access per label, never a scan
            found += self.by_text.get(label, []) or self.by_folded.get(label, [])
        return sorted(set(found))

    def system_codes(self) -> set[str]:
        """Which of LimeSurvey's own fields the table has (a LimeSurvey export has several)."""
        return {code for code in SYSTEM_LABELS if self.system_column(code)}
