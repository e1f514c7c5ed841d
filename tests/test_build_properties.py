"""Properties of the whole pipeline on generated inputs (hypothesis).

* Nothing is lost: every survey row and every previous-map feature ends up in exactly one
  outcome, every published initiative is accounted for by its records, and the totals add up.
* Round trips: the GeoJSON the GIS and uMap writers write, read back by ``read_previous``,
  gives the same features, properties and points, and every point falls in its own Comune.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapgen.build import BuildRequest, run_pipeline
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.geocoders.point_in_polygon import assign_comuni
from mapgen.model import BuildResult, Outcome, OutputOptions, Source
from mapgen.readers.previous_map import read_previous
from mapgen.writers.gis import write_gis
from mapgen.writers.report import report_totals
from mapgen.writers.umap import write_umap

# Module-level, not a fixture: hypothesis prints every argument of a failing example.
GAZETTEER = load_gazetteer()
ACTIVE = sorted(GAZETTEER.active(), key=lambda c: c.istat_code)
HEADER = ["id", "submitdate", "Comune", "Provincia", "Titolo", "Descrizione"]
TITLES = ("Centro per le famiglie", "Nidi gratis", "Bonus bebè", "Spazio gioco 0-3", "Ludoteca")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What a Comune cell may hold: a real name (with its sigla or not), a typo, nothing, junk.
comune_cell = st.one_of(
    st.sampled_from(ACTIVE).map(lambda c: (c.name, c.sigla)),
    st.sampled_from(ACTIVE).map(lambda c: (c.name, "")),
    st.sampled_from(["Milno", "Rmoa", "Atlantide", "", "N/A", "73030", "Castro", "San Giovanni"]).map(
        lambda name: (name, "")
    ),
)
# Any text but control characters (the reader's handling of those is tested in test_table/test_bad_inputs).
free_text = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n"), max_size=30)
title_cell = st.one_of(st.sampled_from(TITLES), free_text)
survey_row = st.tuples(comune_cell, title_cell, free_text, st.booleans())  # place, title, text, submitted


@st.composite
def feature(draw: st.DrawFn) -> dict[str, Any]:
    """A previous-map feature: at a Comune's point, without geometry, or with a broken one."""
    comune = draw(st.sampled_from(ACTIVE))
    geometry = draw(st.sampled_from([
        {"type": "Point", "coordinates": [comune.lon, comune.lat]}, None,
        {"type": "Point", "coordinates": []}, {"type": "Point", "coordinates": [1e9, -1e9]},
    ]))  # fmt: skip
    named = draw(st.sampled_from([comune.name, "", "Atlantide"]))
    return {"type": "Feature", "geometry": geometry,
            "properties": {"name": draw(title_cell), "comune": named, "description": draw(free_text)}}  # fmt: skip


def write_inputs(folder: Path, rows: list[Any], features: list[dict[str, Any]]) -> BuildRequest:
    survey = folder / "survey.csv"
    with survey.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number, ((comune, sigla), title, text, submitted) in enumerate(rows, start=1):
            writer.writerow([number, "2020-09-20 10:00:00" if submitted else "", comune, sigla, title, text])
    previous = folder / "previous.geojson"
    previous.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return BuildRequest(survey=survey if rows else None, previous=(previous,) if features else ())


def check_nothing_is_lost(result: BuildResult, rows: int, features: int) -> None:
    survey = Counter(o.source.row for o in result.outcomes if o.source.source == Source.SURVEY)
    previous = Counter(o.source.feature for o in result.outcomes if o.source.source == Source.PREVIOUS)
    assert survey == Counter(range(2, rows + 2))  # one outcome per row: one practice per row here
    assert len(previous) == features and set(previous.values()) <= {1}
    assert len({o.record_id for o in result.outcomes}) == len(result.outcomes)
    published = {i.id: i for i in result.initiatives}
    assert len(published) == len(result.initiatives)
    by_record = {o.record_id: o for o in result.outcomes}
    for item in result.initiatives:
        assert by_record[item.record.record_id].outcome is Outcome.MAPPED
        for older in item.history:
            assert by_record[older.record_id].outcome is Outcome.MERGED
        assert {by_record[r.record_id].initiative_id for r in item.records} == {item.id}
    linked = [o for o in result.outcomes if o.outcome in (Outcome.MAPPED, Outcome.MERGED, Outcome.DUPLICATE)]
    # a duplicate points at what its kept twin became: nothing when the twin could not be placed
    assert all(o.initiative_id in published for o in linked if o.initiative_id or o.outcome is not Outcome.DUPLICATE)
    mapped = [o for o in result.outcomes if o.outcome is Outcome.MAPPED]
    assert len(mapped) == len(result.initiatives)
    unlinked = [o for o in result.outcomes if o not in linked]
    assert [o for o in unlinked if o.initiative_id] == []
    totals = report_totals(result)
    assert totals.inputs == rows + features
    assert totals.orphans == ()
    assert any(line.endswith("(ok)") for line in totals.lines())


