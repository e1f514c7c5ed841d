"""``mapgen geocode``: CSV/XLSX in, every row and column out plus the result columns."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app
from mapgen.geocoders import RESULT_COLUMNS

SURVEY = (
    "Comune;Provincia;Titolo\n"
    "Castro;LE;Bonus bebè\n"
    "Castro;;Ludoteca\n"
    "Cantu';;Nido\n"
    "Unione dei Comuni della Grecia Salentina;;Centro famiglie\n"
    "Samone TN;;Estate ragazzi\n"
    "Tricsae;LE;Sportello\n"
)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="cp1252")  # as Excel writes it on Windows
    return path


def read_out(path: Path, delimiter: str = ";") -> list[dict[str, str]]:
    """The output, in the separator of the input (``;`` for the survey fixture)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_geocode_csv(survey: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, output = run(
        "geocode",
        str(survey),
        "--comune-col",
        "Comune",
        "--provincia-col",
        "Provincia",
        "--out",
        str(out),
    )
    assert code == 0, output
    assert output.splitlines() == [
        f"Geocoded 6 rows of survey.csv (CSV, Windows-1252, separator ';', 6 rows): {out}",
        "  exact               1",
        "  normalized          2",
        "  fuzzy               1",
        # The Grecia Salentina is a registered Unione: ambiguous among its members (issue 26).
        "  ambiguous           2",
    ]
    rows = read_out(out)
    assert list(rows[0]) == ["Comune", "Provincia", "Titolo", *RESULT_COLUMNS]
    assert [(r["Comune"], r["Provincia"], r["Titolo"]) for r in rows] == [
        tuple(line.split(";")) for line in SURVEY.splitlines()[1:]
    ]
    assert [r["istat_code"] for r in rows] == ["075096", "", "013041", "", "022165", "075088"]
    assert [r["match_status"] for r in rows] == [
        "exact",
        "ambiguous",
        "normalized",
        "ambiguous",
        "normalized",
        "fuzzy",
    ]
    assert rows[1]["candidates"] == "Castro (BG) 016065; Castro (LE) 075096"
    assert rows[0]["comune_ufficiale"] == "Castro" and rows[0]["regione"] == "Puglia"


def test_geocode_xlsx(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Ente", "Comune", "Regione"])
    sheet.append(["Comune", "Peglio", "Marche"])
    sheet.append(["Comune", "Bozen", None])
    book.save(tmp_path / "survey.xlsx")
    out = tmp_path / "out.csv"
    code, output = run(
        "geocode",
        str(tmp_path / "survey.xlsx"),
        "--comune-col",
        "Comune",
        "--regione-col",
        "Regione",
        "-o",
        str(out),
    )
    assert code == 0, output
    rows = read_out(out, ",")  # an XLSX has no separator: the CSV default
    assert [(r["Ente"], r["Comune"], r["istat_code"]) for r in rows] == [
        ("Comune", "Peglio", "041041"),
        ("Comune", "Bozen", "021008"),
    ]


def test_missing_column(survey: Path, tmp_path: Path) -> None:
    code, output = run("geocode", str(survey), "--comune-col", "Comuni", "--out", str(tmp_path / "o.csv"))
    assert code == 1
    assert output.splitlines()[-1] == (
        "Error: survey.csv has no column 'Comuni' (--comune-col). Columns present: 'Comune', "
        "'Provincia', 'Titolo'. Closest: 'Comune'; use --comune-col 'Comune'."
    )
    assert not (tmp_path / "o.csv").exists()


def test_column_names_match_up_to_case_and_spaces(survey: Path, tmp_path: Path) -> None:
    code, output = run("geocode", str(survey), "--comune-col", "comune ", "--out", str(tmp_path / "o.csv"))
    assert code == 0, output


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "survey.csv does not exist."), (b"", "survey.csv is empty")],
)
def test_unreadable_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "survey.csv"
    if content is not None:
        path.write_bytes(content)
    code, output = run("geocode", str(path), "--comune-col", "Comune", "--out", str(tmp_path / "o.csv"))
    assert code == 1
    assert output.splitlines()[-1].startswith("Error: ")
    assert message in output.splitlines()[-1]


