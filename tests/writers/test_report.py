"""report.csv and report.html: every input row present, totals that add up, nothing runs."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyogrio
import pytest

from fixtures.factories import HOSTILE_TEXT
from mapgen._csv import excel_safe
from mapgen.errors import OutputError
from mapgen.gazetteer import Gazetteer
from mapgen.model import (
    AppliedCorrection,
    BuildResult,
    Candidate,
    EditionDiff,
    Match,
    MatchStatus,
    Notice,
    Outcome,
    OutputOptions,
    Place,
    RowOutcome,
)
from mapgen.writers.report import (
    BUCKETS,
    OUTCOME_LABELS,
    REPORT_COLUMNS,
    build_summary_lines,
    needing_person,
    report_totals,
    write_report,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

GOLDEN = Path(__file__).parents[1] / "golden" / "report"


def write(build: BuildResult, folder: Path, gazetteer: Gazetteer) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = write_report(build, folder, gazetteer=gazetteer, options=OutputOptions())
    return csv_path, html_path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def hostile_build(build: BuildResult) -> BuildResult:
    """The sample build with the XSS probe in every text the page shows."""

    def spoil(o: RowOutcome) -> RowOutcome:
        return replace(
            o,
            titolo=HOSTILE_TEXT,
            typed=Place(HOSTILE_TEXT, HOSTILE_TEXT),
            reason=HOSTILE_TEXT,
            fix=HOSTILE_TEXT,
        )

    outcomes = [spoil(o) for o in build.outcomes]
    ambiguous = next(i for i, o in enumerate(outcomes) if o.outcome is Outcome.AMBIGUOUS)
    outcomes[ambiguous] = replace(
        outcomes[ambiguous],
        match=Match(
            status=MatchStatus.AMBIGUOUS,
            candidates=(Candidate("001235", HOSTILE_TEXT, "TO", 90.0),),
        ),
    )
    items = tuple(
        replace(i, record=replace(i.record, titolo=HOSTILE_TEXT)) for i in build.initiatives
    )
    return replace(
        build, outcomes=tuple(outcomes), initiatives=items, inputs=(HOSTILE_TEXT, *build.inputs)
    )


# --- totals -------------------------------------------------------------------------------


def test_every_outcome_is_in_exactly_one_bucket() -> None:
    placed = [o for outcomes in BUCKETS.values() for o in outcomes]
    assert sorted(placed) == sorted(Outcome)
    assert set(OUTCOME_LABELS) == set(Outcome)


def test_sample_totals_add_up(sample_build: BuildResult) -> None:
    totals = report_totals(sample_build)
    assert (totals.inputs, totals.mapped, totals.merged, totals.excluded, totals.unresolved) == (
        12,
        6,
        2,
        1,
        3,
    )
    assert totals.count(Outcome.DUPLICATE) == 1 and totals.count(Outcome.AMBIGUOUS) == 1
    assert (totals.initiatives, totals.comuni) == (6, 5)
    assert totals.by_file == (("survey_2020.csv", 10), ("mappa_2019.umap", 2))
    assert totals.adds_up
    assert totals.equation() == "12 = 6 + 2 + 1 + 3"


def test_totals_lines_for_the_cli(sample_build: BuildResult) -> None:
    assert report_totals(sample_build).lines() == [
        "Records read: 12 (survey_2020.csv 10, mappa_2019.umap 2)",
        "  mapped          6  (mapped 6)",
        "  merged          2  (merged 1, duplicate 1)",
        "  excluded        1  (excluded 1)",
        "  unresolved      3  (unresolved 1, ambiguous 1, not a Comune 1)",
        "Published: 6 initiatives in 5 Comuni",
        "Check: inputs = mapped + merged + excluded + unresolved: 12 = 6 + 2 + 1 + 3 (ok)",
    ]


def test_build_summary_lists_files_totals_and_who_needs_a_person(sample_build: BuildResult, tmp_path: Path) -> None:
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "a.geojson").write_bytes(b"x" * 3000)
    (tmp_path / "map.umap").write_bytes(b"")
    build = replace(sample_build, inputs=(*sample_build.inputs, "Warning: 2 responses may be incomplete"))
    lines = build_summary_lines(build, tmp_path, (Path("layers/a.geojson"), Path("map.umap")))
    assert lines[:3] == [f"Wrote 2 files to {tmp_path}:", "  layers/a.geojson  (3 KB)", "  map.umap  (0 KB)"]
    assert lines[3:10] == report_totals(sample_build).lines()
    assert lines[10:] == [
        "Warning: 2 responses may be incomplete",
        f"3 records need a person (3 unresolved, 0 placements to check, 0 excluded for missing data): "
        f"open {tmp_path / 'report.html'} or fill {tmp_path / 'da_correggere.csv'}, "
        "then rebuild with --corrections.",
    ]
    assert needing_person(build) == 3


def test_build_summary_names_the_corrections_used_and_refused(sample_build: BuildResult, tmp_path: Path) -> None:
    applied = AppliedCorrection("c.csv", 2, "2020-R1-G1", "comune", "075096", "posto a Castro (LE)")
    refused = Notice(kind="correzione", file="c.csv", row=3, column="azione", value="boh",
                     message="azione sconosciuta.", fix="Scrivi comune.")
    resolved = tuple(replace(o, outcome=Outcome.MAPPED, match=None) for o in sample_build.outcomes)
    build = replace(sample_build, outcomes=resolved, corrections=(applied,), notices=(refused,))
    lines = build_summary_lines(build, tmp_path, ())
    assert lines[0] == f"Wrote 0 files to {tmp_path}:"
    assert lines[-2:] == [
        "Corrections applied: 1 (see correzioni_applicate.csv)",
        f"Correction not applied: {refused}",
    ]
    assert needing_person(build) == 0


def test_totals_catch_a_record_pointing_nowhere(sample_build: BuildResult) -> None:
    stray = replace(
        sample_build.outcomes[-1], record_id="2020-R99-G1", initiative_id="000000-ghost"
    )
    totals = report_totals(replace(sample_build, outcomes=(*sample_build.outcomes, stray)))
    assert totals.orphans == ("2020-R99-G1",)
    assert not totals.adds_up
    assert totals.lines()[-2].endswith("(MISMATCH)")


def test_totals_catch_an_initiative_without_its_mapped_record(sample_build: BuildResult) -> None:
    outcomes = tuple(o for o in sample_build.outcomes if o.record_id != "2020-R4-G1")
    totals = report_totals(replace(sample_build, outcomes=outcomes))
    assert totals.inputs == totals.mapped + totals.merged + totals.excluded + totals.unresolved
    assert (totals.mapped, totals.initiatives) == (5, 6)
    assert not totals.adds_up


# --- report.csv ---------------------------------------------------------------------------


def test_report_csv_matches_golden(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, update_golden: bool
) -> None:
    csv_path, _ = write(sample_build, tmp_path, gazetteer)
    golden = GOLDEN / "report.csv"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(csv_path.read_bytes())
    assert csv_path.read_bytes() == golden.read_bytes()


def test_report_csv_has_one_row_per_input_record(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    csv_path, _ = write(sample_build, tmp_path, gazetteer)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_rows(csv_path)
    assert list(rows[0]) == list(REPORT_COLUMNS)
    assert [r["record_id"] for r in rows] == [o.record_id for o in sample_build.outcomes]
    assert [r["esito_codice"] for r in rows] == [o.outcome.value for o in sample_build.outcomes]
    by_id = {r["record_id"]: r for r in rows}
    assert by_id["2020-R9-G1"]["id_iniziativa"] == "058091-centro-per-le-famiglie"  # duplicate of
    assert by_id["2019-iniziative-2019-17"]["esito"] == "unita all'edizione più recente"
    assert by_id["2020-R5-G1"]["candidati"] == (
        "Samone (TO) 001235, punteggio 100; Samone (TN) 022165, punteggio 100"
    )
    assert by_id["2020-R6-G1"]["motivo"] == "Il luogo indicato non è un Comune."
    assert by_id["2019-iniziative-2019-3"]["livello"] == "Iniziative 2019"
    assert len(pyogrio.read_dataframe(csv_path)) == len(sample_build.outcomes)  # GDAL reads it too


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_report_csv_neutralises_formulas(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, start: str
) -> None:
    payload = f"{start}cmd|' /C calc'!A0"
    spoiled = replace(
        sample_build.outcomes[0], titolo=payload, typed=Place(payload), reason=payload
    )
    build = replace(sample_build, outcomes=(spoiled, *sample_build.outcomes[1:]))
    rows = read_rows(write(build, tmp_path, gazetteer)[0])
    assert (rows[0]["titolo"], rows[0]["comune_indicato"], rows[0]["motivo"]) == (
        "'" + payload,
    ) * 3
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Roma", "Roma"),
        ("-12.5", "-12.5"),
        ("+39", "+39"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("=1+1", "'=1+1"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_excel_safe(text: str, safe: str) -> None:
    assert excel_safe(text) == safe


# --- report.html (static checks; the browser test below runs it) --------------------------


@pytest.fixture
def page_text(tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer) -> str:
    return write(hostile_build(sample_build), tmp_path, gazetteer)[1].read_text(encoding="utf-8")


def _without_our_scripts(page_text: str) -> str:
    """The page without its two scripts: the review data (JSON) and the review controls' code."""
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page_text, re.S)
    assert data is not None
    assert "<" not in data.group(1) and ">" not in data.group(1)  # tojson writes \u003c: no way out
    code = (Path(__file__).parents[2] / "templates" / "report_review.js").read_text(encoding="utf-8")
    assert page_text.count(f"<script>{code}</script>") == 1
    return page_text.replace(data.group(0), "").replace(f"<script>{code}</script>", "")


