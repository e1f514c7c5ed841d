"""report.html: the map and the charts say the same numbers as the tables they are drawn from (issue 19).

A screen reader cannot read the map, so every number on it is also in a table: the regions' colours
in "Iniziative per regione", the dots in "Comuni sulla mappa". These tests read the page as a browser
would (``html.parser``) and compare what each drawing says with its table and with the build.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fixtures.factories import comune, initiative, map_initiative
from mapgen.build import example_request, run_pipeline
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, EditionDiff, OutputOptions
from mapgen.writers.report import _legend, _shade, write_report

_VOID = {"meta", "br", "input", "img", "link", "hr", "col", "source", "wbr"}


@dataclass
class Node:
    """An element of the parsed page: enough of a DOM for these checks."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def words(self) -> str:
        """The text with runs of white space made one space, as a reader hears it."""
        return " ".join(self.text().split())

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and all(child.attrs.get(k) == v for k, v in attrs.items()):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def by_id(self, id_: str) -> Node | None:
        for child in self.children:
            if isinstance(child, Node):
                if child.attrs.get("id") == id_:
                    return child
                inner = child.by_id(id_)
                if inner is not None:
                    return inner
        return None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def number(text: str) -> int:
    """``1.200`` (Italian thousands) -> 1200; anything else is a failure."""
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", text), text
    return int(text.replace(".", ""))


_TITLE = re.compile(r"(?P<name>.+): (?P<n>[\d.]+) (?P<word>iniziativa|iniziative)")


def titled_counts(nodes: list[Node]) -> dict[str, int]:
    """``{"Puglia": 4}`` from ``<title>Puglia: 4 iniziative</title>``; the plural must agree."""
    counts = {}
    for node in nodes:
        found = _TITLE.fullmatch(node.find("title").text())
        assert found, node.find("title").text()
        n = number(found["n"])
        assert found["word"] == ("iniziativa" if n == 1 else "iniziative")
        assert found["name"] not in counts, f"drawn twice: {found['name']}"
        counts[found["name"]] = n
    return counts


