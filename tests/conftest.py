"""Shared fixtures. Record factories live in ``tests/factories.py``."""

from __future__ import annotations

import pytest

from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.model import BuildResult
from tests import factories


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="Rewrite the golden files in tests/golden/ from the current output; read every diff.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite the golden files (``--update-golden``)."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once."""
    return load_gazetteer()


@pytest.fixture
def sample_build() -> BuildResult:
    """A small BuildResult with two editions, an Ambito, hostile text and every report outcome."""
    return factories.sample_build()
