"""The whole pipeline on the bundled example: every input accounted for, outputs swapped in safely."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mapgen import build as build_module
from mapgen.build import OUTPUT_MARKER, BuildRequest, build, example_request, run_pipeline
from mapgen.errors import InputError, OutputError
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, Match, Outcome, Place, Source
from mapgen.readers.table import read_table
from mapgen.writers.report import report_totals

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture(scope="module")
def example_result() -> BuildResult:
    return run_pipeline(example_request())


def test_every_survey_row_is_accounted_for(example_result: BuildResult) -> None:
    # Counted independently of mapgen's survey reader: the raw CSV's data rows.
    with (EXAMPLES / "survey_2020.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    survey_rows = {o.source.row for o in example_result.outcomes if o.source.source is Source.SURVEY}
    assert survey_rows == set(range(2, len(rows) + 2))


def test_every_previous_feature_is_accounted_for_once(example_result: BuildResult) -> None:
    backup = json.loads((EXAMPLES / "previous_2019.umap").read_text(encoding="utf-8"))
    features = sum(len(layer["features"]) for layer in backup["layers"])
    previous = [o for o in example_result.outcomes if o.source.source is Source.PREVIOUS]
    assert len(previous) == features
    assert len({(o.source.layer, o.source.feature) for o in previous}) == features


def test_totals_add_up_and_every_initiative_is_reached(example_result: BuildResult) -> None:
    totals = report_totals(example_result)
    assert totals.adds_up
    counts = Counter(o.outcome for o in example_result.outcomes)
    assert counts[Outcome.MAPPED] == len(example_result.initiatives)
    targets = {o.initiative_id for o in example_result.outcomes if o.initiative_id}
    assert targets == {i.id for i in example_result.initiatives}


def test_editions_are_joined(example_result: BuildResult) -> None:
    both = [i for i in example_result.initiatives if i.edizioni == (2019, 2020)]
    assert len(both) > 20
    assert all(i.record.edition == 2020 and i.history[0].edition == 2019 for i in both)
    assert set(example_result.diff.continued) == {i.id for i in both}
    assert example_result.carried_layers[0].name == "Progetti regionali"


def test_survey_duplicates_point_at_a_published_initiative(example_result: BuildResult) -> None:
    ids = {i.id for i in example_result.initiatives}
    duplicates = [o for o in example_result.outcomes if o.outcome is Outcome.DUPLICATE]
    assert duplicates
    assert all(o.initiative_id in ids for o in duplicates if o.initiative_id)


def test_the_example_places_practices_of_registered_unioni(example_result: BuildResult) -> None:
    """Lead Comuni that answered for their Unione (issue 26): placed at the lead, with the members."""
    associated = [i for i in example_result.initiatives if i.association is not None]
    assert len({i.association.id for i in associated if i.association}) == 9
    for item in associated:
        assert item.association is not None and item.comune.istat_code in item.association.members
        assert item.members, item.id
    # Checked by hand in examples/survey_2020.csv (response 251) and the register: Castro (LE)
    # named «COSTA ORIENTALE», members left blank, so the register's four Comuni are used.
    castro = [i for i in associated if i.comune.label == "Castro (LE)"]
    assert castro and {m.name for m in castro[0].members} == {
        "Castro", "Minervino di Lecce", "Ortelle", "Santa Cesarea Terme"}
    # Response 228, Campofiorito for the «Unione Corleonese»: Campofiorito and Corleone.
    campofiorito = [i for i in associated if i.comune.name == "Campofiorito"]
    assert campofiorito and {m.name for m in campofiorito[0].members} == {"Campofiorito", "Corleone"}


def test_nothing_to_build_is_an_error() -> None:
    with pytest.raises(InputError, match="nothing to build"):
        run_pipeline(BuildRequest(survey=None))


@pytest.mark.slow
def test_build_writes_every_output_and_replaces_its_own_folder(tmp_path: Path) -> None:
    out = tmp_path / "output"
    summary = build(example_request(out))
    names = {p.as_posix() for p in summary.files}
    assert {"map.umap", "preview.html", "initiatives.gpkg", "initiatives.csv", "initiatives.geojson",
            "initiatives.xlsx", "report.html", "report.csv"} <= names
    assert any(n.startswith("layers/") for n in names)
    assert (out / OUTPUT_MARKER).exists()
    report = read_table(out / "report.csv")
    assert len(report.rows) == len(summary.result.outcomes)
    (out / "stale.txt").write_text("from an older build")
    build(replace(example_request(out), preview=False))
    assert not (out / "stale.txt").exists() and not (out / "preview.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["output"]  # no staging folder left behind


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(OutputError, match="mapgen did not write"):
        build(example_request(tmp_path))
    assert (tmp_path / "mine.txt").read_text() == "precious"


@pytest.mark.slow
def test_a_failing_writer_leaves_the_previous_outputs_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "output"
    build(replace(example_request(out), preview=False))
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken_writers(options: object) -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
        def fail(*args: object, **kwargs: object) -> list[Path]:
            raise OSError("disk full")

        return [("uMap", fail)], []

    monkeypatch.setattr(build_module, "_lanes_of_writers", broken_writers)
    with pytest.raises(OSError, match="disk full"):
        build(example_request(out))
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["output"]


# --- the second process (mapgen._beside) ---------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_the_build_in_two_processes_writes_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous map read beside the survey, the members resolved beside the clustering and the
    writers in two lanes: the same bytes."""
    monkeypatch.setattr("mapgen.build._FORK_MERGE_FROM", 0)  # the example is smaller than that
    _assert_forked_writes_what_one_process_writes(tmp_path, monkeypatch)


