"""uMap output: ``layers/<slug>.geojson`` and ``map.umap``, importable into uMap 2.x/3.x.

What uMap reads, and why each choice (line numbers are uMap 3.8.1,
``umap/static/umap/js/modules/``; see ``templates/README.md`` for the text rules):

- ``map.umap`` is a full map backup: ``properties`` (required, only keys of
  ``schema.js`` ``SCHEMA`` are kept: ``app.js`` ``setProperties``), ``geometry`` (the
  centre) and ``layers`` (required array, ``app.js`` ``importRaw``). Each generated
  layer's options go under ``_umap_options``, the key every 2.x/3.x import reads; a
  carried layer keeps its options where they were, read as uMap reads them
  (``app.js`` ``createDataLayer``, :func:`mapgen.umap.layers.layer_options`).
- The import panel ignores a standalone FeatureCollection's own options
  (``importer.js`` ``copy``; ``data/layer.js`` ``importRaw`` reads features only), so
  each feature carries its colour and symbol in ``properties._umap_options``
  (``data/features.js`` ``getOption``). Layer files are the ``.umap`` layers verbatim.
- Facet filters are declared once for the whole map with ``fields`` (typed:
  ``data/fields.js``) and ``filters`` (``filters.js`` widgets); ``Enum`` values are
  comma-separated strings, ``Number`` values JSON numbers.
- Each layer file is kept under :data:`LAYER_SIZE_LIMIT` bytes (a proxy's default 1 MB
  body limit makes uMap fail to save bigger layers, uMap issue #2779): a bigger layer
  is split by ISTAT macro-area, then by region, then into numbered parts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from mapgen._json import dumps
from mapgen.errors import OutputError, output_fix
from mapgen.gazetteer import Gazetteer
from mapgen.i18n import _
from mapgen.model import AREAS, BuildResult, CarriedLayer, Initiative, MapInitiative, OutputOptions
from mapgen.text import fold, slugify
from mapgen.umap.layers import CARRIED_FILE_PREFIX, carried_layer_name, editable_options, layer_options
from mapgen.umap.markup import (
    carried_description,
    plain_text,
    plain_url,
    render_template,
    safe_url,
    umap_text,
)

__all__ = [
    "AREA_STYLES",
    "CLUSTER_THRESHOLD",
    "LAYER_SIZE_LIMIT",
    "MAP_FIELDS",
    "MAP_FILTERS",
    "write_umap",
]

log = logging.getLogger(__name__)

#: Colour (colour-blind safe, Okabe-Ito) and marker symbol of each area.
AREA_STYLES: Final[Mapping[str, tuple[str, str]]] = {
    "infanzia": ("#E69F00", "🧸"),
    "natalità": ("#CC79A7", "🍼"),
    "sostegno alle famiglie": ("#009E73", "🤝"),
    "responsabilità genitoriali": ("#0072B2", "📖"),
    "centri per le famiglie": ("#D55E00", "🏠"),
    "altro": ("#56B4E9", "★"),
}
_NO_AREA_STYLE: Final = ("#666666", "")
_EDITION_COLORS: Final = ("#1F3A93", "#7F7F7F")  # newest edition, older ones

#: A layer with more points than this, or with points on top of each other, is clustered.
CLUSTER_THRESHOLD: Final = 50
#: Largest layer file written in one piece (bytes); bigger layers are split.
LAYER_SIZE_LIMIT: Final = 900_000

# Room left in a layer file for its _umap_options (about 700 bytes) when splitting.
_OPTIONS_ALLOWANCE: Final = 1_000

#: Typed properties of the initiative features (``data/fields.js`` types).
MAP_FIELDS: Final = (
    ("name", "String"),
    ("description", "Text"),
    ("comune", "String"),
    ("sigla", "String"),
    ("regione", "String"),
    ("istat", "String"),
    ("area", "Enum"),
    ("edizione", "Enum"),
    ("fonte", "Enum"),
    ("importo", "Number"),
    ("data_inizio", "Date"),
    ("data_fine", "Date"),
    ("popolazione", "Number"),
    ("popolazione_0_17", "Number"),
)
#: The facet filters (field, widget, Italian label) shown in the data browser.
MAP_FILTERS: Final = (
    ("area", "Checkbox", "Area"),
    ("edizione", "Checkbox", "Edizione"),
    ("regione", "Checkbox", "Regione"),
    ("fonte", "Checkbox", "Fonte di finanziamento"),
)
_ITALY_CENTRE: Final = (12.5674, 41.8719)
_ITALY_ZOOM: Final = 6
_POPUP_TEMPLATE: Final = "# {name}\n{description}"
# ISTAT macro-areas (ripartizioni) by region code, used to split big layers.
_MACRO_AREAS: Final = (
    ("Nord-ovest", ("01", "02", "03", "07")),
    ("Nord-est", ("04", "05", "06", "08")),
    ("Centro", ("09", "10", "11", "12")),
    ("Sud", ("13", "14", "15", "16", "17", "18")),
    ("Isole", ("19", "20")),
)


@dataclass(frozen=True, slots=True)
class _Layer:
    """One uMap layer: its file slug and its FeatureCollection (options included).

    ``features_json`` is the canonical JSON of ``geojson["features"]`` when it was made while
    measuring the features (initiative layers), so that the layer file and ``map.umap`` reuse it.
    """

    slug: str
    geojson: Mapping[str, Any]
    features_json: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Group:
    """Initiatives that share a layer, before size splitting."""

    key: str
    title: str
    description: str
    color: str
    items: tuple[MapInitiative, ...]


def write_umap(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """Write ``layers/<slug>.geojson`` (one per map layer) and ``map.umap`` into ``out_dir``.

    Parameters
    ----------
    build
        The merged initiatives, carried-over layers and previous map settings.
    out_dir
        The (staging) output folder; only ``layers/`` and ``map.umap`` are written.
    gazetteer
        Gives the region outlines, populations and the attribution text.
    options
        ``title``, ``include_contacts`` and ``layers_by_area`` shape the output.

    Returns
    -------
    list of Path
        The files written, layer files first.
    """
    layers = _map_layers(build, gazetteer=gazetteer, options=options)
    written = [
        _write_json(out_dir / "layers" / f"{layer.slug}.geojson", _layer_pieces(layer)) for layer in layers
    ]
    _check_layer_files(layers, written)
    remote = _remote_layers(layers, options.remote_base_url) if options.remote_base_url else layers
    written.append(_write_json(out_dir / "map.umap", _document_pieces(build, remote, gazetteer=gazetteer,
                                                                      options=options)))
    log.info("uMap: %d layers, %d initiatives", len(layers), len(build.initiatives))
    return written


def _canonical_json(data: Any) -> bytes:
    """Canonical JSON in UTF-8: sorted keys, no spaces, non-ASCII as is, NaN as null (:mod:`mapgen._json`)."""
    return dumps(data, sort_keys=True)


def _pieces(data: Any, slots: Mapping[str, bytes]) -> list[bytes] | None:
    """``data`` as canonical UTF-8 JSON in pieces, each slot string (a key of ``slots``, in the
    order they appear) standing for the JSON given for it.

    The features are never joined to the rest: their JSON is written as it is. None when a slot is
    not found exactly once, in order (a carried text holding it): the caller then writes
    ``data`` itself.
    """
    text = _canonical_json(data)
    pieces = []
    for slot, json_bytes in slots.items():
        quoted = _canonical_json(slot)
        if text.count(quoted) != 1:
            return None
        head, text = text.split(quoted)
        pieces += [head, json_bytes]
    return [*pieces, text]


def _slot(number: int) -> str:
    # JSON writes NUL as \u0000, which no value of ours (control characters are removed) writes.
    return f"\x00mapgen-features-{number}\x00"


def _layer_pieces(layer: _Layer) -> list[bytes]:
    """A layer file's bytes; the features measured when splitting are not serialised again."""
    if layer.features_json is not None:
        slotted = _pieces({**layer.geojson, "features": _slot(0)}, {_slot(0): layer.features_json})
        if slotted is not None:
            return slotted
    return [_canonical_json(layer.geojson)]


