"""Every command's common paths speak Italian when the system's language is Italian, English otherwise.

Each case runs one command as staff would (``LANG=it_IT.UTF-8``, as an Italian Windows or Linux desktop
sets it) and looks for English words in what it prints; the same case with ``LANG=C.UTF-8`` must show
them, so the check cannot pass on an empty output. Names, paths, quoted values and option names are
taken out first: they are the person's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen import build as build_module
from mapgen import errors
from mapgen.cli import app
from mapgen.i18n import language
from mapgen.publish.address import parse_map_url
from mapgen.publish.client import RemoteLayer, RemoteMap
from mapgen.publish.plan import KEY, BuiltLayer, LayerPlan, Plan, plan_lines
from tests.readers.test_remote_control import SURVEY
from tests.readers.test_remote_control import server as limesurvey  # noqa: F401  (fixture)

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = ROOT / "examples"
CORRECTIONS = ROOT / "tests" / "data" / "corrections"
SHAPES = ROOT / "tests" / "data" / "survey"
BAD = ROOT / "tests" / "data" / "bad"

#: The system's language as a person's terminal sets it; MAPGEN_LANG (set to en by conftest) removed.
ITALIAN = {"LANG": "it_IT.UTF-8", "LC_ALL": None, "LC_MESSAGES": None, "MAPGEN_LANG": None, "COLUMNS": "200"}
ENGLISH = {**ITALIAN, "LANG": "C.UTF-8"}

#: Words that only English text uses (not "file" or "record", which Italian uses as they are).
ENGLISH_WORDS = frozenset({
    "the", "records", "wrote", "error", "errors", "warning", "warnings", "need", "needs", "not", "and", "with",
    "is", "are", "of", "to", "rows", "row", "column", "columns", "found", "please", "bug", "details", "layer",
    "layers", "features", "initiatives", "responses", "excluded", "duplicates", "applied", "corrections",
    "nothing", "check", "published", "places", "line", "unknown", "missing", "read", "write", "fill", "open",
    "rebuild", "map", "settings", "update", "create", "keep", "unchanged", "next", "was", "has",
    "or", "sheet", "separator", "edition", "mapped", "merged", "unresolved", "building", "example",
    "bundled", "survey", "structure", "questions", "answer", "options", "user",
    "current", "retired", "names", "valid", "folder", "did", "you", "mean", "called", "geocoded", "edit",
    "then", "run", "fields", "placed", "groups", "left", "done", "internal", "pop",
})  # fmt: skip

#: What the person wrote, not mapgen: quoted values, «labels», paths, URLs, options, file names, and the
#: mapping file's section names (``[[survey.practices]]``), which are the file's own words.
_THEIRS = re.compile(
    r"'[^']*'|\"[^\"]*\"|«[^»]*»|\S*[/\\]\S*|https?://\S+|--[\w-]+|[\w.-]+\.[a-z]{2,7}\b|\b[A-Z]{2}\b"
    r"|\[\[?[\w.<>]+\]\]?"
)


def english_in(text: str) -> set[str]:
    """The English words of ``text``, once the person's own words are taken out."""
    return {w for w in re.findall(r"[a-z]+", _THEIRS.sub(" ", text).lower()) if w in ENGLISH_WORDS}


def test_the_marker_finds_english_and_spares_italian() -> None:
    assert english_in("Wrote 14 files to output:") == {"wrote", "to"}
    assert english_in("Scritti 14 file in 'the output': aprire C:\\Users\\the\\report.html --map") == set()
    assert english_in("typo.toml, [[survey.practices]] numero 1: aggiungere a [survey.columns]") == set()
    assert english_in("the [survey] section") == {"the"}


@dataclass(frozen=True)
class Case:
    """One command line, and what it needs set up (a folder, a server, a bug to trigger)."""

    name: str
    args: Callable[[Path], list[str]]
    exit_code: int = 0
    input: str | None = None


def _corrected(folder: Path, name: str) -> list[str]:
    return ["validate", str(EXAMPLES / "survey_2020.csv"), "--config", str(EXAMPLES / "mapping.toml"),
            "--corrections", str(CORRECTIONS / name)]


