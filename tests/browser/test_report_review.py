"""The review loop in Chromium: decide in report.html, download correzioni.csv, rebuild with it.

Three records of the bundled example are decided with the page's controls, from the keyboard
where it matters (a candidate, a Comune found with the search, an exclusion); the downloaded
file goes back to ``mapgen build --corrections`` and the records are checked on the map, in the
report and in the GIS files.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyogrio
import pytest

from mapgen.build import build, example_request

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

CANDIDATE = "2020-R164-G1"  # "Aoste" (SS): the candidate Aosta (AO)
SEARCHED = "2020-R131-G1"  # "Unione Montana Valle Susa": a person picks Susa (TO)
EXCLUDED = "2020-R216-G1"  # no Comune at all: excluded


def _row_index(page: Page, record: str) -> str:
    row = page.locator(f'table.review tr[data-record="{record}"] select.decision')
    return str(row.get_attribute("data-row"))


def _decide_in_page(page: Page) -> None:
    n = _row_index(page, CANDIDATE)
    page.select_option(f"#dec-{n}", "007003")
    n = _row_index(page, SEARCHED)
    search = page.locator(f"#cerca-{n}")
    search.focus()
    page.keyboard.type("Susa (TO)")
    assert page.locator(f"#esito-{n}").text_content() == "Comune scelto: Susa (TO)."
    assert page.locator(f"#dec-{n}").input_value() == "cerca"
    page.keyboard.press("Tab")  # the note, reached from the keyboard
    page.keyboard.type("capofila dell'Unione")
    n = _row_index(page, EXCLUDED)
    page.locator(f"#dec-{n}").focus()
    page.select_option(f"#dec-{n}", "escludi")
    assert page.locator("#review-status").text_content() == "3 decisioni pronte."


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_decide_download_and_rebuild(chromium: Browser, tmp_path: Path) -> None:
    first = build(replace(example_request(tmp_path / "out1"), preview=False))
    waiting = len(_read(first.out_dir / "da_correggere.csv"))
    context = chromium.new_context(accept_downloads=True, locale="it-IT")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "blob:"))
                  else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((first.out_dir / "report.html").resolve().as_uri())
    _decide_in_page(page)
    with page.expect_download() as download:
        page.locator("#scarica-correzioni").press("Enter")
    saved = tmp_path / "correzioni.csv"
    download.value.save_as(saved)
    context.close()
    assert errors == []
    assert download.value.suggested_filename == "correzioni.csv"
    decided = {row["record"]: row for row in _read(saved)}
    assert set(decided) == {CANDIDATE, SEARCHED, EXCLUDED}
    assert decided[SEARCHED]["codice_istat"] == "Susa (TO)"
    assert decided[SEARCHED]["nota"] == "capofila dell'Unione"
    assert decided[EXCLUDED]["azione"] == "escludi"

    second = build(replace(example_request(tmp_path / "out2"), preview=False, corrections=saved))
    out = second.out_dir
    # The file to fill again: the 3 decisions in use, then the lines still pending (issue 25).
    again = _read(out / "da_correggere.csv")
    assert [r["record"] for r in again[:3]] == [CANDIDATE, SEARCHED, EXCLUDED]
    assert len([r for r in again if not (r["codice_istat"] or r["azione"])]) == waiting - 3
    report = {row["record_id"]: row for row in _read(out / "report.csv")}
    assert report[CANDIDATE]["istat"] == "007003" and report[CANDIDATE]["metodo"] == "correzione"
    assert report[CANDIDATE]["decisione"] == "correzioni.csv, riga 2: comune"
    assert report[SEARCHED]["istat"] == "001270"  # Susa (TO)
    assert report[SEARCHED]["decisione"] == "correzioni.csv, riga 3: comune"
    assert report[EXCLUDED]["esito_codice"] == "excluded"
    assert "Esclusa da una persona (correzioni.csv, riga 4)" in report[EXCLUDED]["motivo"]
    # On the map: the uMap layer and the GIS files place both records, method "correzione".
    layer = json.loads((out / "layers" / "edizione-2020.geojson").read_text(encoding="utf-8"))
    places = {f["properties"].get("comune") for f in layer["features"]}
    assert {"Aosta", "Susa"} <= places
    gis = pyogrio.read_dataframe(out / "initiatives.gpkg", layer="initiatives")
    for record, code in ((CANDIDATE, "007003"), (SEARCHED, "001270")):
        found = gis[gis["record_ids"].str.contains(record, regex=False)]
        assert list(found["istat"]) == [code]
        assert list(found["metodo_match"]) == ["correzione"]
        assert list(found["correzione"]) == [report[record]["decisione"].split(":")[0]]
    assert not gis["record_ids"].str.contains(EXCLUDED, regex=False).any()
    # In the report page: the decided records left "Da correggere"; every row is in "Tutte le righe".
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f'data-record="{CANDIDATE}"' in html
    review_table = html.split('<table class="rows review">')[1].split("</table>")[0]
    assert CANDIDATE not in review_table and SEARCHED not in review_table and EXCLUDED not in review_table
    applied = html.split('<table class="rows applied">')[1].split("</table>")[0]
    assert all(f'data-record="{r}"' in applied for r in (CANDIDATE, SEARCHED, EXCLUDED))


FORLI = ("2020-R230-G1", "2020-R230-G2")  # "Forli" (Agrigento) typed in two practices of one response


def test_one_decision_teaches_a_text_typed_in_several_rows(chromium: Browser, tmp_path: Path) -> None:
    """Issue 25: the same typed text in several rows takes one decision, written as a name (alias line)."""
    first = build(replace(example_request(tmp_path / "out1"), preview=False))
    context = chromium.new_context(accept_downloads=True, locale="it-IT")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "blob:"))
                  else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((first.out_dir / "report.html").resolve().as_uri())
    n = _row_index(page, FORLI[0])
    assert "2 righe con «Forli (Agrigento)»" in str(page.locator(f'label[for="tutte-{n}"]').text_content())
    page.locator(f"#cerca-{n}").fill("Forlì (FC)")
    page.locator(f"#cerca-{n}").dispatch_event("input")
    page.locator(f"#tutte-{n}").check()
    assert page.locator("#review-status").text_content() == "1 decisione pronta."
    with page.expect_download() as download:
        page.locator("#scarica-correzioni").click()
    saved = tmp_path / "correzioni.csv"
    download.value.save_as(saved)
    context.close()
    assert errors == []
    lines = _read(saved)
    assert [(r["record"], r["comune_indicato"], r["provincia_indicata"], r["codice_istat"]) for r in lines] == [
        ("", "Forli", "Agrigento", "Forlì (FC)")]
    second = build(replace(example_request(tmp_path / "out2"), preview=False, corrections=saved))
    report = {row["record_id"]: row for row in _read(second.out_dir / "report.csv")}
    assert [report[r]["istat"] for r in FORLI] == ["040012", "040012"]
    assert [report[r]["metodo"] for r in FORLI] == ["correzione", "correzione"]
