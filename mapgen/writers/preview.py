"""The standalone offline HTML preview: ``preview.html``, one file that works from ``file://``.

Layout (measured against the alternatives in ``benchmarks/preview.py``):

- **One marker per Comune** in **one** ``L.markerClusterGroup``. Practices of one Comune
  (often many: the lead Comune answers for its whole Ambito) share its point, so a marker
  per practice would spiderfy into a ring of identical pins; the Comune's popup lists its
  practices instead and each entry opens the practice. Markers are divided by area colour
  and carry the number of practices; cluster icons add up practices, not markers.
- **Data embedded as JSON** (``<script type="application/json">``, ``|tojson`` escaping so
  ``</script>`` in survey text cannot end it), read by ``preview_app.js``: a small index
  for markers, filters and search, and the popup texts, decoded when first needed and
  gzip-compressed past :data:`COMPRESS_OVER`. Filters by edition and area are checkboxes
  that feed the one cluster group, so they combine (per-layer clusters stack).
- **Popups from a Jinja2 template** (``templates/preview_popup.html.j2``, autoescaped):
  rendered once as ``<template>`` skeletons that the script fills with ``textContent``.
  The one exception is a description read from a uMap map: it is written in uMap's
  markup, which the public map formats, so it comes as HTML made here by
  :mod:`mapgen.umap.html` (uMap's rules, sanitised by nh3) and is parsed inert.
  Rendering a full popup per practice server-side would cost ~1 KB of markup each (10 MB
  at 10,000 practices, over the 5 MB budget); survey text never becomes HTML either way.
- **folium** builds the page, the map, OpenStreetMap tiles, the layer switcher, the
  fullscreen button and the region/province outlines. Its CDN links are replaced by
  inlined copies (:mod:`mapgen.writers._assets`); its random element ids by stable ones.
  ``folium.Marker``/``Popup``/``plugins.Search`` are not used: per-point Python objects cost
  1.3 KB and 0.7 ms each, ``Popup`` breaks on ``\\1``, ``${`` and ``</script>``, and
  leaflet-search cannot open a hit inside a cluster.
- **Other layers beneath the initiatives**: the territories of Ambiti and Unioni (the uMap
  writer's layer, :mod:`mapgen.writers._umap_territories`, off on load) and the previous
  map's kept layers are drawn in Leaflet panes under the markers, so no square or area
  covers a group's number.
- **Offline**: the tile layer sits above a vector background of region and province
  outlines from the gazetteer; without network the tiles fail and the outlines show.
"""

from __future__ import annotations

import base64
import gzip
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from markupsafe import Markup

from mapgen._json import dumps, html_safe
from mapgen._resources import templates_dir
from mapgen.errors import MapgenError, UnreadableFileError
from mapgen.gazetteer import Gazetteer
from mapgen.i18n import _
from mapgen.model import AREAS, BuildResult, Comune, Initiative, MapInitiative, OutputOptions
from mapgen.umap.html import DEFAULT_POPUP_TEMPLATE, display_name, popup_html, umap_markup_to_html
from mapgen.umap.layers import layer_options
from mapgen.umap.markup import carried_description
from mapgen.writers import _assets
from mapgen.writers._umap_regions import rounded_coordinates

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "AREA_COLOURS",
    "format_date",
    "format_euro",
    "format_int",
    "open_preview",
    "preview_data",
    "render_preview",
    "write_preview",
]

log = logging.getLogger(__name__)

PREVIEW_FILE: Final = "preview.html"

#: Area colours (Okabe-Ito, distinguishable with colour-blindness), legend order = AREAS.
AREA_COLOURS: Final = {
    "infanzia": "#E69F00",
    "natalità": "#CC79A7",
    "sostegno alle famiglie": "#0072B2",
    "responsabilità genitoriali": "#009E73",
    "centri per le famiglie": "#D55E00",
    "altro": "#56B4E9",
}
NO_AREA: Final = "area non indicata"
_SPARE_COLOURS: Final = ("#999999", "#F0E442", "#000000", "#7F6A93", "#8C564B")

#: Popup rows after title, place, badges and description: (field, Italian label).
POPUP_ROWS: Final = (
    ("aree_altro", "Altra area"),
    ("destinatari", "Destinatari"),
    ("fonti", "Fonti di finanziamento"),
    ("importo", "Importo"),
    ("periodo", "Periodo"),
    ("ente", "Ente"),
    ("membri", "Comuni associati"),
    ("link", "Sito web"),
    ("sito", "Sito web (indirizzo non valido)"),
    ("popolazione", "Popolazione del Comune"),
    ("popolazione_0_17", "di cui 0-17 anni"),
)
CONTACT_ROWS: Final = (("referente", "Referente"), ("email", "E-mail"), ("telefono", "Telefono"))

