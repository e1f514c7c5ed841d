"""One pass: a build with includi, unisci and separa reads the survey once and merges once.

The records a person puts back come from the first reading (the reader keeps them), and the
merge itself tells which unisci/separa lines the title rules already settle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import mapgen.build
import mapgen.readers.survey
from mapgen.build import example_request, run_pipeline
from mapgen.config import load_config
from mapgen.gazetteer import Gazetteer
from mapgen.model import Outcome
from mapgen.readers.survey import read_survey
from tests.corrections.files import ACTIONS, EXAMPLES, write_corrections


def _counted(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Replace ``module.name`` by a wrapper that counts its calls; the list grows by one per call."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_includi_unisci_separa_read_the_survey_once_and_merge_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, gazetteer: Gazetteer
) -> None:
    path = write_corrections(tmp_path / "correzioni.csv", ACTIONS)
    reads = _counted(monkeypatch, mapgen.readers.survey, "read_survey")
    clusterings = _counted(monkeypatch, mapgen.build, "cluster_editions")  # the merge's two halves
    publishings = _counted(monkeypatch, mapgen.build, "publish_practices")
    result = run_pipeline(replace(example_request(), corrections=path), gazetteer=gazetteer)
    assert (len(reads), len(clusterings), len(publishings)) == (1, 1, 1)
    # ... and the three decisions did take effect in that one pass.
    assert {"includi", "unisci", "separa"} <= {a.action for a in result.corrections}
    got = {o.record_id: o for o in result.outcomes}
    assert got["2020-R9-G1"].outcome is Outcome.MAPPED  # an incomplete response put back
    assert got["2020-R10-G1"].initiative_id == got["2020-R10-G2"].initiative_id
    assert got["2020-R79-G1"].initiative_id != got["2019-iniziative-2019-WvfEA"].initiative_id


def test_the_reader_keeps_what_a_second_reading_would_give() -> None:
    """``SurveyRead.incomplete`` holds the records ``include_incomplete`` reads for the excluded responses."""
    config = load_config(EXAMPLES / "mapping.toml")
    first = read_survey(EXAMPLES / "survey_2020.csv", config=config)
    again = read_survey(EXAMPLES / "survey_2020.csv", config=config, include_incomplete=True)
    excluded = {o.record_id for o in first.outcomes_of(Outcome.EXCLUDED)}
    assert first.incomplete  # the example has incomplete responses with a title and a Comune
    assert first.incomplete == tuple(r for r in again.initiatives if r.record_id in excluded)


def test_an_incomplete_repeat_of_a_sent_practice_is_not_kept(tmp_path: Path) -> None:
    """As when read with include_incomplete: a repeat of a practice sent later is a duplicate."""
    path = tmp_path / "survey.csv"
    path.write_text("id,submitdate,Comune,Titolo\n"
                    "1,,Lecce,Nidi\n"  # incomplete, repeated by row 3
                    "2,,Bari,Ludoteca\n"  # incomplete, on its own
                    "3,2020-09-01 10:00:00,Lecce,Nidi\n", encoding="utf-8")
    first = read_survey(path)
    again = read_survey(path, include_incomplete=True)
    assert [r.record_id for r in first.incomplete] == ["2020-R2-G1"]
    assert first.incomplete == tuple(r for r in again.initiatives if r.record_id != "2020-R3-G1")
