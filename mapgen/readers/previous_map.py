"""Read a previous edition's map (uMap layer, ``.umap`` backup, GeoJSON, GeoPackage).

:func:`read_previous` turns every feature of the layers that hold initiatives
into an :class:`~mapgen.model.Initiative` (every original property kept), keeps
the other layers unchanged as :class:`~mapgen.model.CarriedLayer`, and reports
features it cannot use. The pipeline then gives each initiative its Comune by
point-in-polygon against the gazetteer boundaries
(:func:`mapgen.geocoders.point_in_polygon.assign_comuni`).

Accepted inputs, recognised by their content (not their file name):

- a uMap layer GeoJSON: a ``FeatureCollection``, maybe with ``_umap_options``
  (layer name and style) — also any plain GeoJSON; a single ``Feature`` too;
- a full uMap backup (``.umap``): map ``properties`` plus a ``layers`` list;
  layer options under ``_umap_options`` (uMap ≤ 3.6), ``properties`` (3.7+) or
  the legacy ``_storage``; group layers (3.7+) with nested ``layers`` are
  flattened, each leaf layer keeping the name of its group;
- a GeoPackage (through pyogrio): every layer, reprojected to WGS84.

Splitting a JSON file into uMap layers and reading their options is uMap format knowledge,
shared with the writers and ``publish``: :mod:`mapgen.umap.files`, :mod:`mapgen.umap.layers`.
This module turns the layers' features into initiatives.

Nothing is lost: every feature of an initiative layer becomes an Initiative or
a problem (a :class:`~mapgen.model.RowOutcome` with an Italian reason and fix),
every feature of another layer is carried; :meth:`PreviousEdition.check_counts`
proves it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from mapgen._json import finite
from mapgen.errors import InputError, UnreadableFileError
from mapgen.i18n import Message, _, _l, _lp
from mapgen.model import (
    CarriedLayer,
    Initiative,
    Outcome,
    Place,
    RowOutcome,
    Source,
    SourceRef,
)
from mapgen.readers import _previous_fields as fields
from mapgen.readers._previous_geometry import CheckedGeometry, Transform, check_geometry
from mapgen.text import fold, slugify
from mapgen.umap.files import FIX_EXPORT, FileLayer, MapFile, read_json_map
from mapgen.umap.layers import layer_options
from mapgen.umap.markup import shown_as_typed

if TYPE_CHECKING:
    pass

__all__ = [
    "CANONICAL_FIELDS",
    "DEFAULT_EDITION",
    "FeatureNote",
    "LayerRole",
    "LayerSummary",
    "PreviousEdition",
    "PreviousMapping",
    "PreviousMappingLike",
    "read_previous",
]

log = logging.getLogger(__name__)

#: The edition a previous map belongs to when neither the caller nor the mapping says.
DEFAULT_EDITION: Final = 2019

#: Canonical field -> (Initiative field, property names guessed), see ``[previous] properties``.
CANONICAL_FIELDS: Final = fields.CANONICAL_FIELDS

# --- public records ------------------------------------------------------------------


class PreviousMappingLike(Protocol):
    """What :func:`read_previous` needs from the config's ``[previous]`` section."""

    @property
    def edition(self) -> int: ...

    @property
    def initiative_layers(self) -> Sequence[str]: ...

    @property
    def properties(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class PreviousMapping:
    """The ``[previous]`` mapping: edition year, initiative layers, canonical field -> property.

    Keys of ``properties`` are canonical field names (:data:`CANONICAL_FIELDS`,
    any case), values the property names of the previous map.
    """

    edition: int = DEFAULT_EDITION
    initiative_layers: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)


class LayerRole(StrEnum):
    """How a layer of a previous map was read."""

    INITIATIVES = "initiatives"
    CARRIED = "carried"


