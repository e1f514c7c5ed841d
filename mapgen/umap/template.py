"""uMap's own template step, in Python: ``{key}`` placeholders and line breaks.

uMap 3.8.1 fills a feature's text with ``utils.js`` ``greedyTemplate`` before it applies its
markup; both :mod:`mapgen.umap.markup` (what is published) and
:mod:`mapgen.umap.html` (what the preview shows) need the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from mapgen.contacts import holds_contact, is_contact_property

__all__ = ["PLACEHOLDER", "fill_placeholders", "fill_within", "markup_within_limits", "normalise_lines"]

#: uMap's link and image rules cost, per ``[[`` or ``{{``, a scan of the rest of the text (in
#: uMap as in Python): past these sizes a text is shown as typed, not formatted, so that a
#: hostile description cannot stall the build (20,000 characters of ``[[a `` took 2.4 s).
MARKUP_MAX_CHARS: Final = 100_000
MARKUP_MAX_OPENINGS: Final = 500

#: utils.js greedyTemplate: {key}, {key|other}, {key|"fallback"}, {a.b}.
PLACEHOLDER: Final = re.compile(r'\{ *([^{}/-]+)(?:\|("[^"]*"))? *\}')
_NEWLINES = re.compile(r"\r\n|[\r\u2028\u2029\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHANGED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")  # what the two above touch


def normalise_lines(text: str) -> str:
    """Line breaks as ``\\n`` only, control characters removed."""
    if not _CHANGED.search(text):
        return text
    return _CONTROL.sub("", _NEWLINES.sub("\n", text))


def fill_placeholders(text: str, properties: Mapping[str, Any]) -> str:
    """uMap's greedyTemplate, once: ``{key}``, ``{a.b}``, ``{key|other|"fallback"}``.

    A key that is not there, names a contact property (``email``, ``email_referente``,
    ``Telefono Ufficio``...) or holds a contact (an e-mail address or a telephone number,
    also inside a list or an object) fills nothing: the text of a public map must not pull
    a contact back in.
    """
    return PLACEHOLDER.sub(lambda match: _placeholder_value(match, properties), text)


def fill_within(text: str, properties: Mapping[str, Any], limit: int = MARKUP_MAX_CHARS) -> str | None:
    """:func:`fill_placeholders`, or None as soon as the filled text would pass ``limit`` characters.

    Filling multiplies: 20,000 ``{a}`` of a 25 KB value made 500 MB of one description, and a
    layer template of 20,000 ``{description}`` as much per feature. Each distinct placeholder
    is looked up once, and the work stops at the limit, so a text costs at most its own length
    plus ``limit``.
    """
    parts: list[str] = []
    values: dict[tuple[str, str | None], str] = {}
    size = end = 0
    for match in PLACEHOLDER.finditer(text):
        key = (match.group(1), match.group(2))
        value = values.get(key)
        if value is None:
            value = values[key] = _placeholder_value(match, properties)
        size += match.start() - end + len(value)
        if size > limit:
            return None
        parts += (text[end : match.start()], value)
        end = match.end()
    if size + len(text) - end > limit:
        return None
    parts.append(text[end:])
    return "".join(parts)


def _placeholder_value(match: re.Match[str], properties: Mapping[str, Any]) -> str:
    """greedyTemplate's value: the first key found, else the quoted fallback, else nothing."""
    keys = match.group(1).split("|")
    if match.group(2) is not None:
        keys.append(match.group(2))
    for key in keys:
        if key.startswith('"') and key.endswith('"'):
            return key[1:-1]
        value: Any = properties
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) and not is_contact_property(part) else None
        if value is not None and not holds_contact(value):  # a contact is a key that is not there
            return _js_string(value)
    return ""


def _js_string(value: Any) -> str:
    """What JavaScript's ``String(value)`` gives for a JSON value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def markup_within_limits(text: str) -> bool:
    """True when uMap's markup can be applied to ``text`` in reasonable time."""
    return len(text) <= MARKUP_MAX_CHARS and text.count("[[") + text.count("{{") <= MARKUP_MAX_OPENINGS