#: Text fields carried per initiative, in row order (titolo and descrizione lead).
_ITEM_FIELDS: Final = (
    "titolo",
    "descrizione",
    "descrizione_html",
    "aree_altro",
    "destinatari",
    "fonti",
    "importo",
    "periodo",
    "ente",
    "membri",
    "link",
    "sito",
)

#: Strings the script composes (Italian; ``{n}``/``{comune}`` are filled in).
UI_TEXT: Final = {
    "iniziativa": "1 iniziativa",
    "iniziative": "{n} iniziative",
    "indietro": "← Tutte le iniziative di {comune}",
    "senza_titolo": "(senza titolo)",
    "attesa": "Caricamento…",
    "nessun_risultato": "Nessun risultato tra le iniziative mostrate",
    "nessuna_mostrata": "Nessuna iniziativa mostrata con i filtri scelti.",
    "senza_regione": "Regione non indicata",
    "comune_n": "{comune}: {n}",
    "gruppo": "Gruppo di Comuni con {n}: ingrandisci",
    "sfondo": "Sfondo della mappa",
    "livello": "Livello «{nome}» della mappa precedente",
    "contenuto": "Contenuto",
    "nessun_livello": "Nessuno di questi livelli è mostrato: attivarli nel pannello della mappa.",
    "fonti": "Fonti e licenze della mappa",
    "mappa": "Mappa delle iniziative (con la tastiera: frecce per spostarla, + e - per lo zoom)",
}

#: The search box's name; its placeholder is the short form where the full one does not fit (a phone).
SEARCH_LABEL: Final = "Cerca Comune o iniziativa"
SEARCH_SHORT: Final = "Cerca Comune…"

#: Under the title of a territory's popup (the uMap layer's popup has the same content).
TERRITORY_NOTE: Final = "Territorio dei Comuni associati"

ITALY_BOUNDS: Final = ((36.6, 6.6), (47.1, 18.5))

#: Popup texts larger than this (bytes of JSON, ~3,500 initiatives) are embedded
#: gzip-compressed and base64-encoded: about 40 % of the size, unpacked by the browser's
#: DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 and later) when a popup first
#: needs them. Smaller texts stay plain, readable JSON.
COMPRESS_OVER: Final = 2_000_000

# --- Italian formats ----------------------------------------------------------------------


def format_int(value: int) -> str:
    """Format an integer the Italian way: ``1234567`` -> ``"1.234.567"``."""
    return f"{value:,}".replace(",", ".")


def format_euro(amount: float) -> str:
    """Format an amount in euro the Italian way: ``12500.5`` -> ``"12.500,50 €"``."""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def format_date(day: date) -> str:
    """Format a date the Italian way: ``date(2020, 1, 5)`` -> ``"05/01/2020"``."""
    return day.strftime("%d/%m/%Y")


def _period(start: date | None, end: date | None) -> str:
    if start and end:
        return f"dal {format_date(start)} al {format_date(end)}"
    if start:
        return f"dal {format_date(start)}"
    return f"fino al {format_date(end)}" if end else ""


#: An absolute http(s) URL with a host and no spaces or control characters.
_WEB_LINK: Final = re.compile(r"https?://[^\s\x00-\x1f\x7f/?#]+([/?#][^\s\x00-\x1f\x7f]*)?", re.IGNORECASE)


def _is_web_link(text: str) -> bool:
    """True for a link a browser may open (never ``javascript:``, ``data:`` and the like)."""
    return _WEB_LINK.fullmatch(text) is not None


def _with_other(values: Iterable[str], other: str) -> str:
    """Join vocabulary values, spelling out what "altro" stands for when it was typed."""
    shown = [f"altro ({other})" if value == "altro" and other else value for value in values]
    return ", ".join(shown)


# --- the data blob ----------------------------------------------------------------------


def _area_names(initiatives: Sequence[MapInitiative]) -> list[str]:
    """The areas in the legend: the vocabulary in questionnaire order, then any other, then none."""
    used = {area for item in initiatives for area in item.record.aree}
    names = [area for area in AREAS if area in used] + sorted(used - set(AREAS))
    if any(not item.record.aree for item in initiatives):
        names.append(NO_AREA)
    return names


def _text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on ``hex_colour`` (WCAG relative luminance)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.179 else "#FFFFFF"