def _assert_forked_writes_what_one_process_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example built in two processes where they help, then in one: the same files, byte for byte."""
    written = {}
    for fork in (True, False):
        monkeypatch.setattr("mapgen._beside.can_fork", lambda fork=fork: fork)
        out = tmp_path / f"fork-{fork}"
        build(example_request(out))
        written[fork] = _files(out)
    assert sorted(written[True]) == sorted(written[False])
    assert [name for name in written[True] if written[True][name] != written[False][name]] == []


@pytest.mark.slow
def test_the_survey_places_the_other_process_geocodes_give_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous maps' process, once done, takes a share of the survey's places (their
    offline answers): slowed down here, this process leaves it most of them; the same bytes."""
    import os
    import time

    from mapgen.geocoders import Geocoder

    parent, answer_offline, learn = os.getpid(), Geocoder.answer_offline, Geocoder.learn
    learned: list[int] = []

    def slower_here(self: Geocoder, places: Any) -> Any:
        if os.getpid() == parent:
            time.sleep(0.05)
        return answer_offline(self, places)

    def counted(self: Geocoder, answers: Any) -> None:
        learned.append(len(answers))
        learn(self, answers)

    monkeypatch.setattr(Geocoder, "answer_offline", slower_here)
    monkeypatch.setattr(Geocoder, "learn", counted)
    monkeypatch.setattr("mapgen.build._PLACES_A_CHUNK", 1)
    _assert_forked_writes_what_one_process_writes(tmp_path, monkeypatch)
    assert learned[0] > 10  # answers found in the other process
    assert learned[1] == 0  # one process: none


@pytest.mark.parametrize("fork", [True, False])
def test_a_broken_previous_map_read_beside_the_survey_stops_the_build_with_its_own_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    from mapgen.readers.previous_map import read_previous

    monkeypatch.setattr("mapgen._beside.can_fork", lambda: fork)
    broken = tmp_path / "mappa_2019.umap"
    broken.write_text('{"type": "umap", "layers": [{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(InputError) as alone:
        read_previous(broken)
    with pytest.raises(InputError) as beside:
        run_pipeline(replace(example_request(tmp_path / "output"), previous=(broken,)))
    assert str(beside.value) == str(alone.value)
    assert "mappa_2019.umap" in str(beside.value)


def test_the_members_resolved_beside_the_clustering_are_all_the_publishing_asks_for(
    monkeypatch: pytest.MonkeyPatch, gazetteer: Gazetteer
) -> None:
    """Every member Comune the publishing resolves was resolved ahead (in the other process)."""
    import mapgen.build

    monkeypatch.setattr("mapgen.build._FORK_MERGE_FROM", 0)
    real = mapgen.build.publish_practices
    asked: list[Place] = []

    def publish(clustered: Any, *, resolve_member: Any, **kwargs: Any) -> Any:
        def cached_only(place: Place) -> Match:
            asked.append(place)
            assert place in resolve_member.answers, place
            return resolve_member(place)

        return real(clustered, resolve_member=cached_only, **kwargs)

    monkeypatch.setattr(mapgen.build, "publish_practices", publish)
    result = run_pipeline(example_request(), gazetteer=gazetteer)
    assert len(asked) > 20  # the example's associations name their members
    assert any(i.members for i in result.initiatives)


def test_both_sides_of_the_merge_take_parts_of_the_contact_scan(
    monkeypatch: pytest.MonkeyPatch, gazetteer: Gazetteer
) -> None:
    """Each part scanned as it is taken (not all taken first): the side that comes second still
    finds parts to scan, each part is scanned once, and the parts joined are the whole scan."""
    import multiprocessing
    import os
    import time

    from mapgen._beside import run_beside
    from mapgen.contacts import scan_for_contacts, scan_part

    result = run_pipeline(example_request(), gazetteer=gazetteer)
    records = [r for i in result.initiatives for r in i.records]
    layers = list(result.carried_layers)
    monkeypatch.setattr(build_module._SharedScan, "PART", 4)

    here_pid = os.getpid()
    there_scans = multiprocessing.get_context("fork").Event()

    def spans_only(contacts: Any, records: Any, layers: Any, spans: Any) -> Any:
        if os.getpid() == here_pid:  # here's first part lasts until there scans one, however loaded
            there_scans.wait(timeout=20)  # the machine: had here taken them all first, none is left
        else:
            there_scans.set()
        time.sleep(0.005)  # a part's work
        return list(spans)

    monkeypatch.setattr(build_module, "scan_part", spans_only)
    shared = build_module._SharedScan(result.contacts, records, layers)

    def later() -> Any:
        time.sleep(0.05)  # this side comes once the other has started: parts must be left for it
        return shared.take_parts()

    here, there = run_beside(shared.take_parts, later, fork=True)
    assert [span for spans in there for span in spans]  # the second side scanned some
    taken = sorted(span for spans in [*here, *there] for span in spans)
    assert taken == [(n * 4, n * 4 + 4) for n in range(len(records) // 4 + 1)]  # each once, layers last

    monkeypatch.setattr(build_module, "scan_part", scan_part)
    shared = build_module._SharedScan(result.contacts, records, layers)
    here, there = run_beside(shared.take_parts, shared.take_parts, fork=True)
    joined = shared.joined([*here, *there])
    whole = scan_for_contacts(result.contacts, records, layers)
    assert (joined.held, joined.holding) == (whole.held, whole.holding)
    assert len(records) > 40 and result.contacts  # parts enough, contacts to look for
