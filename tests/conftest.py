"""Shared fixtures. Record factories live in ``tests/factories.py``."""

from __future__ import annotations

import pytest

from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.model import BuildResult
from tests import factories


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once."""
    return load_gazetteer()


@pytest.fixture
def sample_build() -> BuildResult:
    """A small BuildResult with two editions, an Ambito, hostile text and every report outcome."""
    return factories.sample_build()
