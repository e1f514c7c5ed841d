"""JSON written by orjson, byte for byte as :func:`json.dumps` writes it.

The uMap files and the preview's data are the build's largest texts (18 MB of JSON at 10,000
initiatives); :func:`json.dumps` took 0.3 s for them, orjson a third of that, and its UTF-8
comes out as bytes, so nothing is encoded again. Both write the same text for everything the
build writes (strings with any character, integers, booleans, null, containers) except a
float below 1e-4 (``1e-05`` is orjson's ``0.00001``, ``1e-07`` its ``1e-7``): where orjson's
text may hold one, or where orjson refuses a value (an integer beyond 64 bits, a key that is
not a string, a lone surrogate), the text is :func:`json.dumps`'s. A NaN or an infinity,
which JSON cannot hold and :func:`json.dumps` writes as ``NaN`` (or refuses), is ``null`` here,
as the previous map's reader makes it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

__all__ = ["HTML_SAFE_ESCAPES", "dumps", "finite", "html_safe"]

#: Where orjson writes a float below 1e-4 differently: ``0.0000…`` (json: ``1e-05``) and an
#: exponent of one digit (json: two). Found in text as well, which only costs json's pass.
_TINY_FIXED: Final = re.compile(rb"0\.0000")
_SHORT_EXPONENT: Final = re.compile(rb"e-[0-9](?![0-9])")
_DIGITS: Final = frozenset(b"0123456789")


def dumps(data: Any, *, sort_keys: bool = False) -> bytes:
    """``data`` as compact JSON in UTF-8: ``json.dumps(data, ensure_ascii=False,
    separators=(",", ":"), sort_keys=sort_keys).encode()``, NaN and infinities as null.

    Examples
    --------
    >>> dumps({"b": [1, 2.5, None], "a": "città"}, sort_keys=True).decode()
    '{"a":"città","b":[1,2.5,null]}'
    >>> dumps([0.00001, 1e-7])
    b'[1e-05,1e-07]'
    """
    import orjson  # 10 ms: where JSON is written, not in every module that uses this one

    # What orjson serialises and json does not (dataclasses, dates) is left to json, which refuses it.
    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    if sort_keys:
        options |= orjson.OPT_SORT_KEYS
    try:
        text = orjson.dumps(data, option=options)
    except orjson.JSONEncodeError:
        text = None
    if text is None or _may_hold_tiny_float(text):
        return json.dumps(finite(data)[0], ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys,
                          allow_nan=False).encode("utf-8")
    # orjson's bytes keep the buffer it wrote them in (4 KB for a text of 20 bytes, 65 KB for one of
    # 5 KB): a copy of its length, or 8,000 features' JSON held at once took 64 MB instead of 6.
    return memoryview(text).tobytes()


#: What Jinja's ``htmlsafe_json_dumps`` (``|tojson``) escapes, so that no text ends a script element.
HTML_SAFE_ESCAPES: Final = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), (b"'", b"\\u0027"))


def html_safe(json_text: bytes) -> bytes:
    """``json_text`` as ``|tojson`` writes it: < > & ' as \\u00XX escapes (the same JSON value)."""
    for char, escaped in HTML_SAFE_ESCAPES:
        json_text = json_text.replace(char, escaped)
    return json_text


def finite(value: Any) -> tuple[Any, int]:
    """``value`` with NaN and ±Infinity (which Python's JSON reads, and no GeoJSON allows) as None.

    Returns the cleaned value and how many numbers were replaced; the value itself is
    returned unchanged when there were none.
    """
    if isinstance(value, float):
        return (value, 0) if math.isfinite(value) else (None, 1)
    if isinstance(value, dict):  # only numbers and containers can hold NaN: text is passed over
        items = {key: finite(item) for key, item in value.items() if isinstance(item, float | dict | list | tuple)}
        count = sum(n for _, n in items.values())
        return ({**value, **{key: item for key, (item, _) in items.items()}} if count else value), count
    if isinstance(value, list | tuple):
        cleaned = [finite(item) for item in value]
        count = sum(n for _, n in cleaned)
        return ([item for item, _ in cleaned] if count else value), count
    return value, 0


def _may_hold_tiny_float(text: bytes) -> bool:
    """True where ``text`` may hold a float that orjson writes unlike json (see the module)."""
    if any(start == 0 or text[start - 1] not in _DIGITS for start in _starts(_TINY_FIXED, text)):
        return True
    return any(start > 0 and text[start - 1] in _DIGITS for start in _starts(_SHORT_EXPONENT, text))


def _starts(pattern: re.Pattern[bytes], text: bytes) -> list[int]:
    return [match.start() for match in pattern.finditer(text)]
