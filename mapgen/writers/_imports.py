"""Importing a library without the optional libraries it would import too (:func:`imports_without`).

folium and pyogrio each import pandas (pyogrio also geopandas and pyarrow) when they are installed,
for DataFrame features the writers never use: half a second and up to 120 MB in a process that
needs pandas for nothing else (issue 28).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

__all__ = ["imports_without"]


@contextmanager
def imports_without(names: Sequence[str]) -> Iterator[None]:
    """Inside it, an import of one of ``names`` not imported yet raises ImportError.

    A ``None`` in :data:`sys.modules` does that, which a library's optional import expects; the
    entries go after, so that a later import of them finds them as usual. What the library
    decided at its import (that pandas is missing) stays: the caller answers for that.
    """
    left_out = [name for name in names if name not in sys.modules]
    for name in left_out:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in left_out:
            if name in sys.modules and sys.modules.get(name) is None:
                del sys.modules[name]
