"""The bundled example built without and with the corrections file that holds every action."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mapgen.build import example_request, run_pipeline
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult
from tests.corrections.files import ACTIONS, write_corrections


@pytest.fixture(scope="package")
def gazetteer_() -> Gazetteer:
    from mapgen.gazetteer import load_gazetteer

    return load_gazetteer()


@pytest.fixture(scope="package")
def baseline(gazetteer_: Gazetteer) -> BuildResult:
    return run_pipeline(example_request(), gazetteer=gazetteer_)


@pytest.fixture(scope="package")
def corrected(tmp_path_factory: pytest.TempPathFactory, gazetteer_: Gazetteer) -> BuildResult:
    path = write_corrections(tmp_path_factory.mktemp("c") / "correzioni.csv", ACTIONS)
    return run_pipeline(replace(example_request(), corrections=path), gazetteer=gazetteer_)
