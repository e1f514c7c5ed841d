"""Generate examples/previous_2019.umap: a synthetic 2019 edition shaped like a uMap 3.x backup.

The content is invented (titles, descriptions, amounts, web addresses on
example.org); the Comuni and their points are real, taken from the shipped
gazetteer. Run from the repository root with mapgen installed::

    python examples/make_previous.py            # writes examples/previous_2019.umap
    python examples/make_previous.py OUT.umap

The output is deterministic for a given gazetteer (fixed seed, no timestamps).
It holds two layers, with layer options under ``_umap_options`` as uMap 2.0-3.6
export them (and 3.7+ still imports):

``Iniziative 2019``
    one or two initiatives in each of 640 Comuni: about 30% of the 2020 example's
    practices (same Comune, same title or the title typed with other case and
    punctuation, so the build joins the editions), the rest chosen at random among those
    whose gazetteer point lies at least 1 km inside their boundary; points are
    the gazetteer point (one in six) or jittered by up to 600 m, always at least
    500 m inside the Comune, so a rebuilt gazetteer still places them. Faults,
    on purpose (see :data:`FAULTS`): two points with longitude and latitude
    swapped, a point in Paris, a null geometry and an empty one (both naming
    their Comune), a point 500 m off the coast, a feature whose ``comune``
    property names another Comune than the one its point is in, a Polygon
    feature, and a null geometry without any Comune (the one unusable feature).
``Progetti regionali``
    one point per Region at its capital: not initiatives, carried unchanged
    (``--initiative-layer "Iniziative 2019"``).
"""

from __future__ import annotations

import json
import math
import random
import string
import sys
from pathlib import Path
from typing import Any

from mapgen.gazetteer import load_gazetteer
from mapgen.model import Comune
from mapgen.text import slugify

SEED = 2019
N_COMUNI = 640
OUT = Path(__file__).resolve().parent / "previous_2019.umap"
SURVEY = Path(__file__).resolve().parent / "survey_2020.csv"
MAPPING = Path(__file__).resolve().parent / "mapping.toml"
#: Share of the 2020 example's practices that already ran in 2019, so the demo shows continuity.
CONTINUED_SHARE = 0.3
METRIC = "EPSG:6875"  # RDN2008 / Italy zone: metres everywhere in Italy

#: What each planted fault is and what mapgen must do with it.
FAULTS = {
    "swapped": "lon/lat swapped: fixed and reported",
    "abroad": "point in Paris: rejected, Comune found by name",
    "null": "geometry null: Comune found by name",
    "empty": "empty coordinates: Comune found by name",
    "off_coast": "500 m into the sea: nearest Comune within 2 km",
    "disagree": "comune property names another Comune than the point's: reported",
    "polygon": "Polygon geometry: assigned by its representative point",
    "lost": "geometry null and no Comune: reported as unusable",
}

# (title, areas, recipients, funding)
PRACTICES = [
    (
        "Centro per le famiglie",
        "centri per le famiglie",
        "Famiglie con figli 0-17",
        "regionale, comunale",
    ),
    ("Nidi gratis", "infanzia", "Bambini 0-3 anni", "regionale"),
    ("Bonus bebè comunale", "natalità", "Nuovi nati e adottati", "comunale"),
    ("Scuola per genitori", "responsabilità genitoriali", "Genitori", "nazionale"),
    (
        "Sportello di mediazione familiare",
        "sostegno alle famiglie",
        "Coppie e genitori separati",
        "regionale",
    ),
    ("Estate ragazzi", "altro, tempo libero", "Ragazzi 6-14 anni", "comunale"),
    ("Ludoteca comunale", "infanzia", "Bambini 3-10 anni e genitori", "comunale"),
    (
        "Carta famiglia",
        "sostegno alle famiglie",
        "Famiglie con almeno un figlio",
        "nazionale, comunale",
    ),
    (
        "Voucher baby sitter",
        "infanzia, sostegno alle famiglie",
        "Genitori che lavorano",
        "comunitaria",
    ),
    ("Doposcuola solidale", "sostegno alle famiglie", "Studenti 6-13 anni", "comunale, altro"),
    ("Banca del tempo per le famiglie", "sostegno alle famiglie", "Tutte le famiglie", "comunale"),
    ("Spazio gioco 0-3 anni", "infanzia", "Bambini 0-3 anni con un adulto", "regionale"),
    ("Percorso nascita", "natalità", "Future mamme e papà", "regionale"),
    ("Pacco nascita", "natalità", "Nuovi nati", "comunale"),
    (
        "Gruppi di parola per figli di genitori separati",
        "responsabilità genitoriali",
        "Ragazzi 6-17 anni",
        "nazionale",
    ),
    (
        "Sportello informativo sull'affido",
        "sostegno alle famiglie",
        "Famiglie affidatarie",
        "regionale",
    ),
    (
        "Riduzione TARI per famiglie numerose",
        "sostegno alle famiglie",
        "Famiglie con 3 o più figli",
        "comunale",
    ),
    (
        "Consultorio familiare itinerante",
        "centri per le famiglie",
        "Famiglie delle frazioni",
        "regionale",
    ),
    ("Baby pit stop in biblioteca", "infanzia", "Genitori con neonati", "comunale"),
    ("Orti sociali per famiglie", "altro, ambiente", "Famiglie residenti", "comunale"),
    (
        "Trasporto scolastico gratuito",
        "sostegno alle famiglie",
        "Alunni della scuola primaria",
        "comunale",
    ),
    ("Sostegno all'allattamento", "natalità", "Neomamme", "regionale, comunitaria"),
    (
        "Laboratori genitori-figli",
        "responsabilità genitoriali",
        "Genitori e figli 3-10 anni",
        "comunitaria",
    ),
    (
        "Centro estivo inclusivo",
        "infanzia, altro",
        "Bambini con disabilità e i loro compagni",
        "nazionale",
    ),
    (
        "Bonus libri scolastici",
        "sostegno alle famiglie",
        "Studenti della scuola secondaria",
        "regionale",
    ),
]
MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "settembre", "ottobre"]
COLOURS = ["DarkOrange", "Crimson", "SeaGreen", "SteelBlue"]