def _document_pieces(
    build: BuildResult, layers: Sequence[_Layer], *, gazetteer: Gazetteer, options: OutputOptions
) -> list[bytes]:
    """``map.umap``'s bytes, reusing each initiative layer's features JSON (as :func:`_layer_pieces`)."""
    slotted = [
        _Layer(layer.slug, {**layer.geojson, "features": _slot(n)}) if layer.features_json is not None else layer
        for n, layer in enumerate(layers)
    ]
    slots = {_slot(n): layer.features_json for n, layer in enumerate(layers) if layer.features_json is not None}
    pieces = _pieces(_umap_document(build, slotted, gazetteer=gazetteer, options=options), slots)
    if pieces is not None:
        return pieces
    return [_canonical_json(_umap_document(build, layers, gazetteer=gazetteer, options=options))]


def _write_json(path: Path, pieces: Sequence[bytes]) -> Path:
    """Write canonical JSON (:func:`_canonical_json`, UTF-8, in pieces) with one trailing newline."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            file.writelines([*pieces, b"\n"])
    except OSError as exc:
        raise OutputError(
            _("cannot write {file}: {reason}. {output_fix}",
              file=path.name, reason=exc.strerror or exc, output_fix=output_fix(exc))
        ) from exc
    size = sum(len(piece) for piece in pieces)
    if path.suffix == ".geojson" and size > LAYER_SIZE_LIMIT:
        log.warning(
            "%s is %d bytes: uMap instances behind a 1 MB proxy limit may refuse to save it",
            path.name,
            size,
        )
    return path


# --- layers -------------------------------------------------------------------------------


def _map_layers(
    build: BuildResult, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[_Layer]:
    """Every layer, bottom first: Regions, associations' territories, carried layers, initiatives.

    uMap draws and lists layers by rank, which the import gives in file order: the
    last layer is drawn on top and listed first (``managers.js``, "About rank").
    """
    layers: list[_Layer] = []
    if not any(_looks_regional(carried, gazetteer) for carried in build.carried_layers):
        from mapgen.writers._umap_regions import regions_layer

        layers.append(_Layer("regioni", regions_layer(build, gazetteer=gazetteer)))
    if any(item.association is not None for item in build.initiatives):
        from mapgen.writers._umap_territories import territories_layer

        territories = territories_layer(build, gazetteer=gazetteer)
        if territories is not None:
            layers.append(_Layer("territori-ambiti-unioni", territories))
    initiatives = [
        layer
        for group in reversed(_groups(build, options=options))
        for layer in reversed(_initiative_layers(group, options=options))
    ]
    taken = {_layer_name(layer.geojson) for layer in (*layers, *initiatives)}
    layers += [
        _Layer(CARRIED_FILE_PREFIX + slugify(c.name), _carried_geojson(c, taken))
        for c in build.carried_layers
    ]
    return _unique_slugs(layers + initiatives)


def _remote_layers(layers: Sequence[_Layer], base: str) -> list[_Layer]:
    """The ``.umap`` layers as remote-data layers: options only, data from the layer files.

    uMap's "remote data" (``remoteData``, ``schema.js``; ``data/layer.js``
    ``fetchRemoteData``): the visitor's browser fetches ``url`` (no uMap proxy, which
    refuses private addresses), so the web server must send CORS headers; replacing the
    files there updates the map without touching uMap.
    """
    remote = []
    for layer in layers:
        data = _copy(layer.geojson)
        editable_options(data)["remoteData"] = {
            "url": f"{base}/layers/{layer.slug}.geojson",
            "format": "geojson",
            "dynamic": False,
            "proxy": False,
        }
        data["features"] = []
        remote.append(_Layer(layer.slug, data))
    return remote


def _layer_name(geojson: Mapping[str, Any]) -> str:
    return str(layer_options(geojson).get("name") or "")


def _carried_geojson(carried: CarriedLayer, taken: set[str]) -> dict[str, Any]:
    """A carried layer, renamed if its name is taken and kept out of the facet filters.

    Two layers with one name cannot be told apart in uMap's layer list, so a carried
    layer whose name a generated layer uses gets a suffix
    (:func:`mapgen.umap.layers.carried_layer_name`). uMap's
    filters list the values of every feature of every browsable layer
    (``app.js`` ``eachFeature``, ``filters.js`` ``computeInitialData``): features without
    the filtered properties add an empty choice, so such a layer is made not browsable.
    """
    data = _copy(carried.geojson)
    options = editable_options(data)
    options["name"] = carried_layer_name(str(options.get("name") or carried.name), taken)
    keys = [key for key, _widget, _label in MAP_FILTERS]
    features = [f for f in data.get("features", []) if isinstance(f, Mapping)]
    if any(not all((f.get("properties") or {}).get(k) for k in keys) for f in features):
        options["browsable"] = False
    return data


def _unique_slugs(layers: Sequence[_Layer]) -> list[_Layer]:
    """Suffix repeated slugs (two carried layers with one name) so no file is overwritten.

    A suffix never takes a name another layer already has: carried layers "A", "A" and
    "A 2" give ``precedente-a``, ``precedente-a-3`` and ``precedente-a-2`` (issue 20).
    """
    taken = {layer.slug for layer in layers}
    seen: set[str] = set()
    unique = []
    for layer in layers:
        slug, number = layer.slug, 1
        while slug in seen or (number > 1 and slug in taken):
            number += 1
            slug = f"{layer.slug}-{number}"
        seen.add(slug)
        unique.append(_Layer(slug, layer.geojson, layer.features_json))
    return unique


def _check_layer_files(layers: Sequence[_Layer], written: Sequence[Path]) -> None:
    """Every feature of every layer is in exactly one layer file, as read back from the disk."""
    if len({path.name.casefold() for path in written}) != len(layers):
        raise OutputError(_("internal error: {layers} uMap layers but {files} layer files; please report "
                            "this with the input files.", layers=len(layers), files=len(set(written))))
    for layer, path in zip(layers, written, strict=True):
        expected = len(layer.geojson.get("features") or [])
        found = len(orjson.loads(path.read_bytes()).get("features") or [])
        if found != expected:
            raise OutputError(_("internal error: layer file {file} holds {found} features, its layer "
                                "{expected}; please report this with the input files.",
                                file=path.name, found=found, expected=expected))


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, JSON-only copy (carried layers are written exactly as read)."""
    copied: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False))
    return copied


