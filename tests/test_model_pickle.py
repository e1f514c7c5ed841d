"""The model's records cross processes pickled (:mod:`mapgen._beside`): each comes back whole.

They are pickled as calls of their class (``mapgen.model._pickled_as_calls``), faster to
unpickle than dataclasses' own state: every field must still come back, those left out of
``==`` (``compare=False``) too.
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

from mapgen.build import example_request, run_pipeline
from mapgen.gazetteer import Gazetteer


def _same(a: Any, b: Any) -> bool:
    """Equal field by field, down through dataclasses, tuples and lists, whatever ``compare`` says."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _round_trip(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def test_what_crosses_processes_comes_back_from_pickle_field_by_field(gazetteer: Gazetteer) -> None:
    """The previous maps' records and matches, the outcomes, the diff, the carried layers."""
    result = run_pipeline(example_request(), gazetteer=gazetteer)
    previous = [i for i in result.initiatives if i.record.source.source != "survey"]
    assert previous and any(i.record.properties for i in previous)
    for value in (previous, result.outcomes, result.diff, result.carried_layers, result.notices):
        again = _round_trip(value)
        assert _same(value, again)
    # a field left out of == (Match.raw) still comes back
    raws = [o.match.raw for o in result.outcomes if o.match is not None and o.match.raw]
    assert raws and raws == [o.match.raw for o in _round_trip(result.outcomes) if o.match is not None and o.match.raw]
    # _same can fail: a field lost on the way is seen
    first = result.outcomes[0]
    assert not _same(first, dataclasses.replace(first, reason=first.reason + "x"))