def test_unknown_geocoder_lists_the_valid_ones(survey: Path, tmp_path: Path) -> None:
    code, output = run(
        "geocode",
        str(survey),
        "--comune-col",
        "Comune",
        "--out",
        str(tmp_path / "o.csv"),
        "--geocoder",
        "google",
    )
    assert code == 1
    assert output.splitlines()[-1] == (
        "Error: unknown geocoder 'google'; valid names: "
        "association, fuzzy, istat_code, locality, name, nominatim, spelling."
    )


def test_only_the_chosen_matchers_run(survey: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    code, output = run(
        "geocode",
        str(survey),
        "--comune-col",
        "Comune",
        "--provincia-col",
        "Provincia",
        "--out",
        str(out),
        "--geocoder",
        "name",
    )
    assert code == 0, output
    assert read_out(out)[5]["match_status"] == "unresolved"  # "Tricsae": no fuzzy matcher


def test_online_needs_a_user_agent(survey: Path, tmp_path: Path) -> None:
    code, output = run(
        "geocode",
        str(survey),
        "--comune-col",
        "Comune",
        "--out",
        str(tmp_path / "o.csv"),
        "--online",
    )
    assert code == 1
    assert output.splitlines()[-1].startswith("Error: online geocoding needs a user agent")


def test_output_is_deterministic(survey: Path, tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        assert run("geocode", str(survey), "--comune-col", "Comune", "--out", str(tmp_path / name))[0] == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_help_has_an_example() -> None:
    code, output = run("geocode", "--help")
    assert code == 0
    assert "Example: mapgen geocode" in output
    assert "geocode" in run("--help")[1]


def test_geocode_does_not_import_heavy_libraries(survey: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from mapgen.cli import app; "
        f"r = CliRunner().invoke(app, ['geocode', {str(survey)!r}, '--comune-col', 'Comune', "
        f"'--out', {str(tmp_path / 'o.csv')!r}]); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('pandas', 'geopandas', 'folium', 'shapely', 'geopy') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- issue 20: formulas, separator, full disk -------------------------------------------


def test_xlsx_text_cells_do_not_become_formulas(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Comune", "Note"])
    sheet.append(["Peglio", None])
    sheet.append(["Castro", None])
    for cell, text in ((sheet["B2"], '=HYPERLINK("http://evil.example","clic")'), (sheet["B3"], "@SUM(1+1)")):
        cell.value = text
        cell.data_type = "s"  # a text cell, as a survey answer that starts with "=" is
    book.save(tmp_path / "survey.xlsx")
    out = tmp_path / "out.csv"
    code, output = run("geocode", str(tmp_path / "survey.xlsx"), "--comune-col", "Comune", "-o", str(out))
    assert code == 0, output
    assert [r["Note"] for r in read_out(out, ",")] == ['\'=HYPERLINK("http://evil.example","clic")', "'@SUM(1+1)"]


def test_output_keeps_the_input_separator_unless_sep(survey: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert run("geocode", str(survey), "--comune-col", "Comune", "-o", str(out))[0] == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Comune;Provincia;Titolo;istat_code;")
    assert run("geocode", str(survey), "--comune-col", "Comune", "-o", str(out), "--sep", ",")[0] == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Comune,Provincia,Titolo,istat_code,")
    code, output = run("geocode", str(survey), "--comune-col", "Comune", "-o", str(out), "--sep", ";;")
    assert (code, output.strip()) == (1, "Error: --sep ';;' is not one character; use for example --sep ';' or "
                                         "--sep ','.")


def test_full_disk_keeps_the_previous_output(
    survey: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC simulated: the CSV writer's file fails after the first rows (no tmpfs needed)."""
    import csv as csv_module

    out = tmp_path / "out.csv"
    out.write_text("the good output of an earlier run\n", encoding="utf-8")

    real_writer = csv_module.writer

    class FullDisk:
        def __init__(self, handle: object, **kwargs: object) -> None:
            self.writer = real_writer(handle, **kwargs)  # type: ignore[call-overload]

        def writerow(self, row: list[str]) -> None:
            self.writer.writerow(row)

        def writerows(self, rows: object) -> None:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("mapgen._csv.csv.writer", FullDisk)
    code, output = run("geocode", str(survey), "--comune-col", "Comune", "-o", str(out))
    assert code == 1
    assert output.strip() == (f"Error: cannot write {out}: No space left on device. "
                              "Free some disk space or choose another --out on another disk.")
    assert out.read_text(encoding="utf-8") == "the good output of an earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "survey.csv"]  # no partial file left
