"""Locate the data folders that ship with mapgen.

In a wheel, ``gazetteer/`` and ``templates/`` are installed as ``mapgen/_data/…``
(see ``[tool.hatch.build.targets.wheel.force-include]``); in a checkout or an
editable install they are the top-level folders of the repository.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from mapgen.errors import MapgenError
from mapgen.i18n import _

__all__ = ["data_dir", "gazetteer_dir", "templates_dir"]


@cache
def data_dir(name: str) -> Path:
    """Return the folder of shipped data called ``name`` (``gazetteer`` or ``templates``)."""
    packaged = Path(str(resources.files("mapgen"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise MapgenError(
        _("mapgen's {name} data folder is missing (looked in {packaged} and {checkout}); reinstall "
          "mapgen.", name=repr(name), packaged=packaged, checkout=checkout)
    )


def gazetteer_dir() -> Path:
    """Return the folder holding the built gazetteer files."""
    return data_dir("gazetteer")


def templates_dir() -> Path:
    """Return the folder holding the Jinja2 templates."""
    return data_dir("templates")
