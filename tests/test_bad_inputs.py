"""Broken and odd input files: one clear error line, or a read with its warnings and nothing lost.

Every case is a file in ``tests/data/bad/`` described in ``EXPECTED.toml``; each runs the real
reader (survey, previous map, mapping file alone or with its survey) and the CLI. A file in that folder without an
entry fails ``test_every_file_has_an_expectation``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from mapgen import errors
from mapgen.cli import app
from mapgen.config import load_config
from mapgen.model import Outcome
from mapgen.readers.previous_map import PreviousEdition, read_previous
from mapgen.readers.survey import SurveyRead, read_survey

BAD = Path(__file__).parent / "data" / "bad"
GOOD_SURVEY = Path(__file__).parent / "data" / "survey" / "tidy_canonical.csv"
CASES: list[dict[str, Any]] = tomllib.loads((BAD / "EXPECTED.toml").read_text(encoding="utf-8"))["case"]


def _make_bad() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_bad", BAD / "make_bad.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case_id(case: dict[str, Any]) -> str:
    return case["file"] + (f"[sheet={case['sheet']}]" if "sheet" in case else "")


def _with_path(case: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The case, with ``path`` pointing at its file (generated into tmp_path when too big to commit)."""
    found = dict(case)
    if found.get("generated"):
        found["path"] = _make_bad().big_cell(tmp_path / found["file"])
    else:
        found["path"] = BAD / found["file"]
    return found


@pytest.fixture(params=CASES, ids=_case_id)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """One case, with its file."""
    return _with_path(request.param, tmp_path)


@pytest.fixture(params=[c for c in CASES if c["outcome"] == "error"], ids=_case_id)
def error_case(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """One case that must end in one error line, with its file."""
    return _with_path(request.param, tmp_path)


def test_every_file_has_an_expectation() -> None:
    described = {c["file"] for c in CASES if not c.get("generated")}
    present = {p.name for p in BAD.iterdir() if p.name not in ("EXPECTED.toml", "make_bad.py", "README.md")}
    assert present == described


def test_make_bad_writes_the_committed_files() -> None:
    """The generator is deterministic and the committed files are its output.

    Workbooks are compared member by member, and the truncated one by kind: zlib versions may
    compress the same members into different bytes.
    """
    made = _make_bad().all_files()
    assert made == _make_bad().all_files()
    for name, data in made.items():
        committed = (BAD / name).read_bytes()
        if _is_zip(committed):
            assert _zip_members(committed) == _zip_members(data), name
        elif committed.startswith(b"PK"):
            assert data.startswith(b"PK") and not _is_zip(data), name
        else:
            assert committed == data, name


def _is_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.namelist())
    except (zipfile.BadZipFile, NotImplementedError):
        return False


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


# --- the library ------------------------------------------------------------------------


def _read(case: dict[str, Any]) -> Any:
    path = case["path"]
    if case["reader"] == "survey":
        return read_survey(path, sheet=case.get("sheet"))
    if case["reader"] == "previous":
        return read_previous(path, initiative_layers=[case["initiative_layer"]] if "initiative_layer" in case else [])
    if case["reader"] == "mapping":
        return read_survey(BAD / case["survey"], config=load_config(path))
    return load_config(path)


def test_library(case: dict[str, Any]) -> None:
    if case["outcome"] == "error":
        with pytest.raises(getattr(errors, case["error"])) as raised:
            _read(case)
        _check_message(str(raised.value), case)
    elif case["reader"] == "survey":
        _check_survey(_read(case), case)
    else:
        _check_previous(_read(case), case)


def _check_message(message: str, case: dict[str, Any]) -> None:
    assert message.count("\n") == case.get("lines", 1) - 1
    assert message.startswith(case["file"] if case["reader"] != "mapping" else Path(case["survey"]).name)
    for piece in case["message"]:
        assert piece in message


def _check_survey(result: SurveyRead, case: dict[str, Any]) -> None:
    assert len(result.initiatives) == case["initiatives"]
    assert len(result.outcomes_of(Outcome.EXCLUDED)) == case.get("excluded", 0)
    lines = [str(p) for p in result.problems]
    assert len(lines) == len(case.get("problems", [])), lines
    for line, piece in zip(lines, case.get("problems", []), strict=True):
        assert piece in line
    if "format" in case:
        assert case["format"] in str(result.format)
    if "titles" in case:
        assert [i.titolo for i in result.initiatives] == case["titles"]
    if "descriptions" in case:
        assert [i.descrizione for i in result.initiatives] == case["descriptions"]
    if "comuni" in case:
        assert [i.place.comune for i in result.initiatives] == case["comuni"]
    if "record_ids" in case:
        wanted = [r.replace("{400 nines}", "9" * 400) for r in case["record_ids"]]
        assert [i.record_id for i in result.initiatives] == wanted
    if "description_lengths" in case:
        assert [len(i.descrizione) for i in result.initiatives] == case["description_lengths"]
    _check_every_row_accounted(result)


def _check_every_row_accounted(result: SurveyRead) -> None:
    """Every response row became an initiative or is listed with its reason."""
    rows = {i.source.row for i in result.initiatives} | {o.source.row for o in result.outcomes}
    assert len(rows) == result.responses
    assert len(result.initiatives) + len(result.outcomes) >= result.responses