@pytest.mark.slow
@SETTINGS
@given(rows=st.lists(survey_row, max_size=12), features=st.lists(feature(), max_size=8))
def test_every_row_and_feature_has_exactly_one_outcome(rows: list[Any], features: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        request = write_inputs(Path(folder), rows, features)
        if request.survey is None and not request.previous:
            return
        result = run_pipeline(request, gazetteer=GAZETTEER)
    check_nothing_is_lost(result, len(rows), len(features))


# --- round trips ----------------------------------------------------------------------------


def _written(folder: Path, rows: list[Any], gazetteer: Gazetteer) -> tuple[BuildResult, Path]:
    result = run_pipeline(write_inputs(folder, rows, []), gazetteer=gazetteer)
    out = folder / "out"
    out.mkdir()
    options = OutputOptions()
    write_gis(result, out, gazetteer=gazetteer, options=options)
    write_umap(result, out, gazetteer=gazetteer, options=options)
    return result, out


placed_row = st.tuples(st.sampled_from(ACTIVE).map(lambda c: (c.name, c.sigla)), title_cell, free_text, st.just(True))


@pytest.mark.slow
@SETTINGS
@given(rows=st.lists(placed_row, min_size=1, max_size=10))
def test_gis_geojson_reads_back_the_same(rows: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        result, out = _written(Path(folder), rows, GAZETTEER)
        path = out / "initiatives.geojson"
        written = json.loads(path.read_text(encoding="utf-8"))["features"]
        edition = read_previous(path)
    edition.check_counts()
    assert edition.problems == ()
    assert [i.properties for i in edition.initiatives] == [f["properties"] for f in written]
    assert [i.point for i in edition.initiatives] == [tuple(f["geometry"]["coordinates"]) for f in written]
    by_id = {i.id: i for i in result.initiatives}
    for record in edition.initiatives:
        original = by_id[record.properties["id"]].record
        assert (record.titolo, record.descrizione) == (original.titolo, original.descrizione)
    _check_points_fall_in_their_comune(edition.initiatives, GAZETTEER, key="istat")


@pytest.mark.slow
@SETTINGS
@given(rows=st.lists(placed_row, min_size=1, max_size=10))
def test_umap_layers_read_back_the_same(rows: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        result, out = _written(Path(folder), rows, GAZETTEER)
        for path in sorted((out / "layers").glob("*.geojson")):
            written = json.loads(path.read_text(encoding="utf-8"))
            edition = read_previous(path)
            edition.check_counts()
            assert edition.problems == ()
            assert [i.properties for i in edition.initiatives] == [f["properties"] for f in written["features"]]
            assert [i.titolo for i in edition.initiatives] == [f["properties"]["name"] for f in written["features"]]
            initiatives = [i for i in edition.initiatives if "istat" in i.properties and "codice" in i.properties]
            _check_points_fall_in_their_comune(initiatives, GAZETTEER, key="istat")
    assert len(result.initiatives) == len(rows) - len(result.outcomes) + len(result.initiatives)


def _check_points_fall_in_their_comune(records: Any, gazetteer: Gazetteer, *, key: str) -> None:
    """Reading a written point back places it in the Comune the file names."""
    matches = assign_comuni(list(records), gazetteer)
    assert [m.istat_code for m in matches] == [r.properties[key] for r in records]