def _groups(build: BuildResult, *, options: OutputOptions) -> list[_Group]:
    """Split the initiatives into layers: by newest edition, or by main area."""
    if options.layers_by_area:
        return _groups_by_area(build.initiatives)
    return _groups_by_edition(build.initiatives, editions=build.editions)


def _groups_by_edition(items: Sequence[MapInitiative], *, editions: Sequence[int]) -> list[_Group]:
    """One layer per edition, newest first; each initiative in the layer of its newest edition."""
    years = sorted({*editions, *(i.edizioni[-1] for i in items)}, reverse=True)
    groups = []
    for rank, year in enumerate(years):
        members = tuple(i for i in items if i.edizioni[-1] == year)
        if rank == 0:
            title, text = f"Edizione {year}", f"Le iniziative segnalate nell'edizione {year}."
        else:
            title = f"Solo edizione {year}"
            text = f"Le iniziative dell'edizione {year} non ripresentate nelle edizioni successive."
        color = _EDITION_COLORS[min(rank, 1)]
        groups.append(_Group(f"edizione-{year}", title, text, color, members))
    return [g for g in groups if g.items]


def _main_area(item: MapInitiative) -> str:
    return item.record.aree[0] if item.record.aree else ""


def _groups_by_area(items: Sequence[MapInitiative]) -> list[_Group]:
    """One layer per area (the first area an initiative names), in questionnaire order."""
    groups = []
    for area in (*AREAS, ""):
        members = tuple(i for i in items if _main_area(i) == area)
        title = area.capitalize() if area else "Area non indicata"
        text = (
            f"Le iniziative la cui area principale è «{area}»."
            if area
            else "Iniziative senza area."
        )
        color = AREA_STYLES.get(area, _NO_AREA_STYLE)[0]
        groups.append(
            _Group(f"area-{slugify(area or 'non indicata')}", title, text, color, members)
        )
    return [g for g in groups if g.items]