def test_html_escapes_hostile_text(page_text: str) -> None:
    assert "<script" not in _without_our_scripts(page_text).lower()
    assert "script-src 'sha256-" in page_text  # only our script, by its hash, may run
    assert "onerror=" not in _without_our_scripts(page_text).replace("onerror=&#34;", "")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page_text
    assert "Content-Security-Policy" in page_text and "default-src 'none'" in page_text


def test_html_loads_nothing_from_outside(page_text: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page_text)
    assert "@import" not in page_text and "url(" not in page_text


def test_html_lists_rows_to_fix_first_unresolved_then_ambiguous(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    text = write(sample_build, tmp_path, gazetteer)[1].read_text(encoding="utf-8")
    section = text[text.index('id="da-correggere"') : text.index('id="escluse"')]
    assert re.findall(r'data-record="([^"]+)"', section) == [
        "2020-R7-G1",
        "2020-R5-G1",
        "2020-R6-G1",
    ]
    assert "Samone (TN) 022165, punteggio 100" in section
    assert "Scegliere il Comune giusto tra i candidati in «Da correggere»" in section  # issue 25: not the province


def test_html_shows_diff_regions_areas_and_attribution(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    text = write(sample_build, tmp_path, gazetteer)[1].read_text(encoding="utf-8")
    assert "Confronto tra edizioni: 2019 → 2020" in text
    assert re.search(r'data-diff="comuni_new">3<', text) and re.search(
        r'data-diff="not_resubmitted">1<', text
    )
    assert "Bolzano (BZ)" in text and "Familienzentrum / Centro famiglie" in text
    assert re.search(r"<td>Puglia</td><td class=\"n\">2</td><td class=\"n\">2</td>", text)
    assert re.search(r"<td>natalità</td><td class=\"n\">2</td>", text)
    assert text.count('<path d="M') == len(gazetteer.regions)  # the map: one path per region
    assert gazetteer.attribution.replace("'", "&#39;") in text


def test_html_is_deterministic(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    first = write(sample_build, tmp_path / "a", gazetteer)
    second = write(sample_build, tmp_path / "b", gazetteer)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_single_edition_without_initiatives(tmp_path: Path, gazetteer: Gazetteer) -> None:
    build = BuildResult(
        initiatives=(), outcomes=(), diff=EditionDiff(newest=2020, previous=()), editions=(2020,)
    )
    csv_path, html_path = write(build, tmp_path, gazetteer)
    assert read_rows(csv_path) == []
    text = html_path.read_text(encoding="utf-8")
    assert "Una sola edizione: nessun confronto." in text and "Nessuna riga da correggere." in text
    assert 'data-check="ok"' in text


# --- report.html in a real browser ---------------------------------------------------------

@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[object]:
    context = chromium.new_context()
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    yield page
    context.close()


@pytest.mark.browser
def test_browser_shows_totals_and_never_runs_the_probe(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, browser_page: object
) -> None:
    from playwright.sync_api import Page

    assert isinstance(browser_page, Page)
    page = browser_page
    build = hostile_build(sample_build)
    _, html_path = write(build, tmp_path, gazetteer)
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html_path.as_uri())
    page.locator("details").first.click()  # open a <details>: interaction must not run anything

    totals = {
        k: int(page.locator(f'[data-total="{k}"]').inner_text())
        for k in ("inputs", "mapped", "merged", "excluded", "unresolved", "initiatives")
    }
    assert totals["inputs"] == len(build.outcomes) == 12
    assert (
        totals["inputs"]
        == totals["mapped"] + totals["merged"] + totals["excluded"] + totals["unresolved"]
    )
    assert totals["initiatives"] == len(build.initiatives)
    assert page.locator("[data-check]").get_attribute("data-check") == "ok"
    assert page.locator("[data-equation]").inner_text() == "12 = 6 + 2 + 1 + 3"

    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('[onerror], img').length") == 0
    # Only our two scripts: the review data (JSON, never run) and the review controls.
    assert page.evaluate("[...document.scripts].map(s => s.type || s.id || 'code')") == ["application/json", "code"]
    assert HOSTILE_TEXT.split(" C:")[0] in page.locator("#da-correggere").inner_text()
    assert page.locator("#da-correggere table.rows").first.locator("tbody tr").count() == 3
    assert errors == [] and all(url.startswith("file:") for url in requests)


def test_missing_folder_is_an_output_error(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    with pytest.raises(OutputError, match=r"could not write the report in .*missing.* Check that"):
        write_report(
            sample_build, tmp_path / "missing", gazetteer=gazetteer, options=OutputOptions()
        )


def test_html_tables_stop_at_the_row_limit_and_say_so(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mapgen.writers.report

    monkeypatch.setattr(mapgen.writers.report, "HTML_ROW_LIMIT", 3)
    _, html_path = write(sample_build, tmp_path, gazetteer)
    page = html_path.read_text(encoding="utf-8")
    total = len(sample_build.outcomes)
    assert f"Tutte le righe ({total})" in page
    assert f"Mostrate le prime 3 righe di {total}: tutte le righe sono in" in page
    csv_rows = (tmp_path / "report.csv").read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(csv_rows) == total + 1  # the CSV keeps every row


def test_escaped_texts_are_autoescapes_bytes() -> None:
    """The big tables' texts, escaped in one call, are what autoescape prints for each one."""
    from markupsafe import escape

    from mapgen.writers.report import _escaped

    texts = ["Sant'Angelo & <b>", '"x"', "", "plain", "a\x00b <"]  # the separator: one by one
    assert _escaped(texts) == [str(escape(t)) for t in texts]
    assert _escaped(texts[:4]) == [str(escape(t)) for t in texts[:4]]
    assert _escaped([]) == []


def test_escaped_views_escape_every_text_and_keep_numbers() -> None:
    from mapgen.writers.report import _escaped_views, _MapComune

    views = _escaped_views([_MapComune("D'Ala <i>", "TO", "A&B", 2, 1.5, 2.5, 3.0)])
    assert views == [_MapComune("D&#39;Ala &lt;i&gt;", "TO", "A&amp;B", 2, 1.5, 2.5, 3.0)]
    assert views[0].label == "D&#39;Ala &lt;i&gt; (TO)"
