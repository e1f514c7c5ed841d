"""write_umap: layer files and the .umap backup, checked against uMap's own rules.

Goldens live in ``tests/golden/umap/`` (canonical, pretty-printed JSON; the region
outlines are replaced by a summary so the files stay readable). Rewrite them
with ``pytest --update-golden`` and read every diff.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import shape

from fixtures import factories
from mapgen.gazetteer import Gazetteer
from mapgen.model import AREAS, BuildResult, CarriedLayer, OutputOptions
from mapgen.umap.markup import plain_text, safe_url, umap_text
from mapgen.writers import umap as umap_writer
from mapgen.writers.umap import MAP_FIELDS, MAP_FILTERS, write_umap
from tests.umap_pipeline import greedy_template, parse, popup_html, to_html

GOLDEN = Path(__file__).parents[1] / "golden" / "umap"
ITALY_LON, ITALY_LAT = (6.0, 19.0), (35.0, 48.0)


def write(build: BuildResult, folder: Path, gazetteer: Gazetteer, **options: Any) -> dict[str, Any]:
    """Write the uMap output and return every file parsed, by path relative to ``folder``."""
    paths = write_umap(build, folder, gazetteer=gazetteer, options=OutputOptions(**options))
    return {
        p.relative_to(folder).as_posix(): json.loads(p.read_text(encoding="utf-8")) for p in paths
    }


def initiative_layers(files: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in files.items() if k.startswith(("layers/edizione-", "layers/area-"))}


# --- golden files ---------------------------------------------------------------------------


def _summarise_outlines(data: Any) -> Any:
    """Replace polygon coordinates by a summary (they come from the gazetteer, not from us)."""
    if isinstance(data, dict):
        geometry = data.get("geometry")
        if data.get("type") == "Feature" and geometry and geometry["type"] != "Point":
            count = int(shapely.get_num_coordinates(shape(geometry)))
            data = {
                **data,
                "geometry": {"type": geometry["type"], "coordinates": f"<{count} positions>"},
            }
        return {k: _summarise_outlines(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_summarise_outlines(v) for v in data]
    return data


def _golden_text(name: str, data: Any) -> str:
    if name == "map.umap":  # the layers are checked equal to the layer files below
        data = {**data, "layers": [layer["_umap_options"]["name"] for layer in data["layers"]]}
    return (
        json.dumps(_summarise_outlines(data), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    )


def test_output_matches_golden_files(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path, update_golden: bool
) -> None:
    files = write(sample_build, tmp_path, gazetteer)
    for name, data in files.items():
        golden = GOLDEN / Path(name).name
        text = _golden_text(Path(name).name, data)
        if update_golden:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert golden.is_file(), f"no golden for {name}; run pytest --update-golden and read it"
        assert text == golden.read_text(encoding="utf-8"), f"{name} differs from {golden}"
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(Path(n).name for n in files)


def test_files_written_and_returned(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    paths = write_umap(sample_build, tmp_path, gazetteer=gazetteer, options=OutputOptions())
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "layers/regioni.geojson",
        "layers/precedente-progetti-regionali.geojson",
        "layers/edizione-2019.geojson",
        "layers/edizione-2020.geojson",
        "map.umap",
    ]
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted(paths)


def test_output_is_byte_identical_across_runs(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    first = write_umap(sample_build, tmp_path / "a", gazetteer=gazetteer, options=OutputOptions())
    second = write_umap(
        factories.sample_build(), tmp_path / "b", gazetteer=gazetteer, options=OutputOptions()
    )
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


# --- the .umap document ---------------------------------------------------------------------


def test_umap_layers_are_the_layer_files(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    files = write(sample_build, tmp_path, gazetteer)
    document = files.pop("map.umap")
    assert document["layers"] == list(files.values())
    # what uMap's importRaw requires: properties object, layers array (app.js importRaw)
    assert isinstance(document["properties"], dict)
    assert all(
        "_umap_options" in layer and "properties" not in layer for layer in document["layers"]
    )


def test_map_view_is_over_italy(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    document = write(sample_build, tmp_path, gazetteer)["map.umap"]
    lon, lat = document["geometry"]["coordinates"]
    assert ITALY_LON[0] < lon < ITALY_LON[1] and ITALY_LAT[0] < lat < ITALY_LAT[1]
    assert isinstance(document["properties"]["zoom"], int)
    assert document["properties"]["name"] == OutputOptions().title
    assert gazetteer.attribution in document["properties"]["shortCredit"]


def test_filters_use_declared_fields(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    properties = write(sample_build, tmp_path, gazetteer)["map.umap"]["properties"]
    declared = {f["key"]: f["type"] for f in properties["fields"]}
    assert [f["fieldKey"] for f in properties["filters"]] == [
        "area",
        "edizione",
        "regione",
        "fonte",
    ]
    assert all(declared[f["fieldKey"]] in ("String", "Enum") for f in properties["filters"])
    assert len(MAP_FILTERS) == len(properties["filters"])


def test_property_values_have_their_declared_types(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    """uMap silently ignores a value of the wrong type (schema.js isValidValue)."""
    python_type = {"String": str, "Text": str, "Enum": str, "Date": str, "Number": (int, float)}
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    for feature in (f for layer in layers.values() for f in layer["features"]):
        for key, kind in MAP_FIELDS:
            value = feature["properties"].get(key)
            assert value is None or isinstance(value, python_type[kind]), (key, value)
            assert value is None or not isinstance(value, bool)


def test_enum_values_split_into_vocabulary(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    for feature in (f for layer in layers.values() for f in layer["features"]):
        # fields.js Enum.parse: split on "," then trim
        assert {a.strip() for a in feature["properties"]["area"].split(",")} <= set(AREAS)
        assert {int(e) for e in feature["properties"]["edizione"].split(",")} <= {2019, 2020}


# --- layers and features ------------------------------------------------------------------


def test_every_initiative_in_exactly_one_layer_with_its_count(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    codes = [f["properties"]["codice"] for layer in layers.values() for f in layer["features"]]
    assert sorted(codes) == sorted(i.id for i in sample_build.initiatives)
    for layer in layers.values():
        count = len(layer["features"])
        suffix = "1 iniziativa" if count == 1 else f"{count} iniziative"
        assert layer["_umap_options"]["name"].endswith(f" · {suffix}")


def test_layers_by_edition_hold_the_newest_edition(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    assert (
        layers["layers/edizione-2020.geojson"]["_umap_options"]["name"]
        == "Edizione 2020 · 5 iniziative"
    )
    assert (
        layers["layers/edizione-2019.geojson"]["_umap_options"]["name"]
        == "Solo edizione 2019 · 1 iniziativa"
    )
    continued = next(
        f
        for f in layers["layers/edizione-2020.geojson"]["features"]
        if f["properties"]["codice"] == "058091-centro-per-le-famiglie"
    )
    assert continued["properties"]["edizione"] == "2019, 2020"
    assert "Testo dell'edizione 2019:" in continued["properties"]["description"]


def test_layers_by_area(sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path) -> None:
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer, layers_by_area=True))
    names = [layer["_umap_options"]["name"] for layer in layers.values()]
    areas = [
        "Altro",
        "Centri per le famiglie",
        "Responsabilità genitoriali",
        "Sostegno alle famiglie",
    ]
    assert names == [f"{area} · 1 iniziativa" for area in [*areas, "Natalità", "Infanzia"]]
    assert list(layers)[-1] == "layers/area-infanzia.geojson"  # last = top of uMap's list
    for layer in layers.values():
        colors = {f["properties"]["_umap_options"]["color"] for f in layer["features"]}
        assert colors == {layer["_umap_options"]["color"]}


def test_features_carry_their_own_style(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    """The import panel drops a layer file's options, so each feature styles itself."""
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    for feature in (f for layer in layers.values() for f in layer["features"]):
        style = feature["properties"]["_umap_options"]
        area = feature["properties"]["area"].split(", ")[0]
        assert (style["color"], style["iconUrl"]) == umap_writer.AREA_STYLES[area]