REGIONAL_CAPITALS = [
    "001272", "007003", "015146", "022205", "027042", "032006", "010025",
    "037006", "048017", "054039", "042002", "058091", "066049", "070006",
    "063049", "072006", "076063", "079023", "082053", "092009",
]  # fmt: skip


def _metric_boundaries() -> Any:
    """The gazetteer's Comuni boundaries in metres, indexed by ISTAT code."""
    frame = load_gazetteer().boundaries().to_crs(METRIC)
    return frame.set_index("istat_code")


def _to_metric(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    import pyproj

    transformer = pyproj.Transformer.from_crs(4326, METRIC, always_xy=True)
    return [transformer.transform(lon, lat) for lon, lat in points]


def _to_lonlat(x: float, y: float) -> list[float]:
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(METRIC, 4326, always_xy=True).transform(x, y)
    return [round(lon, 6), round(lat, 6)]


def _eligible(boundaries: Any) -> list[tuple[Comune, float]]:
    """Current Comuni whose gazetteer point is at least 1 km inside their own polygon."""
    import shapely

    comuni = [c for c in load_gazetteer().active() if c.istat_code in boundaries.index]
    xy = _to_metric([(c.lon, c.lat) for c in comuni])
    found = []
    for comune, (x, y) in zip(comuni, xy, strict=True):
        shape = boundaries.geometry[comune.istat_code]
        point = shapely.Point(x, y)
        if shape.contains(point):
            margin = shape.boundary.distance(point)
            if margin >= 1000:
                found.append((comune, margin))
    return found


def _jitter(rng: random.Random, comune: Comune, margin: float, boundaries: Any) -> list[float]:
    """The gazetteer point, or a point up to 600 m from it and at least 500 m inside the Comune."""
    import shapely

    if rng.random() < 1 / 6:
        return [comune.lon, comune.lat]
    (x, y), shape = (
        _to_metric([(comune.lon, comune.lat)])[0],
        boundaries.geometry[comune.istat_code],
    )
    for _ in range(20):
        radius = rng.uniform(50, min(600.0, margin - 500))
        angle = rng.uniform(0, 2 * math.pi)
        candidate = shapely.Point(x + radius * math.cos(angle), y + radius * math.sin(angle))
        if shape.contains(candidate) and shape.boundary.distance(candidate) >= 500:
            return _to_lonlat(candidate.x, candidate.y)
    return [comune.lon, comune.lat]


def _feature_id(rng: random.Random, taken: set[str]) -> str:
    """A uMap-style 5-character id (uMap keeps ids of 5 ASCII letters/digits)."""
    while True:
        candidate = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(5))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _amount(rng: random.Random) -> Any:
    value = rng.randrange(20, 400) * 250
    if rng.random() < 0.5:
        return value
    return f"{value:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")