#: The formats read, in the reader's language.
_FORMATS = {
    "GeoJSON layer": _l("GeoJSON layer"),
    "GeoJSON feature": _l("GeoJSON feature"),
    "uMap backup (.umap)": _l("uMap backup (.umap)"),
}


def _elements(n: int) -> Message:
    return _lp("{count} feature", "{count} features", n)


def _unusable(n: int) -> Message:
    return _lp("{count} unusable", "{count} unusable", n)


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """One layer as read: its role, feature counts, the properties used, notes (Italian)."""

    name: str
    role: LayerRole
    features: int
    initiatives: int = 0
    problems: int = 0
    group: str = ""
    properties: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    notes: tuple[str, ...] = ()

    def describe(self) -> Message:
        """A line for the report: which layer, read as what, how many features."""
        where = f"«{self.group} / {self.name}»" if self.group else f"«{self.name}»"
        if self.role is LayerRole.CARRIED:
            return _l("{where}: carried over unchanged ({features}).", where=where, features=_elements(self.features))
        if self.problems:
            return _l("{where}: read as initiatives ({initiatives} of {features}, {unusable}).", where=where,
                      initiatives=self.initiatives, features=_elements(self.features),
                      unusable=_unusable(self.problems))
        return _l("{where}: read as initiatives ({initiatives} of {features}).", where=where,
                  initiatives=self.initiatives, features=_elements(self.features))


@dataclass(frozen=True, slots=True)
class FeatureNote:
    """Something fixed or doubtful about a feature that was still read (Italian, for the report)."""

    source: SourceRef
    record_id: str
    reason: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class PreviousEdition:
    """Everything read from one previous-map file.

    ``initiatives`` and ``problems`` cover every feature of the initiative
    layers (one each); ``carried`` holds the other layers unchanged. ``notes``
    lists repairs and doubts about features that were read (swapped
    coordinates, missing title...). ``map_properties`` is the ``.umap``
    backup's top level without its ``layers`` (``properties``, ``geometry``,
    ``uri``...), None for other formats. ``geometries`` keeps the original
    GeoJSON geometry of initiatives that were not Points (their ``point`` is a
    representative point), keyed by ``record_id``.
    """

    file: str
    format: str
    edition: int
    initiatives: tuple[Initiative, ...]
    carried: tuple[CarriedLayer, ...]
    problems: tuple[RowOutcome, ...]
    notes: tuple[FeatureNote, ...]
    layers: tuple[LayerSummary, ...]
    map_properties: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    geometries: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict, compare=False, hash=False
    )

    @property
    def features(self) -> int:
        """Every feature of every layer."""
        return sum(layer.features for layer in self.layers)

    @property
    def carried_features(self) -> int:
        """Features of the carried layers."""
        return sum(layer.features for layer in self.layers if layer.role is LayerRole.CARRIED)

    def check_counts(self) -> None:
        """Raise AssertionError unless every feature is an initiative, a problem or carried."""
        accounted = len(self.initiatives) + len(self.problems) + self.carried_features
        assert accounted == self.features, (
            f"{self.file}: {accounted} accounted for, {self.features} read"
        )

    def describe(self) -> Message:
        """One line for ``BuildResult.inputs``: file, format, counts."""
        return _l(
            "{file}: {format}, edition {edition} — {layers}, {features}: {initiatives}, {unusable}, {carried}",
            file=self.file, format=_FORMATS.get(self.format, self.format), edition=self.edition,
            layers=_lp("{count} layer", "{count} layers", len(self.layers)), features=_elements(self.features),
            initiatives=_lp("{count} initiative", "{count} initiatives", len(self.initiatives)),
            unusable=_unusable(len(self.problems)),
            carried=_lp("{count} carried", "{count} carried", self.carried_features),
        )


# --- loading files -------------------------------------------------------------------