CASES = [
    # the example has two practices without a Comune or title: validate exits with status 1
    Case("validate", lambda tmp: _corrected(tmp, "unknown_action.csv"), exit_code=1),
    Case("validate-corrections", lambda tmp: _corrected(tmp, "code_not_a_comune.csv"), exit_code=1),
    Case("contradiction", lambda tmp: _corrected(tmp, "contradiction.csv"), exit_code=1),
    Case("missing-survey", lambda tmp: ["build", str(tmp / "nessuno.csv"), "--out", str(tmp / "out")], exit_code=1),
    Case("header-only", lambda tmp: ["validate", str(ROOT / "tests" / "data" / "bad" / "header_only.csv")],
         exit_code=1),
    Case("build-shape", lambda tmp: ["build", str(SHAPES / "shape_code_short.csv"), "--config",
                                     str(SHAPES / "shape_mapping.toml"), "--out", str(tmp / "out")]),
    Case("validate-shape", lambda tmp: ["validate", str(SHAPES / "shape_code_short.csv"), "--config",
                                        str(SHAPES / "shape_mapping.toml")]),
    Case("init-config", lambda tmp: ["init-config", str(SHAPES / "shape_code_short.csv"), "--out",
                                     str(tmp / "mapping.toml")]),
    Case("missing-config", lambda tmp: ["validate", str(SHAPES / "shape_code_short.csv"), "--config",
                                        str(tmp / "nessuna.toml")], exit_code=1),
    Case("config-exists", lambda tmp: ["init-config", str(SHAPES / "shape_code_short.csv"), "--out",
                                       str(SHAPES / "shape_mapping.toml")], exit_code=1),
    Case("lookup", lambda tmp: ["gazetteer", "lookup", "Castro", "--provincia", "LE"]),
    Case("lookup-missing", lambda tmp: ["gazetteer", "lookup", "Monteleone"], exit_code=1),
    Case("lookup-province", lambda tmp: ["gazetteer", "lookup", "Castro", "--provincia", "ZZ"], exit_code=1),
    Case("info", lambda tmp: ["gazetteer", "info"]),
    Case("publish-no-map", lambda tmp: ["publish", str(tmp)], exit_code=1),
    # wrong inputs of issue 27: a missing column, a TOML error, a mistyped code, the map given as the survey
    Case("missing-column", lambda tmp: ["validate", str(BAD / "several_sheets.xlsx")], exit_code=1),
    Case("toml-error", lambda tmp: ["validate", str(EXAMPLES / "survey_2020.csv"), "--config",
                                    str(BAD / "missing_bracket.toml")], exit_code=1),
    Case("typo-field", lambda tmp: ["validate", str(EXAMPLES / "survey_2020.csv"), "--config",
                                    str(BAD / "typo_field.toml")], exit_code=1),
    Case("mistyped-code", lambda tmp: ["validate", str(EXAMPLES / "survey_2020.csv"), "--config",
                                       str(BAD / "mistyped_code.toml")], exit_code=1),
    Case("map-as-survey", lambda tmp: ["build", str(BAD / "map_as_survey.umap"), "--out", str(tmp / "out")],
         exit_code=1),
    Case("bare-name-shared", lambda tmp: _corrected(tmp, "name_shared.csv"), exit_code=1),
]


def _run(case: Case, tmp_path: Path, env: dict[str, str | None]) -> str:
    result = CliRunner().invoke(app, case.args(tmp_path), env=env, input=case.input)
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_italian_at_the_terminal(case: Case, tmp_path: Path) -> None:
    output = _run(case, tmp_path, ITALIAN)
    assert output.strip()
    assert english_in(output) == set(), output


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_english_elsewhere(case: Case, tmp_path: Path) -> None:
    assert english_in(_run(case, tmp_path, ENGLISH))


def test_the_lingua_option_wins_over_the_system(tmp_path: Path) -> None:
    case = CASES[0]
    italian = CliRunner().invoke(app, ["--lingua", "it", *case.args(tmp_path)], env=ENGLISH)
    english = CliRunner().invoke(app, ["--lingua", "en", *case.args(tmp_path)], env=ITALIAN)
    assert english_in(italian.output) == set() and english_in(english.output)