def _check_previous(result: PreviousEdition, case: dict[str, Any]) -> None:
    result.check_counts()
    document = json.loads(case["path"].read_text(encoding="utf-8"))
    features = sum(len(layer["features"]) for layer in document.get("layers", [document]))
    assert len(result.initiatives) + len(result.problems) + result.carried_features == features == result.features
    assert len(result.initiatives) == case["initiatives"]
    assert len(result.problems) == case.get("unusable", 0)
    assert result.carried_features == case.get("carried", 0)
    if "amounts" in case:
        assert [i.importo for i in result.initiatives if i.importo is not None] == case["amounts"]
    notes = [n.reason for n in result.notes] + [n for layer in result.layers for n in layer.notes]
    assert len(notes) == len(case.get("notes", [])), notes
    for note, piece in zip(notes, case.get("notes", []), strict=True):
        assert piece in note
    if "points" in case:
        points = [i.point for i in result.initiatives if i.point]
        assert len(points) == len(case["points"])
        for got, wanted in zip(points, case["points"], strict=True):
            assert got == pytest.approx(wanted, abs=0.02)


# --- the command line -------------------------------------------------------------------


def _cli_args(case: dict[str, Any], out: Path) -> list[str]:
    path = str(case["path"])
    if case["reader"] == "survey":
        return ["validate", path, *(["--sheet", case["sheet"]] if "sheet" in case else [])]
    if case["reader"] == "previous":
        layers = ["--initiative-layer", case["initiative_layer"]] if "initiative_layer" in case else []
        return ["build", "--previous", path, *layers, "--out", str(out), "--no-preview"]
    if case["reader"] == "mapping":
        return ["validate", str(BAD / case["survey"]), "--config", path]
    return ["validate", str(GOOD_SURVEY), "--config", path]


def test_cli(case: dict[str, Any], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, _cli_args(case, tmp_path / "out"))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if case["outcome"] == "error":
        with pytest.raises(errors.MapgenError) as raised:
            _read(case)
        assert (result.exit_code, result.stderr, result.stdout.strip()) == (1, f"Error: {raised.value}\n", "")
        return
    assert result.stderr == ""
    if case["reader"] == "survey":
        assert result.exit_code == case["exit"]
        for problem in _read(case).problems:
            assert problem.location() in result.stdout
    else:
        assert result.exit_code == 0
        assert "(ok)" in result.stdout


def test_cli_in_italian(error_case: dict[str, Any], tmp_path: Path) -> None:
    """Issue 27: every wrong input gets its one line in Italian too, with the file and no English word."""
    from tests.cli.test_italian import ITALIAN, english_in

    result = CliRunner().invoke(app, _cli_args(error_case, tmp_path / "out"), env=ITALIAN)
    assert result.exit_code == 1 and result.stdout.strip() == "", result.output
    line = result.stderr.rstrip("\n")
    assert line.startswith("Errore: ") and line.count("\n") == error_case.get("lines", 1) - 1, line
    name = error_case["file"] if error_case["reader"] != "mapping" else Path(error_case["survey"]).name
    assert name in line, line
    # The mapping file's own key names (``structure = …``, the list of valid names) are its words.
    mapgen_words = re.sub(r"\b\w+ = |Nomi validi: [\w, ]+", " ", line)
    assert english_in(mapgen_words) == set(), line


# --- every case read, built: nothing lost, nothing leaked (issue 20) ---------------------


def _public_texts(out: Path) -> dict[str, str]:
    """Every public output as a reader sees it (JSON strings decoded); report.* is for staff."""
    texts: dict[str, str] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name.startswith(("report", ".")):
            continue
        raw = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                raw = b"".join(book.read(name) for name in book.namelist())
        text = raw.decode("utf-8", errors="replace")
        if path.suffix in {".geojson", ".umap"}:
            text += json.dumps(json.loads(text), ensure_ascii=False)
        texts[path.relative_to(out).as_posix()] = text
    return texts


def _features_in(path: Path) -> int:
    document = json.loads(path.read_text(encoding="utf-8"))
    return sum(len(layer["features"]) for layer in document.get("layers", [document]))


#: Only files that are read are built (the generated 5 MB cell is read in tests/readers/test_table.py).
BUILT_CASES = [
    c for c in CASES if c["outcome"] == "read" and c["reader"] != "config" and not c.get("generated")
]


@pytest.mark.parametrize("built", BUILT_CASES, ids=_case_id)
def test_build_accounts_for_every_row_and_publishes_no_contact(built: dict[str, Any], tmp_path: Path) -> None:
    case = dict(built, path=BAD / built["file"])
    from mapgen.build import BuildRequest, build
    from mapgen.model import Source

    path, out = case["path"], tmp_path / "out"
    survey = case["reader"] == "survey"
    request = BuildRequest(
        survey=path if survey else None, previous=() if survey else (path,), out_dir=out, sheet=case.get("sheet"),
        initiative_layers=(case["initiative_layer"],) if "initiative_layer" in case else (), preview=True,
    )
    result = build(request).result
    # rows read from the file, counted apart from the outcomes: each has at least one outcome
    if survey:
        rows = {o.source.row for o in result.outcomes if o.source.source == Source.SURVEY}
        assert len(rows) == read_survey(path, sheet=case.get("sheet")).responses
    else:
        assert len(result.outcomes) == _features_in(path)
    # every layer feature of map.umap is in exactly one layer file
    document = json.loads((out / "map.umap").read_text(encoding="utf-8"))
    layer_files = sorted((out / "layers").glob("*.geojson"))
    assert len(layer_files) == len(document["layers"])
    assert sum(_features_in(p) for p in layer_files) == sum(len(lay["features"]) for lay in document["layers"])
    leaks = [(name, value) for name, text in _public_texts(out).items() for value in case.get("contacts", [])
             if value in text]
    assert leaks == []