def _area_legend(names: Sequence[str]) -> list[dict[str, str]]:
    spare = iter(_SPARE_COLOURS * (1 + len(names) // len(_SPARE_COLOURS)))
    legend = []
    for name in names:
        colour = AREA_COLOURS.get(name) or next(spare)
        legend.append({"nome": name, "colore": colour, "testo": _text_colour(colour)})
    return legend


def _mask(values: Iterable[object], index: dict[Any, int]) -> int:
    bits = 0
    for value in values:
        bits |= 1 << index[value]
    return bits


def _members(item: MapInitiative) -> str:
    if item.members:
        return ", ".join(member.label for member in item.members)
    return ", ".join(item.record.comuni_associati)


def _ente(item: MapInitiative) -> str:
    record = item.record
    if item.association is not None and not record.denominazione_ente:
        return item.association.name
    if not record.tipo_ente or record.tipo_ente == "Comune singolo":
        return record.denominazione_ente
    if record.denominazione_ente:
        return f"{record.denominazione_ente} ({record.tipo_ente})"
    return record.tipo_ente


def _item_fields(item: MapInitiative, *, include_contacts: bool) -> list[str]:
    """The popup texts of one initiative, in :data:`_ITEM_FIELDS` order (+ contacts)."""
    r = item.record
    link = r.sito_web.strip()
    fields = [
        r.titolo.strip(),
        *_description(r),
        r.aree_altro.strip(),
        r.destinatari.strip(),
        _with_other(r.fonti, r.fonti_altro.strip()),
        format_euro(r.importo) if r.importo is not None else "",
        _period(r.data_inizio, r.data_fine),
        _ente(item),
        _members(item),
        *((link, "") if _is_web_link(link) else ("", link)),
    ]
    if include_contacts:
        fields += [r.referente.strip(), r.email.strip(), r.telefono.strip()]
    return fields


def _description(record: Initiative) -> tuple[str, str]:
    """``(text, html)``: survey text is shown as typed; text read from a uMap map is
    formatted as uMap formats it (the same string the uMap writer publishes)."""
    carried = carried_description(record)
    return ("", umap_markup_to_html(carried)) if carried is not None else (record.descrizione.strip(), "")


#: The geometries a carried layer may draw (uMap draws these; anything else is skipped).
_GEOMETRIES: Final = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"})
#: A colour the page may use as is: uMap layers name one ("DarkGreen") or give it in hex.
_CSS_COLOUR: Final = re.compile(r"#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,30}")
_TITLE_LINE: Final = re.compile(r"\A# *\{ *name *\} *\n?")


def _carried_layers(build: BuildResult) -> list[dict[str, Any]]:
    """The previous map's other layers, which the uMap map keeps: drawn in the preview too."""
    layers = (_preview_layer(carried.geojson, carried.name) for carried in build.carried_layers)
    return [layer for layer in layers if layer is not None]


def _territories(build: BuildResult, gazetteer: Gazetteer) -> dict[str, Any] | None:
    """The "Territori di Ambiti e Unioni" layer, the very one the uMap writer publishes (issue 26)."""
    from mapgen.writers._umap_territories import territories_layer

    layer = territories_layer(build, gazetteer=gazetteer)
    shown = _preview_layer(layer, "") if layer is not None else None
    if shown is not None:
        shown["nota"] = TERRITORY_NOTE
    return shown


def _preview_layer(geojson: Mapping[str, Any], fallback_name: str) -> dict[str, Any] | None:
    """A uMap layer as the page draws it; None when it has nothing to draw.

    Each feature is ``[geometry, title, popup HTML]``; the popup is the layer's own uMap
    template formatted as uMap formats it (:func:`mapgen.umap.html.popup_html`).
    A template that opens with ``# {name}`` gives that title to the popup's heading, which
    otherwise shows the feature's name as uMap displays it (``getDisplayName``).
    """
    options = layer_options(geojson)
    template = options.get("popupContentTemplate")
    template = template if isinstance(template, str) and template.strip() else DEFAULT_POPUP_TEMPLATE
    body_template = _TITLE_LINE.sub("", template)
    name = str(options.get("name") or fallback_name)
    colour = str(options.get("color") or "")
    features = []
    for feature in geojson.get("features") or ():
        geometry = feature.get("geometry") if isinstance(feature, Mapping) else None
        if not isinstance(geometry, Mapping) or geometry.get("type") not in _GEOMETRIES:
            continue
        properties = feature.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        title = display_name(properties, str(options.get("labelKey") or ""), name)
        shown_name = properties.get("name")
        titled = shown_name is None or str(shown_name).strip() == title
        html = popup_html(properties, body_template if titled else template, name=title)
        shape = rounded_coordinates({"type": geometry["type"], "coordinates": geometry.get("coordinates")})
        features.append([shape, title, html])
    if not features:
        return None
    return {
        "nome": name,
        "colore": colour if _CSS_COLOUR.fullmatch(colour) else "#555555",
        "visibile": options.get("displayOnLoad") is not False,
        "elementi": features,
    }


def _comune_row(comune: Comune, gazetteer: Gazetteer) -> list[Any]:
    """``[lat, lon, name, sigla, region, population, population 0-17]``, numbers as Italian text."""
    current = gazetteer.by_code(comune.istat_code) or comune
    population, young = current.population, current.population_0_17
    return [
        round(comune.lat, 6),
        round(comune.lon, 6),
        comune.name,
        comune.sigla,
        comune.region,
        format_int(population) if population is not None else "",
        format_int(young) if young is not None else "",
    ]


def _bounds(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    """South-west and north-east corners of the points (Italy when there are none)."""
    if not points:
        return [list(corner) for corner in ITALY_BOUNDS]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def preview_data(build: BuildResult, *, gazetteer: Gazetteer, options: OutputOptions) -> dict[str, Any]:
    """Return the data the page reads: editions, areas, Comuni, initiatives and their texts.

    ``items`` has one row per initiative, ``[comune index, edition bits, area bits, title]``
    and, for a practice with member Comuni, their names: all the map, the filters and the
    search need. ``texts`` has the matching rows of popup
    texts, named by ``fields``; the page decodes them only when a popup needs them (they
    are most of the size). Numbers and dates are already in Italian format.
    """
    initiatives = build.initiatives
    editions = sorted(set(build.editions) | {e for item in initiatives for e in item.edizioni})
    areas = _area_legend(_area_names(initiatives))
    area_index = {area["nome"]: i for i, area in enumerate(areas)}
    edition_index = {edition: i for i, edition in enumerate(editions)}
    comuni: dict[str, int] = {}
    comune_rows: list[list[Any]] = []
    items: list[list[Any]] = []
    texts: list[list[str]] = []
    for item in initiatives:
        code = item.comune.istat_code
        if code not in comuni:
            comuni[code] = len(comune_rows)
            comune_rows.append(_comune_row(item.comune, gazetteer))
        areas_of = item.record.aree or (NO_AREA,)
        title, *popup_texts = _item_fields(item, include_contacts=options.include_contacts)
        row = [comuni[code], _mask(item.edizioni, edition_index), _mask(areas_of, area_index), title]
        if item.members:  # searchable: a resident typing a member Comune finds the practice (issue 26)
            row.append(" ".join(member.name for member in item.members))
        items.append(row)
        texts.append(popup_texts)
    contacts = [f for f, _ in CONTACT_ROWS] if options.include_contacts else []
    fields = list(_ITEM_FIELDS[1:]) + contacts
    return {
        "editions": editions,
        "areas": areas,
        "fields": fields,
        "comuni": comune_rows,
        "items": items,
        "texts": texts,
        "bounds": _bounds([(row[0], row[1]) for row in comune_rows]),
        "carried": _carried_layers(build),
        "territori": _territories(build, gazetteer),
        "testi": UI_TEXT,
    }


# --- templates --------------------------------------------------------------------------


@cache
def _environment(folder: Path) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _render(name: str, **context: Any) -> Markup:
    return Markup(_environment(templates_dir()).get_template(name).render(**context))


def _static(name: str, kind: _assets.Kind) -> Markup:
    """Our own script/stylesheet, made safe to paste inside its element."""
    text = (templates_dir() / name).read_text(encoding="utf-8")
    # Our own file, pasted as is; safe_for_html only guards against an early closing tag.
    return Markup(_assets.safe_for_html(text, kind))


def _json_element(element_id: str, value: Any, *, pack_over: int | None) -> Markup:
    """``value`` as JSON in a script element; gzip+base64 when larger than ``pack_over`` bytes."""
    raw = html_safe(dumps(value))
    if pack_over is None or len(raw) <= pack_over:
        return _render("preview_data.html.j2", element_id=element_id, json_text=Markup(raw.decode("utf-8")),
                       packed=None)
    # mtime=0: no timestamp in the gzip header, so the same data gives the same bytes.
    packed = base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")
    return _render("preview_data.html.j2", element_id=element_id, json_text=None, packed=packed)


def _data_elements(data: dict[str, Any]) -> Markup:
    """The index (always plain JSON) and the popup texts (packed when large)."""
    index = {key: value for key, value in data.items() if key != "texts"}
    return _json_element("mg-data", index, pack_over=None) + _json_element(
        "mg-text", data["texts"], pack_over=COMPRESS_OVER
    )


def _counts(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """How many initiatives each edition and each area holds, for the panel."""
    # Rows share few distinct bit masks: count those once, then add up the masks holding each bit.
    edition_masks = Counter(row[1] for row in data["items"])
    area_masks = Counter(row[2] for row in data["items"])
    editions = [
        {"nome": str(edition), "n": format_int(_with_bit(edition_masks, i))}
        for i, edition in enumerate(data["editions"])
    ]
    areas = [{"nome": area["nome"], "n": format_int(_with_bit(area_masks, i))} for i, area in enumerate(data["areas"])]
    return editions, areas


def _with_bit(masks: Counter[int], bit: int) -> int:
    """How many rows have ``bit`` set, from the count of rows per mask."""
    return sum(count for mask, count in masks.items() if mask >> bit & 1)


def _page_parts(data: dict[str, Any], assets: Sequence[_assets.Asset], options: OutputOptions) -> dict[str, Markup]:
    """The preview's own head and body, rendered from the templates (autoescaped)."""
    editions, areas = _counts(data)
    carried = [
        {"nome": layer["nome"], "colore": layer["colore"], "visibile": layer["visibile"],
         "n": format_int(len(layer["elementi"]))}
        for layer in data["carried"]
    ]  # fmt: skip
    territories = data["territori"]
    territory = territories and {
        "nome": territories["nome"], "colore": territories["colore"], "n": format_int(len(territories["elementi"]))
    }
    rows = list(POPUP_ROWS) + (list(CONTACT_ROWS) if options.include_contacts else [])
    head = _render(
        "preview_head.html.j2",
        title=options.title,
        areas=data["areas"],
        carried=carried,
        territory=territory,
        notice=Markup(_assets.third_party_notice(assets)),
        app_css=_static("preview_app.css", "css"),
        app_js=_static("preview_app.js", "js"),
    )
    body = (
        _render("preview_popup.html.j2", rows=rows, search_label=SEARCH_LABEL, search_short=SEARCH_SHORT)
        + _render(
            "preview_panel.html.j2",
            title=options.title,
            total=format_int(len(data["items"])),
            editions=editions,
            areas=areas,
            carried=carried,
            territory=territory,
        )
        + _data_elements(data)
    )
    top = _render("preview_top.html.j2", title=options.title)
    list_part = _render(
        "preview_list.html.j2", total=format_int(len(data["items"])), carried=carried, territory=territory
    )
    return {"head": head, "top": top, "body": body + list_part}


# --- the page ----------------------------------------------------------------------------


def render_preview(build: BuildResult, *, gazetteer: Gazetteer, options: OutputOptions) -> str:
    """Return the whole preview page as one string (see :func:`write_preview`)."""
    from mapgen.writers._folium_page import render_page

    data = preview_data(build, gazetteer=gazetteer, options=options)
    return render_page(gazetteer, lambda assets: _page_parts(data, assets, options))


def write_preview(build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions) -> list[Path]:
    """Write ``preview.html``: every initiative on an offline map, opened by double-click.

    Parameters
    ----------
    build
        The merged initiatives.
    out_dir
        Staging folder of the build; only ``out_dir/preview.html`` is written.
    gazetteer
        Gives each Comune's population and the region/province outlines drawn under the tiles.
    options
        ``title`` heads the page; contacts appear only with ``include_contacts``.

    Returns
    -------
    list of Path
        The file written.

    Examples
    --------
    >>> gazetteer, options = load_gazetteer(), OutputOptions()
    >>> write_preview(result, Path("out"), gazetteer=gazetteer, options=options)  # doctest: +SKIP
    [PosixPath('out/preview.html')]
    """
    path = out_dir / PREVIEW_FILE
    page = render_preview(build, gazetteer=gazetteer, options=options)
    path.write_text(page, encoding="utf-8", newline="\n")
    log.info("wrote %s (%d initiatives, %.1f MB)", path, len(build.initiatives), len(page.encode()) / 1e6)
    return [path]


def open_preview(folder: Path) -> Path:
    """Open ``folder/preview.html`` in the default web browser and return its path.

    Raises
    ------
    UnreadableFileError
        If the folder holds no preview.
    MapgenError
        If no browser could be started.
    """
    import webbrowser

    path = (folder / PREVIEW_FILE).resolve()
    if not path.is_file():
        raise UnreadableFileError(
            _("{file} does not exist; build it with `mapgen build --out {folder}` (without "
              "--no-preview).", file=folder / PREVIEW_FILE, folder=folder)
        )
    if not webbrowser.open(path.as_uri()):
        raise MapgenError(_("no web browser could be started; open {path} by hand.", path=path))
    return path