def test_points_are_rfc7946_lon_lat_with_six_decimals(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    files = write(sample_build, tmp_path, gazetteer)
    for layer in initiative_layers(files).values():
        for feature in layer["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            assert ITALY_LON[0] < lon < ITALY_LON[1] and ITALY_LAT[0] < lat < ITALY_LAT[1]
            assert (round(lon, 6), round(lat, 6)) == (lon, lat)
    roma = factories.comune("058091")
    nidi = next(
        f
        for f in files["layers/edizione-2020.geojson"]["features"]
        if f["properties"]["name"] == "Nidi gratis"
    )
    assert nidi["geometry"]["coordinates"] == [round(roma.lon, 6), round(roma.lat, 6)]


def test_colocated_or_many_points_are_clustered(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    assert (
        layers["layers/edizione-2020.geojson"]["_umap_options"]["type"] == "Cluster"
    )  # two in Roma
    assert layers["layers/edizione-2019.geojson"]["_umap_options"]["type"] == "Default"


def test_big_layers_are_split_under_the_size_limit(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(umap_writer, "LAYER_SIZE_LIMIT", 4000)
    layers = initiative_layers(write(sample_build, tmp_path, gazetteer))
    names = [layer["_umap_options"]["name"] for layer in layers.values()]
    assert names[-2:] == [
        "Edizione 2020 · Centro · 2 iniziative",
        "Edizione 2020 · Nord-ovest · 1 iniziativa",
    ]
    assert all(n.startswith("Edizione 2020 · Sud") for n in names[1:-2])
    codes = [f["properties"]["codice"] for layer in layers.values() for f in layer["features"]]
    assert sorted(codes) == sorted(i.id for i in sample_build.initiatives)
    for path in layers:
        assert (tmp_path / path).stat().st_size <= 4000 or len(layers[path]["features"]) == 1


# --- contacts, links, hostile text --------------------------------------------------------


def _all_text(files: dict[str, Any]) -> str:
    return json.dumps(files, ensure_ascii=False)


def test_no_contact_data_unless_opted_in(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    public = _all_text(write(sample_build, tmp_path / "public", gazetteer))
    assert "mario.rossi@example.org" not in public and "Mario Rossi" not in public
    assert "06 1234567" not in public
    opted = write(sample_build, tmp_path / "opted", gazetteer, include_contacts=True)
    roma = next(
        f
        for f in opted["layers/edizione-2020.geojson"]["features"]
        if f["properties"]["name"] == "Nidi gratis"
    )
    assert roma["properties"]["email"] == "mario.rossi@example.org"
    assert "**Email:** mario.rossi@example.org" in roma["properties"]["description"]


def test_links_only_http(sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path) -> None:
    files = write(sample_build, tmp_path, gazetteer)
    text = _all_text(files)
    assert "javascript:alert(1)" not in text.replace("javascript:alert(1)&#124;link", "")
    nidi = next(
        f
        for f in files["layers/edizione-2020.geojson"]["features"]
        if f["properties"]["name"] == "Nidi gratis"
    )
    assert (
        "sito_web" not in nidi["properties"] and "Sito web" not in nidi["properties"]["description"]
    )
    tags, _ = parse(popup_html(files["layers/edizione-2019.geojson"]["features"][0]["properties"]))
    assert [a["href"] for t, a in tags if t == "a"] == ["https://www.example.org/centro"]


def test_hostile_text_shows_literally_in_the_popup(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    files = write(sample_build, tmp_path, gazetteer)
    castro = next(
        f
        for f in files["layers/edizione-2020.geojson"]["features"]
        if f["properties"]["comune"] == "Castro"
    )
    properties = castro["properties"]
    assert properties["name"] == "Bonus bebè ‹b›2020‹/b›"
    tags, text = parse(popup_html(properties))
    assert factories.HOSTILE_TEXT in text
    assert {t for t, _ in tags} <= {"h4", "strong", "a"}  # only markup the template means
    assert {a.get("href") for t, a in tags if t == "a"} == {"https://www.example.org/centro"}


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@given(_TEXT)
def test_umap_text_survives_umaps_pipeline(text: str) -> None:
    """Any survey text comes out of placeholder filling and markup as typed, with no tag."""
    html = to_html(greedy_template(umap_text(text), {"campo": "X", "name": "N"}))
    tags, shown = parse(html)
    expected = umap_text(text)  # html.parser reads entities the way the browser does
    assert shown == parse(expected)[1]
    # the only tags are autolinks around http(s) URLs typed in the text
    assert all(tag == "a" and (attrs.get("href") or "").startswith("http") for tag, attrs in tags)
    assert all((attrs.get("href") or "") in shown for _, attrs in tags)


def test_umap_text_examples() -> None:
    assert umap_text("5 * 3 * 2") == "5 &#42; 3 &#42; 2"
    assert (
        umap_text("{campo} [[x|y]] {{img}}")
        == "&#123;campo&#125; &#91;&#91;x&#124;y&#93;&#93; &#123;&#123;img&#125;&#125;"
    )
    assert umap_text("a\r\n---\r# t\n- b") == "a\n&#45;--\n&#35; t\n&#45; b"
    assert umap_text('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert umap_text("h_t_t_p") == "h&#95;t&#95;t&#95;p"


@given(st.text(alphabet=st.sampled_from(list(" \u00a0\t\n\r\x85\u2028\x00\x0e\x1c\x7f<>*[]{}ab|é🧸")), max_size=30))
def test_plain_text_returns_a_text_it_would_not_change_as_it_is(text: str) -> None:
    """plain_text's shortcut (no character it would change) agrees with every step done."""
    from mapgen.umap import markup

    every_step = markup._SPACES.sub(" ", markup.normalise_lines(text)).strip().translate(markup._PLAIN)
    for pair, spaced in markup._PLAIN_PAIRS:
        while pair in every_step:
            every_step = every_step.replace(pair, spaced)
    assert plain_text(text) == every_step


def test_plain_text_examples() -> None:
    assert plain_text("  Bonus\n<b>bebè</b> ") == "Bonus ‹b›bebè‹/b›"
    assert plain_text("5*3 [[[x]]] {{{y}}}") == "5∗3 [ [ [x] ] ] { { {y} } }"
    assert plain_text("Sport & famiglia") == "Sport & famiglia"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.org/a?b=1&c=2", "https://www.example.org/a?b=1&amp;c=2"),
        ('http://x.it/a b|c]d*e"f<g>', "http://x.it/a%20b%7Cc%5Dd%2Ae%22f%3Cg%3E"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("www.example.org", None),
        ("https://", None),
        ("ftp://example.org", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


# --- regions and carried layers ---------------------------------------------------------


def test_regions_layer_figures(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    regions = write(sample_build, tmp_path, gazetteer)["layers/regioni.geojson"]
    assert len(regions["features"]) == len(gazetteer.regions) == 20
    assert regions["_umap_options"]["name"] == "Regioni"
    assert regions["_umap_options"]["browsable"] is False
    by_name = {f["properties"]["regione"]: f["properties"] for f in regions["features"]}
    puglia = by_name["Puglia"]
    comuni = [c for c in gazetteer.active() if c.region == "Puglia"]
    assert puglia["popolazione"] == sum(c.population or 0 for c in comuni)
    assert puglia["popolazione_0_17"] == sum(c.population_0_17 or 0 for c in comuni)
    assert (puglia["iniziative"], puglia["comuni_con_iniziative"], puglia["comuni"]) == (
        2,
        2,
        len(comuni),
    )
    assert "**Comuni coinvolti, anche tramite Ambiti e Unioni:** 3" in puglia["description"]
    assert "* natalità: 1" in puglia["description"]
    assert sum(p["iniziative"] for p in by_name.values()) == len(sample_build.initiatives)
    assert by_name["Molise"]["iniziative"] == 0 and "area" not in by_name["Molise"]


def test_regions_outlines_are_valid_rfc7946(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    write(sample_build, tmp_path, gazetteer)
    path = tmp_path / "layers" / "regioni.geojson"
    assert path.stat().st_size < 600_000
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature["properties"]["name"]
        polygons = getattr(geometry, "geoms", [geometry])
        assert all(p.exterior.is_ccw and not any(r.is_ccw for r in p.interiors) for p in polygons)
        coords = shapely.get_coordinates(geometry)
        assert (coords.round(6) == coords).all()


def test_carried_regional_layer_replaces_ours(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[12, 41], [13, 41], [13, 42], [12, 42], [12, 41]]],
    }
    regional = CarriedLayer(
        name="Dati per regione",
        source="mappa_2019.umap",
        geojson={
            "type": "FeatureCollection",
            "_umap_options": {"name": "Dati per regione", "weight": 2},
            "features": [{"type": "Feature", "geometry": square, "properties": {"name": "Lazio"}}],
        },
    )
    build = replace(sample_build, carried_layers=(*sample_build.carried_layers, regional))
    files = write(build, tmp_path, gazetteer)
    assert "layers/regioni.geojson" not in files
    # Kept as read, only out of the facet filters (its features have no area/edizione).
    kept = files["layers/precedente-dati-per-regione.geojson"]
    assert kept["_umap_options"].pop("browsable") is False
    assert kept == regional.geojson
    other = files["layers/precedente-progetti-regionali.geojson"]
    assert other["_umap_options"].pop("browsable") is False
    assert other == sample_build.carried_layers[0].geojson


def test_point_layer_named_regional_is_not_a_regions_layer(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    assert sample_build.carried_layers[0].name == "Progetti regionali"
    assert "layers/regioni.geojson" in write(sample_build, tmp_path, gazetteer)


def test_unwritable_folder_raises_output_error(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    from mapgen.errors import OutputError

    (tmp_path / "layers").write_text("not a folder")
    message = r"^cannot write regioni\.geojson: .*choose another --out\.$"
    with pytest.raises(OutputError, match=message):
        write_umap(sample_build, tmp_path, gazetteer=gazetteer, options=OutputOptions())


def test_build_without_initiatives_still_gives_a_map(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    empty = replace(sample_build, initiatives=(), carried_layers=())
    files = write(empty, tmp_path, gazetteer)
    assert list(files) == ["layers/regioni.geojson", "map.umap"]
    assert "**0 iniziative** in **0 Comuni**" in files["map.umap"]["properties"]["description"]


def test_carried_layers_whose_names_give_one_file_name_keep_every_feature(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    """Issue 20: "A", "A", "A 2" used to write precedente-a-2.geojson twice, losing a layer."""

    def layer(name: str, feature_name: str) -> CarriedLayer:
        point = {"type": "Point", "coordinates": [12.5, 41.9]}
        feature = {"type": "Feature", "geometry": point, "properties": {"name": feature_name}}
        return CarriedLayer(name=name, source="mappa.umap", geojson={
            "type": "FeatureCollection", "_umap_options": {"name": name}, "features": [feature]})

    carried = (layer("A", "uno"), layer("A", "due"), layer("A 2", "tre"))
    files = write(replace(sample_build, carried_layers=carried), tmp_path, gazetteer)
    names = {key: [f["properties"]["name"] for f in value["features"]]
             for key, value in files.items() if key.startswith("layers/precedente-a")}
    assert names == {"layers/precedente-a.geojson": ["uno"], "layers/precedente-a-3.geojson": ["due"],
                     "layers/precedente-a-2.geojson": ["tre"]}
    # every feature of every layer of map.umap is in exactly one layer file
    document = json.loads((tmp_path / "map.umap").read_text(encoding="utf-8"))
    in_files = sorted(json.dumps(f, sort_keys=True) for key, value in files.items()
                      if key.startswith("layers/") for f in value["features"])
    in_map = sorted(json.dumps(f, sort_keys=True) for lay in document["layers"] for f in lay["features"])
    assert in_files == in_map


def _points_layer(name: str, properties: dict[str, str]) -> CarriedLayer:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [12.5, 41.9]},
        "properties": {"name": "Sede", **properties},
    }
    return CarriedLayer(
        name=name,
        source="mappa_2019.umap",
        geojson={"type": "FeatureCollection", "_umap_options": {"name": name}, "features": [feature]},
    )


def test_no_two_layers_share_a_name(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    """Issue 17: a carried "Regioni" (points, not outlines) sat beside the generated "Regioni"."""
    carried = (_points_layer("Regioni", {}), _points_layer("Regioni", {}))
    build = replace(sample_build, carried_layers=carried)
    document = write(build, tmp_path, gazetteer)["map.umap"]
    names = [layer["_umap_options"]["name"] for layer in document["layers"]]
    assert len(names) == len(set(names)), names
    assert names[:3] == ["Regioni", "Regioni (mappa precedente)", "Regioni (mappa precedente 2)"]


def test_filters_offer_no_empty_choice(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    """uMap lists every value of every browsable layer's features in each filter: the layers
    whose features lack a filtered property are not browsable, the others keep every value."""
    complete = {"area": "infanzia", "edizione": "2019", "regione": "Lazio", "fonte": "Comune"}
    carried = (_points_layer("Sedi", {}), _points_layer("Completo", complete))
    document = write(replace(sample_build, carried_layers=carried), tmp_path, gazetteer)["map.umap"]
    keys = [f["fieldKey"] for f in document["properties"]["filters"]]
    for layer in document["layers"]:
        options = layer["_umap_options"]
        if options.get("browsable") is False:
            continue
        for feature in layer["features"]:
            missing = [k for k in keys if not feature["properties"].get(k)]
            assert not missing, (options["name"], feature["properties"].get("name"), missing)
    browsable = {
        layer["_umap_options"]["name"]: layer["_umap_options"].get("browsable")
        for layer in document["layers"]
    }
    assert browsable["Sedi"] is False
    assert browsable["Completo"] is None


def test_remote_base_url_makes_remote_data_layers(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    """``[output] remote_base_url``: map.umap layers load their file from the web server."""
    base = "https://www.example.it/mappa"
    files = write(sample_build, tmp_path, gazetteer, remote_base_url=base)
    plain = write(sample_build, tmp_path / "plain", gazetteer)
    layer_files = sorted(name for name in files if name.startswith("layers/"))
    # The layer files (what the web server serves) are the same as without remote data.
    assert all(files[name] == plain[name] for name in layer_files)
    urls = []
    for layer in files["map.umap"]["layers"]:
        assert layer["features"] == []
        remote = layer["_umap_options"]["remoteData"]
        assert (remote["format"], remote["proxy"]) == ("geojson", False)
        urls.append(remote["url"])
    assert sorted(urls) == [f"{base}/{name}" for name in layer_files]


def test_an_association_practice_names_it_and_lists_its_members(gazetteer: Gazetteer, tmp_path: Path) -> None:
    # A practice of the Bassa Romagna sited at Lugo (issue 26): one marker, the Unione named,
    # its nine members listed and searchable in uMap's data browser (filterKey).
    association = gazetteer.association("UC2080666010")
    assert association is not None
    lugo = factories.comune("039012")
    members = tuple(factories.comune(code) for code in association.members)
    item = replace(factories.map_initiative("039012-primi-1000-giorni", lugo, factories.initiative(),
                                            members=members), association=association)
    build = BuildResult(initiatives=(item,), outcomes=(), diff=factories.sample_build().diff, editions=(2020,))
    files = write(build, tmp_path, gazetteer)
    features = [f for data in initiative_layers(files).values() for f in data["features"]]
    assert len(features) == 1  # one marker, never one per member
    props = features[0]["properties"]
    assert props["associazione"] == "Unione dei Comuni della Bassa Romagna"
    assert "Bagnacavallo (RA)" in props["comuni_coinvolti"]
    assert "**Associazione:** Unione dei Comuni della Bassa Romagna" in props["description"]
    keys = files["map.umap"]["properties"]["filterKey"].split(",")
    assert {"associazione", "comuni_coinvolti"} <= set(keys)


def test_the_territories_layer_draws_each_association_once_off_on_load(
    gazetteer: Gazetteer, tmp_path: Path
) -> None:
    association = gazetteer.association("UC2080666010")
    assert association is not None
    lugo = factories.comune("039012")
    members = tuple(factories.comune(code) for code in association.members)
    items = tuple(
        replace(factories.map_initiative(f"039012-{n}", lugo, factories.initiative(f"2020-R{n}-G1", titolo=title),
                                         members=members), association=association)
        for n, title in ((1, "Primi 1000 giorni"), (2, "Centro per le famiglie"))
    )
    build = BuildResult(initiatives=items, outcomes=(), diff=factories.sample_build().diff, editions=(2020,))
    files = write(build, tmp_path, gazetteer)
    layer = files["layers/territori-ambiti-unioni.geojson"]
    options = layer["_umap_options"]
    assert (options["name"], options["displayOnLoad"]) == ("Territori di Ambiti e Unioni", False)
    [feature] = layer["features"]  # one territory for the two practices
    props = feature["properties"]
    assert (props["name"], props["n_comuni"], props["n_iniziative"]) == (
        "Unione dei Comuni della Bassa Romagna", 9, 2)
    # A list as uMap 3.8.1 renders it (utils.js toHTML: /^\* (.*)/gm -> <ul><li>$1</li></ul>).
    assert re.findall(r"^\* (.*)", props["description"], flags=re.M) == [
        "Centro per le famiglie (Lugo (RA))", "Primi 1000 giorni (Lugo (RA))"]
    # The territory covers every member: each member's point lies inside (or within 500 m of) it.
    territory = shape(feature["geometry"])
    for member in members:
        assert territory.distance(shapely.Point(member.lon, member.lat)) < 0.005, member.name
    assert (tmp_path / "layers" / "territori-ambiti-unioni.geojson").stat().st_size < umap_writer.LAYER_SIZE_LIMIT
    # Beneath the initiatives: listed before them in map.umap (uMap draws the last on top).
    names = [entry["_umap_options"]["name"] for entry in files["map.umap"]["layers"]]
    assert names.index("Territori di Ambiti e Unioni") < next(i for i, n in enumerate(names) if "2020" in n)


def test_no_territories_layer_without_associations(sample_build: BuildResult, gazetteer: Gazetteer,
                                                   tmp_path: Path) -> None:
    assert "layers/territori-ambiti-unioni.geojson" not in write(sample_build, tmp_path, gazetteer)


@pytest.mark.parametrize("limit", [umap_writer.LAYER_SIZE_LIMIT, 4000])
def test_files_are_the_canonical_json_of_what_they_hold(
    sample_build: BuildResult, gazetteer: Gazetteer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """The writer joins features serialised once (when measured) into the layer files and map.umap:
    each file is still exactly what ``json.dumps`` gives for its content, even when a carried text
    holds the placeholder the writer joins on."""
    monkeypatch.setattr(umap_writer, "LAYER_SIZE_LIMIT", limit)
    slots = {f"nota_{n}": f"\x00mapgen-features-{n}\x00" for n in range(40)}
    hostile = _points_layer("Sedi", slots)
    build = replace(sample_build, carried_layers=(*sample_build.carried_layers, hostile))
    paths = write_umap(build, tmp_path, gazetteer=gazetteer, options=OutputOptions())
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        expected = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
        assert path.read_bytes() == (expected + "\n").encode("utf-8"), path.name
    document = json.loads((tmp_path / "map.umap").read_text(encoding="utf-8"))
    carried = [layer for layer in document["layers"] if layer["_umap_options"]["name"] == "Sedi"]
    assert [f["properties"] for layer in carried for f in layer["features"]] == [{"name": "Sede", **slots}]
    assert len(document["layers"]) == len(paths) - 1 > 3
