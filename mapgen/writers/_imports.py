"""Importing a library without the optional libraries it would import too (:func:`imports_without`),
or one module of a package without the package's other modules (:func:`import_submodule_alone`).

folium and pyogrio each import pandas (pyogrio also geopandas and pyarrow) when they are installed,
for DataFrame features the writers never use: half a second and up to 120 MB in a process that
needs pandas for nothing else (issue 28).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

__all__ = ["import_submodule_alone", "imports_without"]


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


def import_submodule_alone(name: str) -> ModuleType:
    """Import ``package.module`` without running ``package/__init__.py``; the module, for its names.

    folium's ``plugins/__init__.py`` imports its 37 plugins, each compiling its Jinja templates
    (0.15-0.2 s of the preview's process), for the one the preview uses. The package is stood in
    for while the module is imported, then both leave :data:`sys.modules`: an import of them
    later, here or by anyone, is the usual one.
    """
    package, _, _ = name.rpartition(".")
    if package in sys.modules:
        return importlib.import_module(name)
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{package} is not an installed package", name=package)
    sys.modules[package] = importlib.util.module_from_spec(spec)  # its __path__, without its code
    try:
        return importlib.import_module(name)
    finally:
        del sys.modules[package]
        sys.modules.pop(name, None)