def test_an_unknown_lingua_is_refused() -> None:
    result = CliRunner().invoke(app, ["--lingua", "fr", "gazetteer", "info"], env=ENGLISH)
    assert result.exit_code == 2 and "use it or en" in result.output


@pytest.fixture
def a_bug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """``mapgen build`` meets a bug: the internal-error line, its log in tmp_path."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(build_module, "build", broken)
    monkeypatch.setattr(errors, "save_traceback", lambda exc: str(tmp_path / "mapgen-crash.log"))
    yield


@pytest.mark.parametrize(("env", "italian"), [(ITALIAN, True), (ENGLISH, False)])
def test_the_internal_error_line(a_bug: None, tmp_path: Path, env: dict[str, str | None], italian: bool) -> None:
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out")], env=env)
    assert result.exit_code == errors.INTERNAL_ERROR_EXIT
    line = result.output.strip().splitlines()[-1]
    if italian:
        assert line.startswith("Errore interno di mapgen (RuntimeError): è un difetto del programma")
        assert english_in(line) == set()
    else:
        assert line.startswith("mapgen internal error (RuntimeError): this is a bug, please report it")


@pytest.mark.parametrize(("env", "italian"), [(ITALIAN, True), (ENGLISH, False)])
def test_fetch(limesurvey: str, tmp_path: Path, env: dict[str, str | None], italian: bool) -> None:  # noqa: F811
    out = tmp_path / "export.csv"
    secrets = {"MAPGEN_LIMESURVEY_USER": "ufficio", "MAPGEN_LIMESURVEY_PASSWORD": "segreta"}
    done = CliRunner().invoke(app, ["fetch", "--limesurvey", limesurvey, "--survey", str(SURVEY), "--out", str(out)],
                              env={**env, **secrets})
    assert done.exit_code == 0, done.output
    wrong = CliRunner().invoke(
        app, ["fetch", "--limesurvey", limesurvey, "--survey", str(SURVEY), "--out", str(out), "--user", "ufficio"],
        env={**env, "MAPGEN_LIMESURVEY_PASSWORD": None}, input="sbagliata\n",
    )  # fmt: skip
    assert wrong.exit_code == 1
    output = done.output + wrong.output
    assert (english_in(output) == set()) == italian, output
    assert ("Scritto" in done.output and "Password LimeSurvey" in wrong.output) == italian


def _plan() -> Plan:
    address = parse_map_url("https://umap.example.org/it/map/famiglie_12")
    built = [BuiltLayer(f"edizione-{year}.geojson", str(year), {"name": str(year)}, ()) for year in (2019, 2020)]
    stranger = RemoteLayer("b", 1, {"name": "Note"})
    old = RemoteLayer("c", 2, {"name": "2018", KEY: "edizione-2018.geojson"})
    remote = RemoteMap(address, "Famiglie", {}, (stranger, old), "3.8.1", can_edit=True, logged_in=True)
    layers = (
        LayerPlan("create", built[1], "u1", 3, {}, added=120),
        LayerPlan("update", built[0], "u2", 0, {}, added=2, removed=1, changed=3, settings_changed=True),
    )
    warning = ("layer '2018' was published by mapgen but is not in this build: left alone (delete it in the uMap "
               "editor if it is obsolete).")
    return Plan(remote, layers, {"zoom": 6}, (stranger,), (warning,))


def test_the_publish_plan_in_italian() -> None:
    with language("it"):
        lines = plan_lines(_plan())
    assert lines[0] == "Mappa 'Famiglie' (id 12, uMap 3.8.1):"
    assert lines[1:3] == ["  aggiorna    '2019': +2 aggiunti, -1 tolti, ~3 modificati, impostazioni modificate",
                          "  crea        '2020': 120 elementi"]
    assert english_in("\n".join(lines[:-1])) == set()  # the warning was made by make_plan, in its language
    with language("en"):
        assert english_in("\n".join(plan_lines(_plan())))