def _properties(
    rng: random.Random, comune: Comune, practice: tuple[str, str, str, str]
) -> dict[str, Any]:
    title, areas, recipients, funding = practice
    site = f"https://www.example.org/famiglie/{slugify(comune.name)}/{slugify(title)}"
    month = rng.choice(MONTHS)
    description = (
        f"**{title}** promosso dal Comune di {comune.name}.\n\n"
        f"* Destinatari: {recipients}\n* Avvio: {month} 2019\n\n"
        f"Per informazioni: [[{site}|pagina dell'iniziativa]]"
    )
    props: dict[str, Any] = {
        "name": title,
        "description": description,
        "comune": comune.name,
        "provincia": comune.sigla,
        "regione": comune.region,
        "area": areas,
        "anno": 2019,
        "fonte": funding,
        "destinatari": recipients,
        "importo": _amount(rng),
        "sito": site,
    }
    if rng.random() < 0.1:
        props["_umap_options"] = {"color": rng.choice(COLOURS), "iconClass": "Ball"}
    return props


def _point(coordinates: list[float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": coordinates}


def _continued(rng: random.Random) -> dict[str, list[tuple[str, str, str, str]]]:
    """Practices of the 2020 example (by ISTAT code) that also ran in 2019, titles as typed then."""
    from mapgen.config import load_config
    from mapgen.geocoders import Geocoder
    from mapgen.readers.survey import read_survey

    read = read_survey(SURVEY, config=load_config(MAPPING))
    matches = Geocoder().geocode_many(r.place for r in read.initiatives)
    continued: dict[str, list[tuple[str, str, str, str]]] = {}
    for record, match in zip(read.initiatives, matches, strict=True):
        if match.istat_code and match.status.resolved and rng.random() < CONTINUED_SHARE:
            practice = (_title_as_in_2019(rng, record.titolo), ", ".join(record.aree) or "altro",
                        record.destinatari or "Famiglie", ", ".join(record.fonti) or "comunale")
            continued.setdefault(match.istat_code, []).append(practice)
    return continued


def _title_as_in_2019(rng: random.Random, title: str) -> str:
    """The same title, or as it was typed a year earlier: other case and punctuation."""
    if rng.random() < 0.5:
        return title
    return title.lower().rstrip(".") + "."


def _initiatives(
    rng: random.Random, boundaries: Any
) -> tuple[list[dict[str, Any]], list[tuple[Comune, float]]]:
    continued = _continued(rng)
    eligible = _eligible(boundaries)
    carried_back = [item for item in eligible if item[0].istat_code in continued]
    others = [item for item in eligible if item[0].istat_code not in continued]
    chosen = sorted(
        carried_back + rng.sample(others, N_COMUNI - len(carried_back)),
        key=lambda item: item[0].istat_code,
    )
    features, ids = [], set[str]()
    for comune, margin in chosen:
        practices = continued.get(comune.istat_code) or rng.sample(PRACTICES, 2 if rng.random() < 0.1 else 1)
        for practice in practices:
            features.append(
                {
                    "type": "Feature",
                    "id": _feature_id(rng, ids),
                    "geometry": _point(_jitter(rng, comune, margin, boundaries)),
                    "properties": _properties(rng, comune, practice),
                }
            )
    return features, chosen


def _unique_names(chosen: list[tuple[Comune, float]]) -> list[Comune]:
    """Chosen Comuni whose name is shared by no other Comune (name fallbacks stay unambiguous)."""
    gazetteer = load_gazetteer()
    return [c for c, _ in chosen if len(gazetteer.by_name(c.name)) == 1]


def _off_coast(chosen: list[tuple[Comune, float]], boundaries: Any) -> tuple[Comune, list[float]]:
    """A chosen coastal Comune of an island or Puglia and a point 500 m off its coast."""

    islands = ("Puglia", "Sicilia", "Sardegna")
    union = boundaries.geometry
    for comune, _ in chosen:
        if comune.region not in islands:
            continue
        ring = boundaries.geometry[comune.istat_code].buffer(500).exterior
        for step in range(72):
            candidate = ring.interpolate(step / 72, normalized=True)
            near = union.iloc[union.sindex.query(candidate.buffer(2000))]
            if not any(shape.contains(candidate) for shape in near) and all(
                shape.distance(candidate) > 1500
                for code, shape in near.items()
                if code != comune.istat_code
            ):
                return comune, _to_lonlat(candidate.x, candidate.y)
    raise SystemExit("no coastal Comune found for the off-coast fault")


def _plant_faults(
    features: list[dict[str, Any]], chosen: list[tuple[Comune, float]], boundaries: Any
) -> None:
    """Overwrite a few features with the faults listed in FAULTS (fixed positions)."""
    by_name = {f["properties"]["comune"]: f for f in features}
    unique = _unique_names(chosen)
    for position in (17, 211):
        lon, lat = features[position]["geometry"]["coordinates"]
        features[position]["geometry"] = _point([lat, lon])
    by_name[unique[40].name]["geometry"] = _point([2.352222, 48.856613])
    by_name[unique[90].name]["geometry"] = None
    by_name[unique[140].name]["geometry"] = {"type": "Point", "coordinates": []}
    other = unique[-30]
    by_name[unique[190].name]["properties"]["comune"] = other.name
    by_name[unique[190].name]["properties"]["provincia"] = other.sigla
    by_name[unique[190].name]["properties"]["regione"] = other.region
    coastal, point = _off_coast(chosen, boundaries)
    by_name[coastal.name]["geometry"] = _point(point)
    lon, lat = by_name[unique[240].name]["geometry"]["coordinates"]
    d = 0.002  # about 200 m: the square stays inside the Comune (points are >= 500 m inside)
    square = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    by_name[unique[240].name]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[round(v, 6) for v in p] for p in square]],
    }
    lost = by_name[unique[290].name]
    planted = [features[17], features[211]] + [by_name[c.name] for c in unique[40:291:50]]
    planted.append(by_name[coastal.name])
    assert len({id(f) for f in planted}) == len(planted), "two faults landed on one feature"
    lost["geometry"] = None
    for key in ("comune", "provincia", "regione"):
        del lost["properties"][key]