def _load(path: Path) -> MapFile:
    """Read the file and split it into layers, whatever the format."""
    if path.is_dir():
        raise UnreadableFileError(_("{file}: a folder, not a map file ({path}). Give the .umap, "
                                    "GeoJSON or GeoPackage file with --previous.", file=path.name, path=path))
    if not path.is_file():
        raise UnreadableFileError(
            _("{file}: file not found ({path}). Check the --previous path.", file=path.name, path=path)
        )
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"SQLite format 3"):
        return _load_geopackage(path)
    if not head.strip():
        raise UnreadableFileError(_("{file}: the file is empty. {fix}", file=path.name, fix=FIX_EXPORT))
    return read_json_map(path)


def _load_geopackage(path: Path) -> MapFile:
    """Every layer of a GeoPackage as a GeoJSON FeatureCollection in WGS84 (ids = fids)."""
    import pyogrio

    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises several DataSourceError kinds; all mean "unreadable"
        raise UnreadableFileError(
            _("{file}: cannot read the GeoPackage ({error}). {fix}", file=path.name, error=exc, fix=FIX_EXPORT)
        ) from None
    layers = []
    for layer_name, _geometry_type in listed:
        frame = _read_gpkg_layer(path, str(layer_name))
        if not hasattr(frame, "to_json") or "geometry" not in frame:
            frame = _as_geodataframe(frame)
        _check_gpkg_crs(frame.crs, f"{path.name}, layer {layer_name!r}")
        collection = json.loads(
            frame.to_json(na="null", drop_id=False, to_wgs84=frame.crs is not None, default=str)
        )
        layers.append(FileLayer(str(layer_name), collection))
    return MapFile("GeoPackage", tuple(layers))


