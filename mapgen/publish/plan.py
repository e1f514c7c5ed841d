"""Compare what ``mapgen build`` wrote with the published map, layer by layer.

A layer mapgen publishes carries a stable key in its uMap settings (``mapgenId``, the
layer file's name without ``.geojson``). uMap keeps unknown layer settings: the editor
merges them into the layer's properties (``data/layer.js`` ``updateProperties``) and
saves them back, so the key survives edits by hand. Layers without the key were made
by someone else and are left alone, unless ``--replace-layer NAME`` hands one over.

A built layer finds its layer on the map by that key, never by its name (issue 25):

- a layer mapgen made (regions, editions) is the map's layer holding its key, else the layer
  ``--replace-layer`` hands over (which then records the name it replaced, ``mapgenReplaced``,
  so the same command run again knows the work is done), else a new layer;
- a layer carried from the previous map (its file is ``precedente-…``, as the uMap writer
  names it) is the map's layer it was read from: the one holding the key it carried, else the
  layer of the map without a key that had its name before the build renamed it; that layer is
  kept as it is, never written;
- a layer mapgen writes whose name another layer of the map keeps gets a name no layer has,
  ``NAME (mappa attuale)`` (then ``(mappa attuale 2)``…): the map's own "Regioni" stays, and the
  regions of the build are published beside it as "Regioni (mappa attuale)". The choice
  depends only on the map's other layers, so the next run picks the same name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from mapgen.errors import PublishError
from mapgen.i18n import _, ngettext
from mapgen.publish.client import KNOWN_VERSIONS, RemoteLayer, RemoteMap, UmapClient
from mapgen.umap.layers import CARRIED_FILE_PREFIX, layer_options, previous_layer_name

__all__ = [
    "KEY",
    "MAP_KEYS",
    "NEW_NAME_SUFFIX",
    "REPLACED_KEY",
    "BuiltLayer",
    "LayerPlan",
    "Plan",
    "make_plan",
    "read_built_layers",
]

#: The layer setting that holds mapgen's stable key.
KEY: Final = "mapgenId"
#: The layer setting naming the layer mapgen did not create whose place it took (--replace-layer).
REPLACED_KEY: Final = "mapgenReplaced"
#: Added to the name of a layer mapgen writes when another layer of the map keeps that name.
NEW_NAME_SUFFIX: Final = " (mappa attuale)"
#: The map settings mapgen owns; every other map setting (title, tiles…) is left alone.
MAP_KEYS: Final = ("fields", "filters", "slugKey")

Action = Literal["create", "update", "unchanged", "carried"]


@dataclass(frozen=True, slots=True)
class BuiltLayer:
    """A layer of ``map.umap``: its key (file name), name, options and features."""

    key: str
    name: str
    settings: Mapping[str, Any]
    features: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """What will happen to one built layer."""

    action: Action
    built: BuiltLayer
    uuid: str
    rank: int
    settings: Mapping[str, Any]
    reference: str | None = None
    added: int = 0
    removed: int = 0
    changed: int = 0
    settings_changed: bool = False
    replaces: str | None = None  # name of a layer mapgen did not create, taken over

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update")

    @property
    def name(self) -> str:
        """The layer's name on the map: the built name, or one that no other layer has."""
        return str(self.settings.get("name") or self.built.name)


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole plan: layers, map settings to change, layers left alone, warnings."""

    remote: RemoteMap
    layers: tuple[LayerPlan, ...]
    map_settings: Mapping[str, Any]
    left_alone: tuple[RemoteLayer, ...]
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # e.g. a --replace-layer done by an earlier run

    @property
    def writes(self) -> bool:
        """True when applying would send at least one write request."""
        return bool(self.map_settings) or any(layer.writes for layer in self.layers)


# --- the build -----------------------------------------------------------------------------


def _canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublishError(
            _("{path} not found: run `mapgen build` first, or give its output folder.", path=path)
        ) from None
    except (OSError, ValueError) as exc:
        raise PublishError(_("cannot read {path} ({error}); run `mapgen build` again.", path=path,
                             error=exc)) from None


def read_built_layers(out_dir: Path) -> tuple[list[BuiltLayer], dict[str, Any]]:
    """The layers of ``out_dir/map.umap`` (bottom first) keyed by their layer file, and the
    map's properties.

    Raises
    ------
    PublishError
        ``map.umap`` is missing or unreadable, or does not match ``layers/``.
    """
    document = _load_json(out_dir / "map.umap")
    layers = document.get("layers") if isinstance(document, dict) else None
    if not isinstance(layers, list) or not isinstance(document.get("properties"), dict):
        raise PublishError(_("{file} is not a map written by mapgen; rebuild it.", file=out_dir / "map.umap"))
    # map.umap holds the layer files verbatim: match them by content, whatever the names.
    files = {_canonical(_load_json(p)): p.stem for p in sorted((out_dir / "layers").glob("*.geojson"))}
    built = []
    for layer in layers:
        key = _remote_key(layer) or files.get(_canonical(layer))
        if key is None:
            raise PublishError(
                _("{file} and {folder} do not match (a file was edited or removed); run `mapgen "
                  "build` again.", file=out_dir / "map.umap", folder=out_dir / "layers")
            )
        options = layer_options(layer)
        features = tuple(f for f in layer.get("features", []) if isinstance(f, dict))
        built.append(BuiltLayer(key, str(options.get("name") or key), options, features))
    return built, document["properties"]


def _remote_key(layer: Mapping[str, Any]) -> str | None:
    """The layer file of a remote-data layer (``[output] remote_base_url``), from its URL."""
    remote = layer_options(layer).get("remoteData")
    url = remote.get("url") if isinstance(remote, Mapping) else None
    if isinstance(url, str) and url.endswith(".geojson"):
        return url.rsplit("/", 1)[-1].removesuffix(".geojson")
    return None


# --- matching ---------------------------------------------------------------------------


def _by_key(remote: RemoteMap) -> tuple[dict[str, RemoteLayer], list[str]]:
    """Remote layers mapgen published, by key; warnings for keys found twice."""
    found: dict[str, RemoteLayer] = {}
    warnings = []
    for layer in sorted(remote.layers, key=lambda item: item.rank):
        key = layer.settings.get(KEY)
        if not isinstance(key, str):
            continue
        if key in found:
            warnings.append(_(
                "layers {first} and {second} both carry mapgen's key {key} (a copy made in the editor?): only "
                "{first} is updated.", first=repr(found[key].name), second=repr(layer.name), key=repr(key)
            ))
            continue
        found[key] = layer
    return found, warnings


def _replaced(
    remote: RemoteMap, managed: Mapping[str, RemoteLayer], names: Sequence[str]
) -> tuple[list[RemoteLayer], list[str]]:
    """The layers named by ``--replace-layer``, each found exactly once among the unmanaged,
    and notes for names an earlier run already replaced (their layer records the name)."""
    unmanaged = [layer for layer in remote.layers if KEY not in layer.settings]
    chosen, notes = [], []
    for name in names:
        matches = [layer for layer in unmanaged if layer.name == name]
        done = [layer for layer in managed.values() if layer.settings.get(REPLACED_KEY) == name]
        if not matches and done:
            notes.append(
                _("--replace-layer {name}: done before: layer {layer} (mapgen's key {key}) holds mapgen's data "
                  "in its place; nothing to replace", name=repr(name), layer=repr(done[0].name),
                  key=repr(done[0].settings[KEY]))
            )
            continue
        if len(matches) != 1:
            listed = ", ".join(repr(layer.name) for layer in unmanaged) or _("none")
            problem = _("no layer") if not matches else _("{count} layers", count=len(matches))
            raise PublishError(
                _("--replace-layer {name}: {problem} of that name among the layers mapgen did not create "
                  "({listed}); give the exact name shown in uMap", name=repr(name), problem=problem, listed=listed)
                + (_(", after renaming one of them in the editor.") if matches else ".")
            )
        chosen.append(matches[0])
    return chosen, notes


def is_carried(layer: BuiltLayer) -> bool:
    """Whether a built layer was carried from the previous map (told by its file, not its name)."""
    return layer.key.startswith(CARRIED_FILE_PREFIX)


@dataclass(frozen=True, slots=True)
class _Home:
    """The map's layer a built layer goes to: kept as it is, or replaced (--replace-layer)."""

    layer: RemoteLayer
    kept: bool = False
    replaces: bool = False