def rows(table: Node) -> list[list[str]]:
    return [[td.words() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]


_RANGE = re.compile(
    r"nessuna iniziativa|(?P<one>[\d.]+) iniziativ[ae]|da (?P<low>[\d.]+) a (?P<high>[\d.]+) iniziative"
)


def legend(page: Node) -> list[tuple[str, int, int]]:
    """``[(fill, low, high)]`` of the legend, read from its words (``nessuna iniziativa`` is 0-0)."""
    classes = []
    for item in page.find("ul", **{"class": "legend"}).find_all("li"):
        found = _RANGE.fullmatch(item.words())
        assert found, item.words()
        low = number(found["one"] or found["low"] or "0")
        high = number(found["one"] or found["high"] or "0")
        classes.append((item.find("rect").attrs["fill"], low, high))
    return classes


def write_page(build: BuildResult, folder: Path, gazetteer: Gazetteer) -> Node:
    folder.mkdir(parents=True, exist_ok=True)
    _, html = write_report(build, folder, gazetteer=gazetteer, options=OutputOptions())
    return parse(html.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example_build() -> BuildResult:
    return run_pipeline(example_request())


@pytest.fixture(params=["example", "sample"])
def any_build(request: pytest.FixtureRequest, sample_build: BuildResult) -> BuildResult:
    if request.param == "sample":
        return sample_build
    build: BuildResult = request.getfixturevalue("example_build")
    return build


# --- every build: the drawings equal their tables ---------------------------------------------


def test_regions_on_the_map_equal_the_region_table(
    tmp_path: Path, any_build: BuildResult, gazetteer: Gazetteer
) -> None:
    page = write_page(any_build, tmp_path, gazetteer)
    drawn = titled_counts(page.find("figure", **{"class": "map"}).find_all("path"))
    table = {r[0]: number(r[1]) for r in rows(page.find("table", id="tabella-regioni"))}
    assert len(drawn) == len(gazetteer.regions)
    assert table == {name: n for name, n in drawn.items() if n}  # every region with initiatives
    empty = sorted(name for name, n in drawn.items() if not n)
    said = [p.words() for p in page.find_all("p", **{"class": "empty-regions"})]
    assert said == ([f"Regioni senza iniziative: {', '.join(empty)}."] if empty else [])
    published = len(any_build.initiatives)
    assert sum(drawn.values()) == sum(table.values()) == published
    assert number(page.find("strong", **{"data-total": "initiatives"}).text()) == published


def test_every_region_colour_is_in_the_legend_with_its_count(
    tmp_path: Path, any_build: BuildResult, gazetteer: Gazetteer
) -> None:
    page = write_page(any_build, tmp_path, gazetteer)
    classes = legend(page)
    assert classes[0][1:] == (0, 0)  # "nessuna iniziativa" first
    # The ranges follow on from 1 to the largest region, without gaps or overlaps.
    assert [low for _, low, _ in classes[1:]] == [1] + [high + 1 for _, _, high in classes[1:-1]]
    assert len({fill for fill, _, _ in classes}) == len(classes)
    paths = page.find("figure", **{"class": "map"}).find_all("path")
    counts = titled_counts(paths)
    assert classes[-1][2] == max(counts.values())
    for path, (name, n) in zip(paths, counts.items(), strict=True):
        _, low, high = next(c for c in classes if c[0] == path.attrs["fill"])
        assert low <= n <= high, f"{name}: {n} drawn in the class {low}-{high}"


def test_dots_equal_the_comuni_table(tmp_path: Path, any_build: BuildResult, gazetteer: Gazetteer) -> None:
    page = write_page(any_build, tmp_path, gazetteer)
    dots = titled_counts(page.find("figure", **{"class": "map"}).find_all("circle"))
    table = rows(page.find("table", **{"class": "comuni"}))
    by_label = {f"{c} ({sigla})": number(n) for c, sigla, _, n in table}
    assert len(by_label) == len(table)  # no Comune twice
    assert by_label == dots
    # And the build: one row per Comune with initiatives, counting them.
    assert by_label == dict(Counter(i.comune.label for i in any_build.initiatives))
    assert sum(by_label.values()) == len(any_build.initiatives)
    assert number(page.find("strong", **{"data-total": "comuni"}).text()) == len(table)
    assert page.find("h3", id="comuni-sulla-mappa").words() == f"Comuni sulla mappa ({len(table)})"


def test_comuni_table_is_by_region_then_comune_and_matches_the_region_table(
    tmp_path: Path, any_build: BuildResult, gazetteer: Gazetteer
) -> None:
    page = write_page(any_build, tmp_path, gazetteer)
    table = rows(page.find("table", **{"class": "comuni"}))
    regions = [r for _, _, r, _ in table]
    assert regions == sorted(regions, key=str.casefold)
    for region in set(regions):
        names = [c.casefold() for c, _, r, _ in table if r == region]
        assert names == sorted(names), region
    per_region = {r[0]: (number(r[1]), number(r[2])) for r in rows(page.find("table", id="tabella-regioni"))}
    assert per_region == {
        region: (sum(number(n) for *_, r, n in table if r == region), regions.count(region))
        for region in set(regions)
    }


@pytest.mark.parametrize("table_class", ["per-region", "per-area"])
def test_bars_are_as_long_as_their_numbers(
    tmp_path: Path, any_build: BuildResult, gazetteer: Gazetteer, table_class: str
) -> None:
    page = write_page(any_build, tmp_path, gazetteer)
    table = page.find("table", **{"class": table_class})
    counts = [number(tr.find_all("td")[1].text()) for tr in table.find("tbody").find_all("tr")]
    widths = [float(rect.attrs["width"]) for rect in table.find_all("rect")]
    top = max(counts)
    assert len(widths) == len(counts)
    for width, n in zip(widths, counts, strict=True):  # within a tenth of a pixel (rounded twice)
        assert abs(width - 160 * n / top) <= 0.1, (n, top, width)


def test_the_map_points_to_its_tables(tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer) -> None:
    page = write_page(sample_build, tmp_path, gazetteer)
    svg = page.find("figure", **{"class": "map"}).find("svg")
    assert svg.attrs["role"] == "img"
    note = page.by_id(svg.attrs["aria-describedby"])
    assert note is not None
    assert note.words() == ("I dati della mappa sono nella tabella «Iniziative per regione» (le regioni) "
                            "e nella tabella «Comuni sulla mappa» (i punti).")
    targets = [a.attrs["href"] for a in note.find_all("a")]
    assert targets == ["#iniziative-per-regione", "#comuni-sulla-mappa"]
    for target in targets:
        heading = page.by_id(target[1:])
        assert heading is not None and heading.tag == "h3"
    assert page.find("table", id="tabella-regioni").attrs["aria-labelledby"] == "iniziative-per-regione"
    assert page.find("table", **{"class": "comuni"}).attrs["aria-labelledby"] == "comuni-sulla-mappa"
    details = page.find("section", id="distribuzione").find("details")  # thousands of rows stay folded
    assert details.find("summary").words() == "Mostra i Comuni sulla mappa"
    assert details.find_all("table", **{"class": "comuni"})


# --- small cases, checked by hand ---------------------------------------------------------------


def _build(counts: dict[str, int]) -> BuildResult:
    """``{"058091": 2}``: that many initiatives in each Comune (ISTAT code), one edition."""
    items = []
    for code, n in counts.items():
        c = comune(code)
        for k in range(n):
            items.append(map_initiative(f"{code}-{k}", c, initiative(f"2020-{code}-{k}", comune_name=c.name)))
    return BuildResult(initiatives=tuple(items), outcomes=(), diff=EditionDiff(newest=2020, previous=()),
                       editions=(2020,))


def test_three_comuni_in_two_regions(tmp_path: Path, gazetteer: Gazetteer) -> None:
    # Roma 2 (Lazio); Castro 1 and Lecce 3 (Puglia).
    page = write_page(_build({"058091": 2, "075096": 1, "075035": 3}), tmp_path, gazetteer)
    assert rows(page.find("table", **{"class": "comuni"})) == [
        ["Roma", "RM", "Lazio", "2"],
        ["Castro", "LE", "Puglia", "1"],
        ["Lecce", "LE", "Puglia", "3"],
    ]
    assert [r[:3] for r in rows(page.find("table", id="tabella-regioni"))] == [
        ["Puglia", "4", "2"],
        ["Lazio", "2", "1"],
    ]
    figure = page.find("figure", **{"class": "map"})
    assert sorted(c.find("title").text() for c in figure.find_all("circle")) == [
        "Castro (LE): 1 iniziativa", "Lecce (LE): 3 iniziative", "Roma (RM): 2 iniziative",
    ]
    fills = {p.find("title").text(): p.attrs["fill"] for p in figure.find_all("path")}
    assert fills["Puglia: 4 iniziative"] == "#3182bd"
    assert fills["Lazio: 2 iniziative"] == "#9ecae1"
    assert fills["Molise: 0 iniziative"] == "#eeeeee"
    # Largest region 4: one class per count; the darkest colour is not used.
    assert [li.words() for li in figure.find("ul").find_all("li")] == [
        "nessuna iniziativa", "1 iniziativa", "2 iniziative", "3 iniziative", "4 iniziative",
    ]
    assert [r.attrs["fill"] for r in figure.find("ul").find_all("rect")] == [
        "#eeeeee", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd",
    ]
    empty = page.find("p", **{"class": "empty-regions"}).words()
    assert empty.startswith("Regioni senza iniziative: Abruzzo, Basilicata, Calabria, Campania, ")
    assert "Lazio" not in empty and "Puglia" not in empty and empty.count(", ") == 17  # 18 of 20


def test_thousands_are_written_the_italian_way(tmp_path: Path, gazetteer: Gazetteer) -> None:
    page = write_page(_build({"058091": 1200}), tmp_path, gazetteer)
    assert rows(page.find("table", **{"class": "comuni"})) == [["Roma", "RM", "Lazio", "1.200"]]
    figure = page.find("figure", **{"class": "map"})
    assert [c.find("title").text() for c in figure.find_all("circle")] == ["Roma (RM): 1.200 iniziative"]
    assert [li.words() for li in figure.find("ul").find_all("li")] == [
        "nessuna iniziativa", "da 1 a 240 iniziative", "da 241 a 480 iniziative",
        "da 481 a 720 iniziative", "da 721 a 960 iniziative", "da 961 a 1.200 iniziative",
    ]


def test_no_initiatives_no_dots_and_no_comuni_rows(tmp_path: Path, gazetteer: Gazetteer) -> None:
    page = write_page(_build({}), tmp_path, gazetteer)
    assert page.find("figure", **{"class": "map"}).find_all("circle") == []
    assert page.find("h3", id="comuni-sulla-mappa").words() == "Comuni sulla mappa (0)"
    assert page.find_all("table", **{"class": "comuni"}) == []
    assert [li.words() for li in page.find("ul", **{"class": "legend"}).find_all("li")] == ["nessuna iniziativa"]


# --- the legend's classes are the map's ---------------------------------------------------------


def test_legend_ranges_by_hand() -> None:
    # Largest 12 in five classes: 1-3, 4-5, 6-8, 9-10, 11-12 (shade: 1 + (count - 1) * 5 // 12).
    assert [(c.low, c.high) for c in _legend(12)] == [(0, 0), (1, 3), (4, 5), (6, 8), (9, 10), (11, 12)]
    assert [(c.low, c.high) for c in _legend(2)] == [(0, 0), (1, 1), (2, 2)]
    assert [(c.low, c.high) for c in _legend(0)] == [(0, 0)]


@pytest.mark.parametrize("top", range(1, 61))
def test_every_count_has_one_legend_class_with_the_map_colour(top: int) -> None:
    classes = _legend(top)
    for count in range(1, top + 1):
        holding = [c for c in classes if c.low <= count <= c.high]
        assert len(holding) == 1, (top, count)
        assert holding[0].fill == _shade(count, top), (top, count)


def test_a_region_name_mismatch_would_be_caught(tmp_path: Path, sample_build: BuildResult,
                                                gazetteer: Gazetteer) -> None:
    """The comparison can fail: a Comune whose region is spelt otherwise leaves the map's count behind."""
    first = sample_build.initiatives[0]
    renamed = replace(first, comune=replace(first.comune, region="Lazio (altro nome)"))
    build = replace(sample_build, initiatives=(renamed, *sample_build.initiatives[1:]))
    page = write_page(build, tmp_path, gazetteer)
    drawn = titled_counts(page.find("figure", **{"class": "map"}).find_all("path"))
    table = {r[0]: number(r[1]) for r in rows(page.find("table", id="tabella-regioni"))}
    assert table != {name: n for name, n in drawn.items() if n}


def test_headings_do_not_skip_a_level(tmp_path: Path, any_build: BuildResult, gazetteer: Gazetteer) -> None:
    page = write_page(any_build, tmp_path, gazetteer)
    levels: list[int] = []

    def walk(node: Node) -> None:
        for child in node.children:
            if isinstance(child, Node):
                if re.fullmatch(r"h[1-6]", child.tag):
                    levels.append(int(child.tag[1]))
                walk(child)

    walk(page)
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    section = page.find("section", id="distribuzione")
    comuni = len({i.comune.istat_code for i in any_build.initiatives})
    assert [h.words() for h in section.find_all("h3")][:2] == [
        "Iniziative per regione", f"Comuni sulla mappa ({comuni})",
    ]