def _initiative_layers(group: _Group, *, options: OutputOptions) -> list[_Layer]:
    """The group as one layer, or split into parts when its file would be too big."""
    features = [_initiative_feature(item, options=options) for item in group.items]
    texts = _feature_json(features)
    parts = _split_to_fit(group.key, "", features, sizes={key: len(text) + 1 for key, text in texts.items()})
    # The features are not changed after this: their JSON is written as measured.
    return [
        _Layer(slug, _collection(group, suffix, part), b"[" + b",".join(texts[id(f)] for f in part) + b"]")
        for slug, suffix, part in parts
    ]


def _feature_json(features: list[dict[str, Any]]) -> dict[int, bytes]:
    """Each feature's canonical JSON (UTF-8), by ``id``: measured to split, then written as is."""
    return {id(f): _canonical_json(f) for f in features}


def _split_to_fit(
    slug: str,
    suffix: str,
    features: list[dict[str, Any]],
    level: int = 0,
    sizes: dict[int, int] | None = None,
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Split features by macro-area, then region, then in halves until each part fits."""
    if sizes is None:  # = the compact JSON size in bytes, plus its separating comma
        sizes = {key: len(text) + 1 for key, text in _feature_json(features).items()}
    # = the compact JSON array's size: items, commas between them, brackets
    size = sum(sizes[id(f)] for f in features) + 1
    if size + _OPTIONS_ALLOWANCE <= LAYER_SIZE_LIMIT or len(features) < 2:
        return [(slug, suffix, features)]
    splitters: tuple[Callable[[dict[str, Any]], tuple[str, str]], ...] = (
        _macro_area_of,
        _region_of,
    )
    if level < len(splitters):
        parts = _partition(features, splitters[level])
        if len(parts) > 1:
            return [
                piece
                for name, part in parts
                for piece in _split_to_fit(
                    f"{slug}-{slugify(name)}", f"{suffix} · {name}", part, level + 1, sizes
                )
            ]
        return _split_to_fit(slug, suffix, features, level + 1, sizes)
    half = len(features) // 2
    return [
        piece
        for number, part in ((1, features[:half]), (2, features[half:]))
        for piece in _split_to_fit(f"{slug}-{number}", f"{suffix} · parte {number}", part, level, sizes)
    ]


def _partition(
    features: list[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[str, str]]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Group features by ``key`` (sort key, name), in sort-key order."""
    parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for feature in features:
        parts.setdefault(key(feature), []).append(feature)
    return [(name, parts[(order, name)]) for order, name in sorted(parts)]


def _count(number: int) -> str:
    return "1 iniziativa" if number == 1 else f"{number} iniziative"


def _macro_area_of(feature: dict[str, Any]) -> tuple[str, str]:
    code = feature["properties"]["codice_regione"]
    for rank, (name, codes) in enumerate(_MACRO_AREAS):
        if code in codes:
            return str(rank), name
    return str(len(_MACRO_AREAS)), "Altro"


def _region_of(feature: dict[str, Any]) -> tuple[str, str]:
    return feature["properties"]["codice_regione"], feature["properties"]["regione"]


def _collection(group: _Group, suffix: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection with the layer's uMap options."""
    return {
        "type": "FeatureCollection",
        "features": features,
        "_umap_options": _initiative_layer_options(group, suffix, features),
    }


def _initiative_layer_options(
    group: _Group, suffix: str, features: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Layer options (``schema.js`` keys) for a layer of initiatives."""
    points = {tuple(f["geometry"]["coordinates"]) for f in features}
    clustered = len(features) > CLUSTER_THRESHOLD or len(points) < len(features)
    options: dict[str, Any] = {
        "name": f"{group.title}{suffix} · {_count(len(features))}",
        "description": umap_text(group.description),
        "displayOnLoad": True,
        "browsable": True,
        "inCaption": True,
        "color": group.color,
        "iconClass": "Default",
        "type": "Cluster" if clustered else "Default",
        "popupShape": "Large",
        "popupTemplate": "Default",
        "popupContentTemplate": _POPUP_TEMPLATE,
        "labelKey": "{name} ({comune})",
        "showLabel": None,
        "sortKey": "regione,comune,name",
    }
    if clustered:
        options["cluster"] = {"radius": 60}
    return options


# --- initiative features ---------------------------------------------------------------------


def _initiative_feature(item: MapInitiative, *, options: OutputOptions) -> dict[str, Any]:
    """A Point feature at the initiative's place, with flat properties and its popup text."""
    lon, lat = item.record.point or (item.comune.lon, item.comune.lat)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": _initiative_properties(item, options=options),
    }


def _initiative_properties(item: MapInitiative, *, options: OutputOptions) -> dict[str, Any]:
    """Flat, typed properties (see :data:`MAP_FIELDS`) plus ``name``, ``description`` and style."""
    record, comune = item.record, item.comune
    color, symbol = AREA_STYLES.get(_main_area(item), _NO_AREA_STYLE)
    style = {"color": color, "iconClass": "Default"} | ({"iconUrl": symbol} if symbol else {})
    properties: dict[str, Any] = {
        "name": plain_text(record.titolo) or "Iniziativa senza titolo",
        "description": _initiative_description(item, options=options),
        "codice": item.id,
        "comune": comune.name,
        "sigla": comune.sigla,
        "provincia": comune.province,
        "regione": comune.region,
        "codice_regione": comune.region_code,
        "istat": comune.istat_code,
        "area": ", ".join(record.aree),
        "edizione": ", ".join(str(year) for year in item.edizioni),
        "fonte": ", ".join(record.fonti),
        "popolazione": comune.population,
        "popolazione_0_17": comune.population_0_17,
        "_umap_options": style,
    }
    properties |= _optional_properties(item, options=options)
    # null would show as the text "null" in templates (utils.js greedyTemplate): leave it out.
    return {key: value for key, value in properties.items() if value not in (None, "")}


def _optional_properties(item: MapInitiative, *, options: OutputOptions) -> dict[str, Any]:
    """Free-text and optional properties, as plain text; contacts only when opted in."""
    record = item.record
    properties: dict[str, Any] = {
        "area_altro": plain_text(record.aree_altro),
        "fonte_altro": plain_text(record.fonti_altro),
        "destinatari": plain_text(record.destinatari),
        "importo": record.importo,
        "data_inizio": record.data_inizio.isoformat() if record.data_inizio else None,
        "data_fine": record.data_fine.isoformat() if record.data_fine else None,
        "tipo_ente": plain_text(record.tipo_ente),
        "ente": plain_text(record.denominazione_ente),
        "associazione": item.association.name if item.association is not None else "",
        "comuni_coinvolti": ", ".join(member.label for member in item.members),
        "sito_web": plain_url(record.sito_web),
    }
    if options.include_contacts:
        properties |= {
            "referente": plain_text(record.referente),
            "email": plain_text(record.email),
            "telefono": plain_text(record.telefono),
        }
    return properties


def _initiative_description(item: MapInitiative, *, options: OutputOptions) -> str:
    """The popup text, from ``templates/umap_initiative.md.j2``."""
    return render_template("umap_initiative.md.j2", _initiative_context(item, options=options))


def _initiative_context(item: MapInitiative, *, options: OutputOptions) -> dict[str, Any]:
    """Plain values for the template; the template escapes every one of them."""
    from markupsafe import Markup

    record = item.record
    url = safe_url(record.sito_web)
    tipo, ente = record.tipo_ente, record.denominazione_ente
    return {
        "comune": item.comune.name,
        "sigla": item.comune.sigla,
        "regione": item.comune.region,
        "edizioni": ", ".join(map(str, item.edizioni)),
        "aree": _with_other(record.aree, record.aree_altro),
        "ente": f"{tipo} – {ente}" if tipo and ente else tipo or ente,
        "associazione": item.association.name if item.association is not None else "",
        "membri": ", ".join([member.label for member in item.members]) if item.members else "",
        "descrizione": _description(record),
        "destinatari": record.destinatari.strip(),
        "fonti": _with_other(record.fonti, record.fonti_altro),
        "importo": _euro(record.importo),
        "periodo": _period(item),
        # safe_url has already made the URL inert for [[...]]; entities would break the href.
        "sito": Markup(url) if url else "",
        "contatti": _contacts(item) if options.include_contacts else [],
        "storico": _older_texts(item),
    }


def _with_other(values: Sequence[str], other: str) -> str:
    """The values joined; when something was typed for "altro", it is shown last as "altro: <text>"."""
    if not other:
        return ", ".join(values)
    return ", ".join([*(value for value in values if value != "altro"), f"altro: {other}"])


def _description(record: Initiative) -> Any:
    """Survey text is shown literally; text read from a uMap map keeps its uMap markup."""
    from markupsafe import Markup

    carried = carried_description(record)
    return Markup(carried) if carried is not None else record.descrizione.strip()


def _contacts(item: MapInitiative) -> list[dict[str, str]]:
    record = item.record
    pairs = (
        ("Referente", record.referente),
        ("Email", record.email),
        ("Telefono", record.telefono),
    )
    return [{"etichetta": label, "valore": value} for label, value in pairs if value.strip()]


def _older_texts(item: MapInitiative) -> list[dict[str, Any]]:
    """Older editions' descriptions that differ from the newest one (nothing is lost)."""
    if not item.history:
        return []
    newest = fold(item.record.descrizione)
    return [
        {"edizione": old.edition, "descrizione": _description(old)}
        for old in item.history
        if old.descrizione.strip() and fold(old.descrizione) != newest
    ]


def _euro(amount: float | None) -> str:
    """``12500.5`` -> ``12.500,50 €`` (Italian grouping and decimal comma)."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{text} €"


def _period(item: MapInitiative) -> str:
    start, end = item.record.data_inizio, item.record.data_fine
    if start and end:
        return f"dal {start:%d/%m/%Y} al {end:%d/%m/%Y}"
    if start:
        return f"dal {start:%d/%m/%Y}"
    return f"fino al {end:%d/%m/%Y}" if end else ""


# --- carried layers -----------------------------------------------------------------------


def _looks_regional(carried: CarriedLayer, gazetteer: Gazetteer) -> bool:
    """True for a layer of region outlines: mostly polygons, named or labelled as regions."""
    features = [f for f in carried.geojson.get("features", []) if isinstance(f, Mapping)]
    polygons = [
        f for f in features if (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")
    ]
    if not features or len(polygons) * 2 < len(features):
        return False
    if "region" in fold(carried.name):
        return True
    names = {fold(n) for region in gazetteer.regions for n in (region.name, *region.aliases)}
    named = [f for f in polygons if fold(str((f.get("properties") or {}).get("name", ""))) in names]
    return len(named) * 2 >= len(polygons)


# --- the map document ---------------------------------------------------------------------


def _umap_document(
    build: BuildResult, layers: Sequence[_Layer], *, gazetteer: Gazetteer, options: OutputOptions
) -> dict[str, Any]:
    """The full ``.umap`` backup: map properties, centre and every layer."""
    return {
        "type": "umap",
        "geometry": {"type": "Point", "coordinates": list(_ITALY_CENTRE)},
        "properties": _map_properties(build, gazetteer=gazetteer, options=options),
        "layers": [layer.geojson for layer in layers],
    }


def _map_properties(
    build: BuildResult, *, gazetteer: Gazetteer, options: OutputOptions
) -> dict[str, Any]:
    """Map-level options (``schema.js`` keys): name, text, view, controls and filters."""
    return {
        "name": plain_text(options.title),
        "description": _map_description(build, gazetteer=gazetteer),
        "shortCredit": umap_text(gazetteer.attribution),
        "zoom": _ITALY_ZOOM,
        "defaultView": "center",
        "onLoadPanel": "datafilters",
        "captionBar": True,
        "layerSwitcher": True,
        "searchControl": True,
        "datalayersControl": True,
        "captionControl": True,
        "fullscreenControl": True,
        "zoomControl": True,
        "scaleControl": True,
        "embedControl": True,
        "homeControl": True,
        "miniMapControl": False,
        "displayPopupFooter": True,
        "slugKey": "codice",
        # uMap's data browser filters on these (layer.js getFilterKeys): a resident typing a
        # member Comune finds the practice of its Unione, sited at the lead Comune.
        "filterKey": "name,comune,associazione,comuni_coinvolti",
        "fields": [{"key": key, "type": kind} for key, kind in MAP_FIELDS],
        "filters": [
            {"fieldKey": key, "widget": widget, "label": label}
            for key, widget, label in MAP_FILTERS
        ],
    }


def _map_description(build: BuildResult, *, gazetteer: Gazetteer) -> str:
    """The map's Italian description (our own markup; numbers and names escaped)."""
    items = build.initiatives
    comuni = len({i.comune.istat_code for i in items})
    editions = " e ".join(str(year) for year in build.editions) or "–"
    lines = [
        f"Le iniziative a favore delle famiglie segnalate dai Comuni: **{len(items)} iniziative** "
        f"in **{comuni} Comuni** (edizioni {umap_text(editions)}).",
        "Clicca su un punto per leggere la scheda dell'iniziativa; usa i filtri per area, "
        "edizione, regione e fonte di finanziamento. I poligoni delle regioni riportano "
        "popolazione e numero di iniziative.",
        f"Fonti dei confini e della popolazione: {umap_text(gazetteer.attribution.rstrip('.'))}.",
    ]
    return "\n\n".join(lines)