def _homes(
    built: Sequence[BuiltLayer], remote: RemoteMap, managed: Mapping[str, RemoteLayer], spare: list[RemoteLayer]
) -> dict[str, _Home]:
    """Each built layer's layer on the map, by mapgen's key; ``spare`` is consumed top first."""
    homes = {layer.key: _Home(managed[layer.key]) for layer in built if layer.key in managed}
    claimed = {home.layer.uuid for home in homes.values()} | {layer.uuid for layer in spare}
    unmanaged = [layer for layer in remote.layers if KEY not in layer.settings]
    carried = [layer for layer in built if is_carried(layer) and layer.key not in homes]
    for layer in carried:  # carried from a map mapgen published: the key it carried
        own = managed.get(str(layer.settings.get(KEY)))
        if own is not None and own.uuid not in claimed:
            homes[layer.key] = _Home(own, kept=True)
            claimed.add(own.uuid)
    for layer in carried:  # carried from this very map: its layer without a key, by its name there
        if layer.key in homes:
            continue
        original = previous_layer_name(layer.name)
        found = next((r for r in unmanaged if r.name == original and r.uuid not in claimed), None)
        if found is not None:
            homes[layer.key] = _Home(found, kept=True)
            claimed.add(found.uuid)
    for layer in reversed(built):  # top first: the newest edition goes into the replaced layer
        if spare and layer.key not in homes and not is_carried(layer):
            homes[layer.key] = _Home(spare.pop(0), replaces=True)
    return homes