def _regional_projects() -> list[dict[str, Any]]:
    gazetteer = load_gazetteer()
    features = []
    for code in REGIONAL_CAPITALS:
        capital = gazetteer.by_code(code)
        assert capital is not None, code
        features.append(
            {
                "type": "Feature",
                "geometry": _point([capital.lon, capital.lat]),
                "properties": {
                    "name": f"Linea regionale per le famiglie — {capital.region}",
                    "description": f"Programma regionale 2019 coordinato da {capital.name}.",
                    "regione": capital.region,
                },
            }
        )
    return features


def build() -> dict[str, Any]:
    """The whole backup, as uMap 3.x exports it (``umap/models.py`` ``generate_umapjson``)."""
    rng = random.Random(SEED)
    boundaries = _metric_boundaries()
    features, chosen = _initiatives(rng, boundaries)
    _plant_faults(features, chosen, boundaries)
    return {
        "type": "umap",
        "uri": "https://umap.example.org/it/map/iniziative-per-le-famiglie-2019_2019",
        "properties": {
            "name": "Le iniziative di Regioni e Comuni a favore delle famiglie — 2019",
            "description": "Pratiche segnalate dai Comuni nel 2019 (dati di esempio inventati).",
            "licence": "",
            "zoom": 6,
            "miniMap": False,
            "displayPopupFooter": False,
            "onLoadPanel": "caption",
            "slugKey": "name",
            "tilelayer": {
                "attribution": "© OpenStreetMap contributors",
                "maxZoom": 18,
                "minZoom": 0,
                "url_template": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            },
        },
        "geometry": {"type": "Point", "coordinates": [12.5, 42.0]},
        "layers": [
            {
                "type": "FeatureCollection",
                "features": features,
                "_umap_options": {
                    "name": "Iniziative 2019",
                    "displayOnLoad": True,
                    "browsable": True,
                    "type": "Cluster",
                    "cluster": {"radius": 60},
                    "color": "DarkOrange",
                    "labelKey": "name",
                    "popupContentTemplate": "# {name}\n**{comune}** ({provincia})\n{description}",
                },
            },
            {
                "type": "FeatureCollection",
                "features": _regional_projects(),
                "_umap_options": {
                    "name": "Progetti regionali",
                    "displayOnLoad": True,
                    "browsable": True,
                    "color": "DarkGreen",
                    "iconClass": "Drop",
                },
            },
        ],
    }


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _members(items: list[tuple[str, str]], indent: str) -> str:
    return ",\n".join(f"{indent}{json.dumps(k)}: {v}" for k, v in items)


def dump(backup: dict[str, Any]) -> str:
    """The backup as JSON with one feature per line (readable diffs; uMap reads any layout)."""
    layers = []
    for layer in backup["layers"]:
        features = ",\n".join(f"    {_compact(f)}" for f in layer["features"])
        items = [
            (k, "[\n" + features + "\n   ]" if k == "features" else _compact(v))
            for k, v in layer.items()
        ]
        layers.append("  {\n" + _members(items, "   ") + "\n  }")
    items = [
        (k, "[\n" + ",\n".join(layers) + "\n ]" if k == "layers" else _compact(v))
        for k, v in backup.items()
    ]
    return "{\n" + _members(items, " ") + "\n}\n"


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    text = dump(build())

    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.encode()) // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv)
