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

from mapgen.i18n import _, ngettext
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
    return ", ".join(f"{count} {kind}" for kind, count in sorted(types.items())) or _("no features")


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
        return "", [_("not on the map (uMap id {id})", id=layer.uuid)]
    problems = []
    if now.keys[layer.built.key] != 1:
        problems.append(_("{count} layers carry mapgen's key {key}", count=now.keys[layer.built.key],
                          key=repr(layer.built.key)))
    if live.name != layer.name:
        problems.append(_("named {name} on the map", name=repr(live.name)))
    if now.names[layer.name] != 1:
        problems.append(_("{count} layers of the map have this name", count=now.names[layer.name]))
    features = client.read_layer(layer.uuid).features
    missing, extra, changed = diff_features(features, layer.built.features)
    if missing or extra or changed:
        problems.append(_("features: {missing} of map.umap missing, {extra} more, {changed} different",
                          missing=missing, extra=extra, changed=changed))
    built_types, live_types = _types(layer.built.features), _types(features)
    if built_types != live_types:
        problems.append(_("geometries {live} instead of {built}", live=_shown(live_types), built=_shown(built_types)))
    return ngettext("{count} feature ({types}), once on the map", "{count} features ({types}), once on the map",
                    len(features), types=_shown(live_types)), problems


def _kept(
    client: UmapClient, before: RemoteLayer, now: _Now, backup: Mapping[str, list[Mapping[str, Any]]]
) -> tuple[str, list[str]]:
    """A layer the plan kept: still there, same settings, and the features the backup holds."""
    live = now.by_uuid.get(before.uuid)
    if live is None:
        return "", [_("gone from the map")]
    problems = [] if _settings(live.settings) == _settings(before.settings) else [_("its settings changed")]
    reference = backup.get(_settings(before.settings))
    if reference is None:
        return _("kept as it was (settings)"), problems
    features = client.read_layer(before.uuid).features
    if diff_features(reference, features) != (0, 0, 0):
        problems.append(_("its features are not those of the backup taken before publishing"))
    return ngettext("kept as it was ({count} feature, as in the backup)",
                    "kept as it was ({count} features, as in the backup)", len(features)), problems


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
    lines, differences = [_("Read back from uMap:")], []
    checks: list[tuple[str, LayerPlan | RemoteLayer]] = [(layer.name, layer) for layer in reversed(plan.layers)]
    checks += [(layer.name, layer) for layer in plan.left_alone]
    for name, item in checks:
        if isinstance(item, LayerPlan) and item.action != "carried":
            text, problems = _written(client, item, now)
        else:
            text, problems = _kept(client, before[item.uuid], now, saved)
        differences += [f"{name!r}: {problem}" for problem in problems]
        lines.append(_("  DIFFERENT  {name}: {problems}", name=repr(name), problems="; ".join(problems)) if problems
                     else _("  ok         {name}: {text}", name=repr(name), text=text))
    kept = len(plan.left_alone) + sum(layer.action == "carried" for layer in plan.layers)
    if differences:
        lines.append(ngettext("The map differs from map.umap: {count} difference (above).",
                              "The map differs from map.umap: {count} differences (above).", len(differences)))
    else:
        written = len(plan.layers) - sum(layer.action == "carried" for layer in plan.layers)
        others = ngettext("{count} other layer kept as it was", "{count} other layers kept as they were", kept)
        lines.append(ngettext(
            "The map holds the {count} layer mapgen publishes once, with the features of map.umap; {others}.",
            "The map holds the {count} layers mapgen publishes once each, with the features of map.umap; {others}.",
            written, others=others,
        ))
    return ReadBack(tuple(lines), tuple(differences))
