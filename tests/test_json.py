"""mapgen._json: orjson's text, byte for byte what json.dumps wrote before (issue 28).

The reference is the standard library's :func:`json.dumps` with the options the uMap writer and
the preview used; hypothesis draws any JSON value the writers can meet, with floats over their
whole range (orjson writes those below 1e-4 unlike json) and any text.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.utils import htmlsafe_json_dumps

from mapgen._json import dumps, finite, html_safe

_finite_floats = st.floats(allow_nan=False, allow_infinity=False)
_tiny_floats = st.floats(min_value=-1e-4, max_value=1e-4, allow_nan=False, exclude_min=True, exclude_max=True)
_texts = st.text(st.characters(codec="utf-8"))  # any character a UTF-8 file can hold
_scalars = st.none() | st.booleans() | st.integers() | _finite_floats | _tiny_floats | _texts
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(_texts, children, max_size=6),
    max_leaves=40,
)


def _reference(data: object, *, sort_keys: bool) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(data=_values, sort_keys=st.booleans())
def test_same_bytes_as_json_dumps(data: object, sort_keys: bool) -> None:
    assert dumps(data, sort_keys=sort_keys) == _reference(data, sort_keys=sort_keys)


@pytest.mark.parametrize(
    "value",
    [1e-05, -7.63775e-05, 6.5159e-06, 1e-07, 2.3523573848418126e-09, 5e-324, 1e-10, 0.0001, 1e16, 1e100],
)
def test_floats_orjson_writes_otherwise(value: float) -> None:
    # orjson writes 1e-05 as 0.00001 and 1e-07 as 1e-7: the text must still be json's
    assert dumps({"v": [value, "e-mail"]}, sort_keys=True) == _reference({"v": [value, "e-mail"]}, sort_keys=True)


def test_text_that_looks_like_a_tiny_float_is_kept() -> None:
    # only costs json's pass: the text is the same either way
    data = {"a": "0.00001 e-5 10.00001", "b": 10.000012}
    assert dumps(data, sort_keys=True) == _reference(data, sort_keys=True)


def test_what_orjson_refuses_is_written_by_json() -> None:
    data = {1: [2**70, -(2**65)]}  # a key that is not text; integers beyond 64 bits
    assert dumps(data, sort_keys=True) == _reference(data, sort_keys=True)


def test_nan_and_infinity_are_null() -> None:
    assert dumps([math.nan, math.inf, -math.inf, 1.5]) == b"[null,null,null,1.5]"
    assert dumps({"a": math.nan, "b": 1e-05}, sort_keys=True) == b'{"a":null,"b":1e-05}'  # json's pass too


def test_what_json_refuses_is_still_refused() -> None:
    import dataclasses
    from datetime import date

    @dataclasses.dataclass
    class Point:
        x: int

    for value in (Point(1), date(2026, 1, 1), object()):
        with pytest.raises(TypeError):
            dumps({"v": value})


def test_a_lone_surrogate_fails_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        dumps(["\ud800"])


@settings(max_examples=200, deadline=None)
@given(data=_values)
def test_html_safe_is_jinjas_tojson(data: object) -> None:
    expected = htmlsafe_json_dumps(data, dumps=json.dumps, ensure_ascii=False, separators=(",", ":"))
    assert html_safe(dumps(data)).decode("utf-8") == str(expected)


def test_finite() -> None:
    value = {"a": [1.0, math.nan, {"b": math.inf}], "c": "NaN", "d": (math.nan,)}
    assert finite(value) == ({"a": [1.0, None, {"b": None}], "c": "NaN", "d": [None]}, 3)
    unchanged = {"a": [1.0, 2]}
    assert finite(unchanged)[0] is unchanged


def test_the_bytes_take_no_more_memory_than_their_text() -> None:
    """orjson's own bytes keep the buffer they were written in (4 KB for 20 bytes): the uMap
    writer holds 8,000 features' JSON at once, 64 MB instead of 6 before they were copied."""
    import tracemalloc

    tracemalloc.start()
    try:
        texts = [dumps({"descrizione": "x" * 700, "n": n}) for n in range(1_000)]
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 2 * sum(len(text) for text in texts)