def _read_gpkg_layer(path: Path, layer: str) -> Any:
    """One layer as a (Geo)DataFrame; text that is not UTF-8 is read as Windows-1252 (QGIS on Windows)."""
    import pyogrio

    try:
        return pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    except UnicodeDecodeError:
        log.warning("%s, layer %r: text that is not UTF-8, read as Windows-1252.", path.name, layer)
    try:
        return pyogrio.read_dataframe(path, layer=layer, fid_as_index=True, encoding="cp1252")
    except (UnicodeDecodeError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise UnreadableFileError(
            _("{file}, layer {layer}: its text is neither UTF-8 nor Windows-1252 ({error}). Open it in "
              "QGIS and save it again as a GeoPackage (UTF-8).", file=path.name, layer=repr(layer), error=exc)
        ) from None


def _check_gpkg_crs(crs: Any, where: str) -> None:
    """Refuse a local/engineering CRS (a site grid): its coordinates cannot be put on a map of Italy."""
    if crs is None or crs.is_geographic:
        return
    import pyproj

    try:
        pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    except pyproj.exceptions.ProjError:
        raise InputError(
            _("{where}: its coordinate reference system {crs_name} is a local (engineering) grid that "
              "cannot be converted to longitude/latitude. Reproject the layer in QGIS to EPSG:4326 or "
              "a UTM zone (EPSG:32632/32633) and export it again.", where=where, crs_name=repr(crs.name))
        ) from None


def _as_geodataframe(frame: Any) -> Any:
    """An attribute-only GeoPackage table as a GeoDataFrame with empty geometries."""
    import geopandas as gpd

    return gpd.GeoDataFrame(frame, geometry=[None] * len(frame))


# --- choosing the initiative layers --------------------------------------------------


def _select(container: MapFile, wanted: Sequence[str], file: str) -> list[bool]:
    """Which layers hold initiatives: those named in ``wanted`` (by name or group), else all.

    A one-layer file is always read as initiatives: ``--initiative-layer``
    names layers of a multi-layer map.
    """
    layers = container.layers
    if not wanted or len(layers) <= 1:
        return [True] * len(layers)
    folded = {fold(n) for n in wanted}
    chosen = [
        fold(layer.name) in folded or (layer.group and fold(layer.group) in folded)
        for layer in layers
    ]
    if not any(chosen):
        names = ", ".join(repr(layer.name) for layer in layers)
        raise InputError(
            _("{file}: no layer is called {wanted} (--initiative-layer / [previous] initiative_layers); "
              "its layers are {names}. Use one of these names.",
              file=file, wanted=", ".join(map(repr, wanted)), names=names)
        )
    return [bool(c) for c in chosen]


# --- reading features ----------------------------------------------------------------


@dataclass
class _LayerRead:
    """What reading one initiative layer produced."""

    initiatives: list[Initiative] = field(default_factory=list)
    record_ids: set[str] = field(default_factory=set)
    problems: list[RowOutcome] = field(default_factory=list)
    notes: list[FeatureNote] = field(default_factory=list)
    geometries: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    used: dict[str, set[str]] = field(default_factory=dict)  # canonical -> properties, this layer


@dataclass(frozen=True, slots=True)
class _Context:
    """What every feature of one layer shares."""

    file: str
    layer: str
    slug: str
    edition: int
    mapped: tuple[tuple[str, str], ...]  # canonical field -> property name, from the config
    transform: Transform | None
    fallback_transform: Transform | None


def _feature_keys(features: Sequence[Any]) -> list[str]:
    """Each feature's id when it has a unique one, else its 1-based position in the layer."""
    ids = [f.get("id") if isinstance(f, dict) else None for f in features]
    usable = [
        str(i).strip()
        if isinstance(i, (str, int)) and not isinstance(i, bool) and str(i).strip()
        else None
        for i in ids
    ]
    counts: dict[str, int] = {}
    for key in usable:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    keys: list[str] = []
    taken: set[str] = set()
    for position, key in enumerate(usable, start=1):
        candidate = key if key is not None and counts[key] == 1 else str(position)
        while candidate in taken:  # an id equal to another feature's position
            candidate = f"{candidate}-{position}"
        taken.add(candidate)
        keys.append(candidate)
    return keys


@functools.lru_cache(maxsize=256)
def _resolve(mapped: tuple[tuple[str, str], ...], keys: frozenset[str]) -> Mapping[str, str]:
    """Canonical field -> property, for one set of property names (features mostly share one)."""
    return fields.resolve_properties(dict(mapped), keys)


@dataclass(frozen=True, slots=True)
class _Fields:
    """One feature's properties seen through the canonical fields.

    The choice of property is made per feature, so a layer where some features
    say ``name`` and others ``titolo`` still gives every feature its title.
    """

    props: Mapping[str, Any]
    chosen: Mapping[str, str]

    @classmethod
    def of(cls, props: Mapping[str, Any], ctx: _Context) -> _Fields:
        return cls(props, _resolve(ctx.mapped, frozenset(str(k) for k in props)))

    def value(self, canonical: str) -> Any:
        key = self.chosen.get(canonical)
        return self.props.get(key) if key is not None else None

    def text(self, canonical: str) -> str:
        return fields.as_text(self.value(canonical)).strip()

    def place(self) -> Place:
        return Place(self.text("Comune"), self.text("Provincia"), self.text("Regione"))


def _fallback_title(f: _Fields, ctx: _Context, key: str) -> str:
    """A title for a feature without one: the description's first line, else a placeholder."""
    for line in fields.as_text(f.value("Descrizione")).splitlines():
        cleaned = line.strip().lstrip("#*-> ").replace("**", "").strip()
        if cleaned:
            return cleaned[:80]
    return f"Senza titolo ({ctx.layer}, {key})"


def _initiative(
    f: _Fields, ctx: _Context, key: str, point: tuple[float, float] | None, titolo: str, record_id: str,
    place: Place,
) -> Initiative:
    aree, aree_altro = _terms(f.value("Area"), fields.area_terms, _area_terms)
    fonti, fonti_altro = _terms(f.value("Fonte di finanziamento"), fields.funding_terms, _funding_terms)
    return Initiative(
        record_id=record_id,
        edition=ctx.edition,
        source=SourceRef(Source.PREVIOUS, ctx.file, layer=ctx.layer, feature=key),
        place=place,
        titolo=titolo,
        descrizione=fields.as_text(f.value("Descrizione")),
        aree=aree,
        aree_altro=aree_altro,
        destinatari=f.text("Destinatari"),
        fonti=fonti,
        fonti_altro=fonti_altro,
        importo=fields.parse_amount(f.value("Importo")),
        data_inizio=fields.parse_date(f.value("Data inizio")),
        data_fine=fields.parse_date(f.value("Data fine")),
        sito_web=f.text("Sito web"),
        tipo_ente=f.text("Tipo ente"),
        denominazione_ente=f.text("Denominazione ente"),
        comuni_associati=tuple(fields.split_list(f.value("Comuni associati"))),
        referente=f.text("Referente"),
        email=f.text("Email"),
        telefono=f.text("Telefono"),
        point=point,
        properties=dict(finite(dict(f.props))[0]),
    )


_Terms = tuple[tuple[str, ...], str]
# Features repeat their areas and funding sources: each distinct text is split and matched once.
_area_terms = functools.lru_cache(maxsize=4096)(fields.area_terms)
_funding_terms = functools.lru_cache(maxsize=4096)(fields.funding_terms)


def _terms(value: Any, read: Callable[[Any], _Terms], cached: Callable[[str], _Terms]) -> _Terms:
    """``read(value)``, through its cache when the value is text (a list is not hashable)."""
    return cached(value) if isinstance(value, str) else read(value)


def _not_a_feature(entry: Any, ref: SourceRef, record_id: str) -> RowOutcome:
    kind = entry.get("type") if isinstance(entry, dict) else type(entry).__name__
    return RowOutcome(
        source=ref, record_id=record_id, typed=Place(), outcome=Outcome.EXCLUDED,
        reason=f"L'elemento non è una Feature GeoJSON (tipo {kind!r}).",
        fix="Correggere o togliere l'elemento nel file.",
    )  # fmt: skip


def _unplaceable(f: _Fields, checked: CheckedGeometry, ref: SourceRef, record_id: str,
                 titolo: str) -> RowOutcome:  # fmt: skip
    return RowOutcome(
        source=ref, record_id=record_id, typed=f.place(), outcome=Outcome.UNRESOLVED, titolo=titolo,
        reason=f"{checked.reason} Nessun Comune indicato nelle proprietà: "
        "impossibile collocare l'iniziativa.",
        fix=checked.fix,
    )  # fmt: skip


def _claim(out: _LayerRead, record_id: str) -> str:
    """Make a record id unique in the file ("iniziative" + "2-2" vs "iniziative-2" + "2")."""
    candidate, n = record_id, 2
    while candidate in out.record_ids:
        candidate, n = f"{record_id}~{n}", n + 1
    out.record_ids.add(candidate)
    return candidate


def _read_feature(feature: Any, key: str, ctx: _Context, out: _LayerRead) -> None:
    """Turn one feature into an Initiative, or a problem when nothing can place it."""
    record_id = _claim(out, f"{ctx.edition}-{ctx.slug}-{key}")
    ref = SourceRef(Source.PREVIOUS, ctx.file, layer=ctx.layer, feature=key)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        out.problems.append(_not_a_feature(feature, ref, record_id))
        return
    raw_props = feature.get("properties")
    f = _Fields.of(raw_props if isinstance(raw_props, dict) else {}, ctx)
    for canonical, prop in f.chosen.items():
        out.used.setdefault(canonical, set()).add(prop)
    checked = check_geometry(
        feature.get("geometry"), transform=ctx.transform, fallback_transform=ctx.fallback_transform
    )
    titolo = f.text("Titolo")
    if checked.point is None and not f.text("Comune"):
        out.problems.append(
            _unplaceable(f, checked, ref, record_id, titolo or _fallback_title(f, ctx, key))
        )
        return
    place = f.place()
    _note_feature(out, ref, record_id, checked, place, titolo)
    record = _initiative(f, ctx, key, checked.point, titolo or _fallback_title(f, ctx, key), record_id, place)
    out.initiatives.append(record)
    if shown_as_typed(record):
        out.notes.append(FeatureNote(ref, record_id, _TYPED_REASON, _TYPED_FIX))
    if checked.point is not None and checked.kind != "Point":
        out.geometries[record_id] = feature["geometry"]


#: A description whose uMap markup would cost too much to format (mapgen.umap.markup.carried_markup).
_TYPED_REASON = (
    "Descrizione mostrata come scritta, senza la formattazione di uMap: una volta riempiti i "
    "segnaposto {campo} sarebbe troppo lunga o troppo complessa da formattare."
)
_TYPED_FIX = "Accorciare la descrizione o i campi che i suoi segnaposto {campo} richiamano."


def _note_feature(
    out: _LayerRead,
    ref: SourceRef,
    record_id: str,
    checked: CheckedGeometry,
    place: Place,
    titolo: str,
) -> None:
    """Record the repairs and doubts about a feature that is still read."""
    if checked.reason:
        then = (
            ""
            if checked.point is not None
            else f" Il Comune sarà cercato per nome ({place.comune!r})."
        )
        out.notes.append(FeatureNote(ref, record_id, checked.reason + then, checked.fix))
    if not titolo:
        out.notes.append(
            FeatureNote(
                ref,
                record_id,
                "Titolo mancante: usata la prima riga della descrizione o un segnaposto.",
                "Aggiungere il titolo nella proprietà del titolo "
                "(o indicare la proprietà in [previous] properties).",
            )
        )


# --- CRS -----------------------------------------------------------------------------


def _transform_from(crs: Any, where: str) -> Transform | None:
    """A transform to WGS84 lon/lat from a CRS spec, None when it already is lon/lat degrees."""
    if crs is None:
        return None
    spec = crs
    if isinstance(crs, dict):
        found = crs.get("properties")
        props = found if isinstance(found, dict) else {}
        spec = props.get("name") or (f"EPSG:{props['code']}" if "code" in props else None)
    import pyproj

    try:
        source = pyproj.CRS.from_user_input(spec)
    except (pyproj.exceptions.CRSError, TypeError):
        raise InputError(
            _("{where}: unknown coordinate reference system {crs}. Use an EPSG code such as "
              "'EPSG:32632', or export the layer in WGS84 (EPSG:4326).", where=where, crs=repr(crs))
        ) from None
    if source.is_geographic:
        return None  # GeoJSON files write lon/lat whatever the CRS's axis order says
    try:
        transformer = pyproj.Transformer.from_crs(source, 4326, always_xy=True)
    except pyproj.exceptions.ProjError:  # a local/engineering grid has no way to lon/lat
        raise InputError(
            _("{where}: the coordinate reference system {crs} is a local grid that cannot be converted "
              "to longitude/latitude. Export the layer in WGS84 (EPSG:4326).", where=where, crs=repr(crs))
        ) from None
    return transformer.transform


# --- reading one layer ---------------------------------------------------------------


def _present_properties(features: Sequence[Any]) -> set[str]:
    keys: set[str] = set()
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(props, dict):
            keys.update(str(k) for k in props)
    return keys


def _layer_notes(
    raw: FileLayer, chosen: Mapping[str, str], transform: Transform | None
) -> tuple[str, ...]:
    """Italian notes on a whole layer: fields not found, reprojection, remote data."""
    notes = []
    if "Titolo" not in chosen:
        notes.append(
            "Nessuna proprietà riconosciuta come titolo: "
            "indicarla in [previous] properties (Titolo)."
        )
    if "Comune" not in chosen:
        notes.append(
            "Nessuna proprietà riconosciuta come Comune: l'assegnazione usa solo le coordinate."
        )
    if transform is not None:
        notes.append(f"Coordinate riproiettate in WGS84 da {raw.collection.get('crs')!r}.")
    remote = layer_options(raw.collection).get("remoteData")
    if isinstance(remote, dict) and remote.get("url") and not raw.collection.get("features"):
        notes.append(
            f"Il layer carica i dati da un indirizzo remoto ({remote['url']}): "
            "mapgen lavora senza rete."
        )
    return tuple(notes)


def _read_layer(raw: FileLayer, ctx: _Context, out: _LayerRead) -> LayerSummary:
    features = list(raw.collection.get("features") or [])
    before_i, before_p = len(out.initiatives), len(out.problems)
    out.used = {}
    for feature, key in zip(features, _feature_keys(features), strict=True):
        _read_feature(feature, key, ctx, out)
    used = {c: ", ".join(sorted(props)) for c, props in out.used.items()}
    return LayerSummary(
        name=raw.name,
        role=LayerRole.INITIATIVES,
        features=len(features),
        initiatives=len(out.initiatives) - before_i,
        problems=len(out.problems) - before_p,
        group=raw.group,
        properties=used,
        notes=_layer_notes(raw, used, ctx.transform) + _duplicate_id_notes(features),
    )


def _duplicate_id_notes(features: Sequence[Any]) -> tuple[str, ...]:
    """Say when features share an id: they are then told apart by their position in the layer."""
    ids = [str(f.get("id")) for f in features if isinstance(f, dict) and f.get("id") is not None]
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if not repeated:
        return ()
    shown = ", ".join(repr(i) for i in repeated[:5]) + (" …" if len(repeated) > 5 else "")
    return (
        f"Id ripetuti ({shown}): quegli elementi sono identificati dalla loro posizione nel "
        "livello. Dare a ogni elemento un id diverso.",
    )


def _read_layers(
    container: MapFile, chosen: Sequence[bool], base: _Context
) -> tuple[_LayerRead, list[LayerSummary], list[CarriedLayer]]:
    """Read the initiative layers, carry the others; one summary per layer, in file order."""
    out, summaries, carried, slugs = _LayerRead(), [], [], set[str]()
    for raw, is_initiative in zip(container.layers, chosen, strict=True):
        if not is_initiative:
            geojson, notes = _carried_geojson(raw.collection)
            carried.append(CarriedLayer(name=raw.name, source=base.file, geojson=geojson))
            count = len(geojson["features"])
            summaries.append(LayerSummary(raw.name, LayerRole.CARRIED, count, group=raw.group, notes=notes))
            continue
        where = _("{file}, layer {layer}", file=base.file, layer=repr(raw.name))
        ctx = replace(
            base, layer=raw.name, slug=_unique_slug(raw.name, slugs),
            transform=_transform_from(raw.collection.get("crs"), where),
        )  # fmt: skip
        summaries.append(_read_layer(raw, ctx, out))
    return out, summaries, carried


def _carried_geojson(collection: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A carried layer as read, made valid enough for uMap and the writers; notes say what changed.

    NaN and Infinity (which Python's JSON reads, and GeoJSON forbids) become null; a
    feature's ``geometry`` or ``properties`` that is not an object becomes null or ``{}``;
    missing ``features`` become an empty list. Everything else is kept as it was.
    """
    cleaned, replaced = finite(dict(collection))
    features, fixed = [], 0
    for feature in cleaned.get("features") or []:
        if isinstance(feature, dict):
            geometry, props = feature.get("geometry"), feature.get("properties")
            if not isinstance(geometry, dict | None) or not isinstance(props, dict | None):
                fixed += 1
                feature = {**feature, "geometry": geometry if isinstance(geometry, dict) else None,
                           "properties": props if isinstance(props, dict) else {}}  # fmt: skip
        features.append(feature)
    notes = []
    if replaced:
        notes.append(f"{replaced} valori NaN o Infinity (non ammessi in GeoJSON né da uMap) sostituiti con null.")
    if fixed:
        notes.append(f"{fixed} elementi con geometria o proprietà non valide (non oggetti JSON): sostituite con "
                     "null / {}.")  # fmt: skip
    return {**cleaned, "features": features}, tuple(notes)



def _unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name, max_length=40)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _check_mapped_present(
    file: str, mapped: Mapping[str, str], container: MapFile, summaries: Sequence[LayerSummary]
) -> None:
    """A property the mapping names must exist in the initiative layers (a missing column)."""
    present: set[str] = set()
    for raw, summary in zip(container.layers, summaries, strict=True):
        if summary.role is LayerRole.INITIATIVES:
            present |= _present_properties(raw.collection.get("features") or [])
    folded = {fold(p) for p in present}
    missing = sorted({p for p in mapped.values() if p not in present and fold(p) not in folded})
    if missing:
        found = ", ".join(sorted(p for p in present if not p.startswith("_"))) or "none"
        raise InputError(
            _("{file}: [previous] properties names {missing}, but no feature of the initiative layers has "
              "such a property (properties found: {found}). Fix the name in the config file, or remove "
              "it to let mapgen guess.", file=file, missing=", ".join(map(repr, missing)), found=found)
        )


# --- public API ----------------------------------------------------------------------


def read_previous(
    path: Path | str,
    *,
    mapping: PreviousMappingLike | None = None,
    initiative_layers: Sequence[str] = (),
    edition: int | None = None,
    crs: str | None = None,
) -> PreviousEdition:
    """Read a previous edition's map: initiatives, carried layers and problems.

    Parameters
    ----------
    path
        A uMap layer GeoJSON, a ``.umap`` backup, a plain GeoJSON or a GeoPackage.
    mapping
        The config's ``[previous]`` section; without it properties are guessed
        (``name``/``titolo``, ``description``, ``comune``, ``area``...).
    initiative_layers
        Names of the layers (or group layers) that hold initiatives
        (``--initiative-layer``); wins over ``mapping.initiative_layers``.
        Without names every layer does. Other layers are carried unchanged.
    edition
        The edition year; default ``mapping.edition``, else :data:`DEFAULT_EDITION`.
    crs
        CRS of projected coordinates in files that declare none (e.g.
        ``"EPSG:32632"``); applied only to coordinates outside degree ranges.

    Returns
    -------
    PreviousEdition
        Raises :class:`~mapgen.errors.InputError` for an unreadable file, an
        unknown layer type, a layer name or a mapped property that does not exist.
    """
    path = Path(path)
    container = _load(path)
    year = edition or (mapping.edition if mapping is not None else DEFAULT_EDITION)
    mapped = dict(mapping.properties) if mapping is not None else {}
    wanted = tuple(initiative_layers) or tuple(mapping.initiative_layers if mapping else ())
    fallback = _transform_from(crs, f"{path.name} (crs option)") if crs else None
    ctx = _Context(
        file=path.name, layer="", slug="", edition=year,
        mapped=tuple((fields.canonical_name(c), p) for c, p in sorted(mapped.items())),
        transform=None, fallback_transform=fallback,
    )  # fmt: skip
    out, summaries, carried = _read_layers(container, _select(container, wanted, path.name), ctx)
    _check_mapped_present(path.name, mapped, container, summaries)
    result = PreviousEdition(
        file=path.name,
        format=container.format,
        edition=year,
        initiatives=tuple(out.initiatives),
        carried=tuple(carried),
        problems=tuple(out.problems),
        notes=tuple(out.notes),
        layers=tuple(summaries),
        map_properties=container.map_properties,
        geometries=out.geometries,
    )
    log.info("%s", result.describe())
    return result
