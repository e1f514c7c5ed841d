"""Read the map back from uMap after publishing and compare it with the build (issue 25).

What proves a publish is what uMap holds afterwards, not what mapgen sent: the map is read
again and every layer of ``map.umap`` is checked on it (the layer is there once, by mapgen's
key, under the name the plan gave it; the same features, matched as the plan matches them,
by ``codice`` or geometry; the same geometry types), and every layer the plan kept (carried
or left alone) still has the settings the plan read and, when there is a backup, the
features it had before.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapgen.publish.client import RemoteLayer, UmapClient
from mapgen.publish.plan import KEY, LayerPlan, Plan, diff_features

__all__ = ["ReadBack", "verify_published"]


@dataclass(frozen=True, slots=True)
class ReadBack:
    """The map as read back: one line per layer and a summary; the differences found."""

    lines: tuple[str, ...]
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when uMap holds every layer of the build and the kept layers as they were."""
        return not self.differences


def _canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _types(features: Sequence[Mapping[str, Any]]) -> Counter[str]:
    return Counter(str((feature.get("geometry") or {}).get("type")) for feature in features)


def _shown(types: Counter[str]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(types.items())) or "no features"


def _settings(settings: Mapping[str, Any]) -> str:
    """A layer's settings as compared: without the ids uMap adds or drops in its download."""
    return _canonical({k: v for k, v in settings.items() if k not in ("id", "parent")})


def _backup_layers(backup: Path | None) -> dict[str, list[Mapping[str, Any]]]:
    """The features of each layer of uMap's ``.umap`` download, by the layer's settings."""
    if backup is None:
        return {}
    document = json.loads(backup.read_text(encoding="utf-8"))
    layers: dict[str, list[Mapping[str, Any]]] = {}
    stack = list(document.get("layers") or [])
    while stack:
        layer = stack.pop()
        if isinstance(layer, dict) and isinstance(layer.get("properties"), dict):
            layers[_settings(layer["properties"])] = [f for f in layer.get("features") or [] if isinstance(f, dict)]
            stack += layer.get("layers") or []
    return layers


@dataclass(frozen=True, slots=True)
class _Now:
    """The map as uMap holds it now."""

    by_uuid: Mapping[str, RemoteLayer]
    keys: Counter[str]
    names: Counter[str]


def _written(client: UmapClient, layer: LayerPlan, now: _Now) -> tuple[str, list[str]]:
    """A layer mapgen created, updated or found unchanged: once, its name, its features."""
    live = now.by_uuid.get(layer.uuid)
    if live is None:
        return "", [f"not on the map (uMap id {layer.uuid})"]
    problems = []
    if now.keys[layer.built.key] != 1:
        problems.append(f"{now.keys[layer.built.key]} layers carry mapgen's key {layer.built.key!r}")
    if live.name != layer.name:
        problems.append(f"named {live.name!r} on the map")
    if now.names[layer.name] != 1:
        problems.append(f"{now.names[layer.name]} layers of the map have this name")
    features = client.read_layer(layer.uuid).features
    missing, extra, changed = diff_features(features, layer.built.features)
    if missing or extra or changed:
        problems.append(f"features: {missing} of map.umap missing, {extra} more, {changed} different")
    built_types, live_types = _types(layer.built.features), _types(features)
    if built_types != live_types:
        problems.append(f"geometries {_shown(live_types)} instead of {_shown(built_types)}")
    return f"{len(features)} features ({_shown(live_types)}), once on the map", problems


def _kept(
    client: UmapClient, before: RemoteLayer, now: _Now, backup: Mapping[str, list[Mapping[str, Any]]]
) -> tuple[str, list[str]]:
    """A layer the plan kept: still there, same settings, and the features the backup holds."""
    live = now.by_uuid.get(before.uuid)
    if live is None:
        return "", ["gone from the map"]
    problems = [] if _settings(live.settings) == _settings(before.settings) else ["its settings changed"]
    reference = backup.get(_settings(before.settings))
    if reference is None:
        return "kept as it was (settings)", problems
    features = client.read_layer(before.uuid).features
    if diff_features(reference, features) != (0, 0, 0):
        problems.append("its features are not those of the backup taken before publishing")
    return f"kept as it was ({len(features)} features, as in the backup)", problems


def verify_published(client: UmapClient, plan: Plan, *, backup: Path | None = None) -> ReadBack:
    """Read the map again and compare it with ``plan`` (after :func:`apply_plan`, or a no-op).

    Parameters
    ----------
    client
        Reads the published map.
    plan
        The plan that was applied (or had nothing to write).
    backup
        uMap's download of the map taken before writing (:class:`ApplyResult`): the kept
        layers' features are compared with it. Without it only their settings are.
    """
    remote = client.read_map()
    now = _Now(
        by_uuid={layer.uuid: layer for layer in remote.layers},
        keys=Counter(str(layer.settings[KEY]) for layer in remote.layers if KEY in layer.settings),
        names=Counter(layer.name for layer in remote.layers),
    )
    before = {layer.uuid: layer for layer in plan.remote.layers}
    saved = _backup_layers(backup)
    lines, differences = ["Read back from uMap:"], []
    checks: list[tuple[str, LayerPlan | RemoteLayer]] = [(layer.name, layer) for layer in reversed(plan.layers)]
    checks += [(layer.name, layer) for layer in plan.left_alone]
    for name, item in checks:
        if isinstance(item, LayerPlan) and item.action != "carried":
            text, problems = _written(client, item, now)
        else:
            text, problems = _kept(client, before[item.uuid], now, saved)
        differences += [f"{name!r}: {problem}" for problem in problems]
        lines.append(f"  DIFFERENT  {name!r}: {'; '.join(problems)}" if problems else f"  ok         {name!r}: {text}")
    kept = len(plan.left_alone) + sum(layer.action == "carried" for layer in plan.layers)
    if differences:
        lines.append(f"The map differs from map.umap: {len(differences)} differences (above).")
    else:
        written = len(plan.layers) - sum(layer.action == "carried" for layer in plan.layers)
        others = "1 other layer kept as it was" if kept == 1 else f"{kept} other layers kept as they were"
        lines.append(
            f"The map holds the {written} layers mapgen publishes once each, with the features of "
            f"map.umap; {others}."
        )
    return ReadBack(tuple(lines), tuple(differences))
