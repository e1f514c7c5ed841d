"""The ISTAT gazetteer: load the shipped one (:mod:`.shipped`), rebuild it (:mod:`.builder`).

The data lives in the top-level ``gazetteer/`` folder (``mapgen/_data/gazetteer`` in a
wheel); this package is the code that reads and writes it. Importing it loads only the
standard-library table reader; the builder and its data sources load on demand.
"""

from __future__ import annotations

from mapgen.gazetteer.shipped import (
    COMUNI_COLUMNS,
    Gazetteer,
    NameEntry,
    Province,
    Region,
    load_gazetteer,
)

__all__ = ["COMUNI_COLUMNS", "Gazetteer", "NameEntry", "Province", "Region", "load_gazetteer"]
