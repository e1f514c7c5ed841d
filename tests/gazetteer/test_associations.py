"""The register of associations: the DAIT source read, members resolved, the shipped file."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from mapgen._resources import gazetteer_dir
from mapgen.errors import GazetteerError
from mapgen.gazetteer import load_gazetteer
from mapgen.gazetteer._associations import DAIT_SOURCE, build_associations, read_dait_register
from mapgen.gazetteer.shipped import gazetteer_at

SOURCE = gazetteer_dir() / "sources" / DAIT_SOURCE


def test_the_register_reads_as_its_header_says() -> None:
    unions = read_dait_register(SOURCE)
    # Counts stated by the register itself: 557 Unioni, NR. COMUNI agrees for each.
    assert len(unions) == 557
    assert sum(len(u.members) for u in unions) == 3000
    assert all(u.count == len(u.members) for u in unions)
    first = unions[0]  # line 2 of the file, checked by hand
    assert (first.code, first.region, first.province, first.constituted) == (
        "4130236060", "ABRUZZO", "CHIETI", "2013-02-12")
    assert first.members == ("FARA FILIORUM PETRI", "PRETORO", "RAPINO", "ROCCAMONTEPIANO")


def test_rebuild_gives_the_shipped_file(tmp_path: Path) -> None:
    report = build_associations(
        tmp_path, sources_dir=SOURCE.parent, gazetteer=load_gazetteer()
    )
    assert (tmp_path / "associations.csv").read_bytes() == (
        gazetteer_dir() / "associations.csv"
    ).read_bytes(), "run `mapgen gazetteer build` and commit associations.csv"
    assert (report.associations, report.listed, report.resolved) == (557, 3000, 3000)
    assert report.unresolved == ()


def _rows() -> dict[str, dict[str, str]]:
    with (gazetteer_dir() / "associations.csv").open(encoding="utf-8", newline="") as handle:
        return {r["id"]: r for r in csv.DictReader(handle)}


def _names(association_id: str) -> list[str]:
    gaz = load_gazetteer()
    found = gaz.association(association_id)
    assert found is not None
    return sorted(gaz.comuni[c].name for c in found.members)


def test_members_are_the_comuni_of_the_register() -> None:
    # The nine Comuni of the Bassa Romagna, as the register lists them (lines 495-503).
    assert _names("UC2080666010") == [
        "Alfonsine", "Bagnacavallo", "Bagnara di Romagna", "Conselice", "Cotignola",
        "Fusignano", "Lugo", "Massa Lombarda", "Sant'Agata sul Santerno",
    ]
    gaz = load_gazetteer()
    bassa = gaz.association("UC2080666010")
    assert bassa is not None and (bassa.sigla, bassa.region_code, bassa.vintage) == ("RA", "08", "2020")


def test_members_merged_since_lead_to_their_successor() -> None:
    # Bardello, Bregano and Malgesso (VA) merged in 2019 into one Comune: one member now.
    assert _names("UC1030866040") == ["Bardello con Malgesso e Bregano"]
    rows = _rows()
    assert rows["UC1030866040"]["listed"] == "3"
    assert "Bregano -> Bardello con Malgesso e Bregano (012144)" in rows["UC1030866040"]["notes"]


def test_a_member_now_in_another_region_is_kept_with_a_note() -> None:
    # Sappada moved from Belluno (Veneto) to Udine in 2017; the 2020 register still lists it.
    assert "Sappada" in _names("UC2050106100")
    rows = _rows()
    assert rows["UC2050106100"]["notes"] == "Sappada: oggi in Friuli-Venezia Giulia (UD)"


def test_the_register_loads_lazily() -> None:
    # Its load time is measured, not asserted (speed belongs in benchmarks, and a timed test fails
    # on a loaded machine): printed with -s.
    gaz = gazetteer_at(gazetteer_dir())
    assert "associations" not in gaz.__dict__  # not read with the gazetteer
    start = time.perf_counter()
    assert len(gaz.associations) == 557
    print(f"register of associations loaded in {(time.perf_counter() - start) * 1000:.0f} ms")
    assert "associations" in gaz.__dict__  # read once, then kept


def test_a_bad_date_names_the_line(tmp_path: Path) -> None:
    text = SOURCE.read_text(encoding="ascii").replace("12-Feb-2013", "12/02/2013", 1)
    (tmp_path / DAIT_SOURCE).write_text(text, encoding="ascii")
    with pytest.raises(GazetteerError, match=r"unioni_comuni_dait_2020.csv, line 2: date '12/02/2013'"):
        read_dait_register(tmp_path / DAIT_SOURCE)


def test_another_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / DAIT_SOURCE).write_text("a;b\n1;2\n", encoding="ascii")
    with pytest.raises(GazetteerError, match="not the DAIT register of Unioni"):
        read_dait_register(tmp_path / DAIT_SOURCE)