def _names(built: Sequence[BuiltLayer], homes: Mapping[str, _Home], remote: RemoteMap) -> dict[str, str]:
    """The name each written layer gets: its own, unless a layer mapgen does not write keeps it."""
    written = {home.layer.uuid for home in homes.values() if not home.kept}
    taken = {layer.name for layer in remote.layers if layer.uuid not in written}
    names = {}
    for layer in built:
        home = homes.get(layer.key)
        if home is not None and home.kept:
            continue
        name, number = layer.name, 1
        while name in taken:  # "Regioni (mappa attuale)", then "Regioni (mappa attuale 2)"...
            name = f"{layer.name}{NEW_NAME_SUFFIX}" if number == 1 else f"{layer.name}{NEW_NAME_SUFFIX[:-1]} {number})"
            number += 1
        taken.add(name)
        names[layer.key] = name
    return names


# --- diffing ------------------------------------------------------------------------------


def _feature_key(feature: Mapping[str, Any]) -> str:
    properties = feature.get("properties") or {}
    code = properties.get("codice") if isinstance(properties, Mapping) else None
    return f"codice:{code}" if isinstance(code, str) else _canonical(feature.get("geometry"))


def _comparable(feature: Mapping[str, Any]) -> str:
    # uMap's editor adds a feature "id" when it saves a layer: not a change of content.
    return _canonical({k: v for k, v in feature.items() if k != "id"})


def diff_features(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> tuple[int, int, int]:
    """(added, removed, changed) between two feature lists, matching initiatives by code."""
    before: dict[str, list[str]] = {}
    for feature in old:
        before.setdefault(_feature_key(feature), []).append(_comparable(feature))
    after: dict[str, list[str]] = {}
    for feature in new:
        after.setdefault(_feature_key(feature), []).append(_comparable(feature))
    added = sum(len(v) for k, v in after.items() if k not in before)
    removed = sum(len(v) for k, v in before.items() if k not in after)
    changed = 0
    for key in before.keys() & after.keys():
        old_items, new_items = sorted(before[key]), sorted(after[key])
        if old_items != new_items:
            changed += min(len(old_items), len(new_items))
            added += max(0, len(new_items) - len(old_items))
            removed += max(0, len(old_items) - len(new_items))
    return added, removed, changed


# --- the plan -----------------------------------------------------------------------------


def _update_plan(
    built: BuiltLayer, target: RemoteLayer, client: UmapClient, *, replaces: bool, name: str
) -> LayerPlan:
    """Plan one layer that exists on the map: counts, settings and the version read."""
    stored = client.read_layer(target.uuid)
    base = {REPLACED_KEY: target.name} if replaces else dict(target.settings)
    settings = base | dict(built.settings) | {KEY: built.key, "name": name}
    added, removed, changed = diff_features(stored.features, built.features)
    settings_changed = _canonical(settings) != _canonical(dict(target.settings))
    same = not (added or removed or changed or settings_changed)
    return LayerPlan(
        action="unchanged" if same else "update",
        built=built,
        uuid=target.uuid,
        rank=target.rank,
        settings=settings,
        reference=stored.version,
        added=added,
        removed=removed,
        changed=changed,
        settings_changed=settings_changed,
        replaces=target.name if replaces else None,
    )


def _first_publish_warning(remote: RemoteMap, managed: Mapping[str, RemoteLayer]) -> list[str]:
    unmanaged = [layer.name for layer in remote.layers if KEY not in layer.settings]
    if managed or not unmanaged:
        return []
    names = ", ".join(repr(name) for name in unmanaged)
    return [_(
        "the map holds layers mapgen did not create ({names}): they stay next to the new ones. If one is an "
        "earlier edition now merged into this build (e.g. '2019'), add --replace-layer NAME to replace its "
        "content.", names=names
    )]


def make_plan(
    client: UmapClient,
    built: Sequence[BuiltLayer],
    map_properties: Mapping[str, Any],
    *,
    replace_layers: Sequence[str] = (),
) -> Plan:
    """Read the map and compare it with the build; nothing is written.

    Parameters
    ----------
    client
        Reads the published map (its session is used only if given).
    built, map_properties
        From :func:`read_built_layers`.
    replace_layers
        Names of layers mapgen did not create whose content the build replaces, in
        order from the top layer of the build down (``--replace-layer``). A name that an
        earlier run replaced (its layer records it) is a note, not an error.
    """
    remote = client.read_map()
    managed, warnings = _by_key(remote)
    if remote.umap_version not in KNOWN_VERSIONS:
        warnings.insert(0, (
            f"this server runs uMap {remote.umap_version}; mapgen publish was checked against "
            f"uMap {', '.join(KNOWN_VERSIONS)}. If --apply fails, update the map by hand "
            "(docs/aggiornare-la-mappa.md)."
        ))
    warnings += [] if replace_layers else _first_publish_warning(remote, managed)
    spare, notes = _replaced(remote, managed, replace_layers)
    homes = _homes(built, remote, managed, spare)
    warnings += [
        f"--replace-layer {layer.name!r}: every layer of this build already has its layer on the "
        "map, so this one is left alone." for layer in spare
    ]
    plans = _layer_plans(built, homes, _names(built, homes, remote), remote, client)
    used = {plan.uuid for plan in plans}
    built_keys = {layer.key for layer in built}
    for key, published in managed.items():
        if key not in built_keys and published.uuid not in used:
            warnings.append(_(
                "layer {name} was published by mapgen but is not in this build: left alone (delete it in the uMap "
                "editor if it is obsolete).", name=repr(published.name)
            ))
    return Plan(
        remote=remote,
        layers=tuple(plans),
        map_settings=_map_changes(remote, map_properties),
        left_alone=tuple(layer for layer in remote.layers if layer.uuid not in used),
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def _layer_plans(
    built: Sequence[BuiltLayer],
    homes: Mapping[str, _Home],
    names: Mapping[str, str],
    remote: RemoteMap,
    client: UmapClient,
) -> list[LayerPlan]:
    """One plan per built layer, bottom first; new layers ranked above the map's layers."""
    next_rank = max((layer.rank for layer in remote.layers), default=-1) + 1
    plans = []
    for layer in built:
        home = homes.get(layer.key)
        if home is not None and home.kept:
            plans.append(LayerPlan("carried", layer, home.layer.uuid, home.layer.rank, home.layer.settings))
        elif home is not None:
            plans.append(_update_plan(layer, home.layer, client, replaces=home.replaces, name=names[layer.key]))
        else:
            settings = dict(layer.settings) | {KEY: layer.key, "name": names[layer.key]}
            plans.append(LayerPlan(
                "create", layer, str(uuid.uuid4()), next_rank, settings, added=len(layer.features)
            ))
            next_rank += 1
    return plans


def _map_changes(remote: RemoteMap, built: Mapping[str, Any]) -> dict[str, Any]:
    """The map settings mapgen owns whose published value differs from the build's."""
    return {
        key: built[key]
        for key in MAP_KEYS
        if key in built and _canonical(remote.properties.get(key)) != _canonical(built[key])
    }


# --- the plan as text ---------------------------------------------------------------------


def _layer_line(layer: LayerPlan) -> str:
    built = layer.built.name
    if layer.action == "carried":
        return _("  keep       {built}: the map's own layer {name}, carried from the previous map, left as it is",
                 built=repr(built), name=repr(layer.name))
    name = repr(built) if layer.name == built else _("{built} as {name}", built=repr(built), name=repr(layer.name))
    why = "" if layer.name == built else _(" ({built} is the name of another layer of the map, left as it is)",
                                            built=repr(built))
    if layer.action == "create":
        return ngettext("  create     {name}: {count} feature", "  create     {name}: {count} features", layer.added,
                        name=name) + why
    if layer.action == "unchanged":
        return _("  unchanged  {name}", name=name) + why
    counts = _("+{added} added, -{removed} removed, ~{changed} changed", added=layer.added, removed=layer.removed,
               changed=layer.changed)
    extra = _(", settings changed") if layer.settings_changed else ""
    if layer.replaces is not None:
        return _("  replace    {old} (not created by mapgen) with {name}: {counts}", old=repr(layer.replaces),
                 name=name, counts=counts) + extra + why
    return _("  update     {name}: {counts}", name=name, counts=counts) + extra + why


def plan_lines(plan: Plan) -> list[str]:
    """The plan in the person's language, one line per layer, then map settings and warnings."""
    remote = plan.remote
    lines = [_("Map {name} (id {id}, uMap {version}):", name=repr(remote.name), id=remote.address.map_id,
               version=remote.umap_version)]
    lines += [_layer_line(layer) for layer in reversed(plan.layers)]
    lines += [_("  left alone {name} (not managed by mapgen)", name=repr(kept.name)) for kept in plan.left_alone]
    lines += [f"  {note}" for note in plan.notes]
    if plan.map_settings:
        lines.append(_("  map settings: update {settings}", settings=", ".join(plan.map_settings)))
    lines += [_("Warning: {warning}", warning=text) for text in plan.warnings]
    if not plan.writes:
        lines.append(_("Nothing to change: the map already shows this build."))
    return lines
