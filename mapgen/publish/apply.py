"""Carry out a publish plan: full backup first, then each layer in place, then map settings.

Every layer update sends the version mapgen read (``X-Datalayer-Reference``) and is
preceded by a fresh look at that version, so a colleague's save in between stops the
run before anything of theirs is overwritten; nothing is ever retried.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mapgen.errors import PublishConflictError, PublishError, PublishPermissionError
from mapgen.i18n import _
from mapgen.publish.client import UmapClient
from mapgen.publish.plan import LayerPlan, Plan

__all__ = ["ApplyResult", "apply_plan", "save_backup"]

log = logging.getLogger(__name__)

#: ``progress(layer name, bytes sent, bytes in all)``, e.g. a Rich progress bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Where the backup went and which layers were written."""

    backup: Path
    written: tuple[str, ...]
    map_settings: tuple[str, ...]


def check_can_write(plan: Plan) -> None:
    """Stop before any request that writes when the session cannot edit the map."""
    remote = plan.remote
    if not remote.logged_in:
        raise PublishPermissionError(
            _("not logged in to {server} (no session, or the session expired): copy a fresh session "
              "cookie from the browser into MAPGEN_UMAP_SESSION or --session-file (see README, "
              "'Publishing'), or use --user on instances with local accounts.", server=remote.address.server)
        )
    if not remote.can_edit:
        raise PublishPermissionError(
            _("the logged-in user may not edit map {map_id} ({remote_name}): ask the map's owner to "
              "add you as an editor, then run again.", map_id=remote.address.map_id, remote_name=repr(remote.name))
        )


def save_backup(client: UmapClient, backup_dir: Path, *, out_dir: Path) -> Path:
    """Save uMap's own ``.umap`` download of the map, named with the map id and the time."""
    backup_dir = backup_dir.resolve()
    if backup_dir.is_relative_to(out_dir.resolve()):
        raise PublishError(
            _("--backup-dir {backup_dir} is inside the output folder {out_dir}, which each build "
              "replaces; choose a folder outside it (default: backups/).", backup_dir=backup_dir, out_dir=out_dir)
        )
    data = client.download_backup()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = backup_dir / f"umap-{client.address.map_id}-{stamp}.umap"
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise PublishError(
            _("cannot write the backup {path}: {reason}; choose another --backup-dir.",
              path=path, reason=exc.strerror or exc)
        ) from None
    log.info("backup of map %s: %s (%d bytes)", client.address.map_id, path, len(data))
    return path


def _write_layer(client: UmapClient, layer: LayerPlan, progress: Progress | None) -> None:
    """Create or update one layer; stop if its version moved since the plan read it."""
    name = layer.name
    if layer.action == "update":
        now = client.read_layer(layer.uuid).version
        if now != layer.reference:
            raise PublishConflictError(
                _("layer {replaces} was saved by someone else after mapgen read it (version changed); "
                  "mapgen did not overwrite it.", replaces=repr(layer.replaces or name))
            )
    client.save_layer(
        layer.uuid,
        create=layer.action == "create",
        name=name,
        rank=layer.rank,
        settings=layer.settings,
        features=list(layer.built.features),
        reference=layer.reference,
        progress=(lambda done, total: progress(name, done, total)) if progress else None,
    )


def _save_map_settings(client: UmapClient, plan: Plan, backup: Path) -> None:
    """Change only the map settings mapgen owns, on top of the settings uMap stores."""
    stored = json.loads(backup.read_text(encoding="utf-8"))
    properties = dict(stored.get("properties") or {}) | dict(plan.map_settings)
    geometry = stored.get("geometry") or {"type": "Point", "coordinates": [12.5674, 41.8719]}
    tags = properties.get("tags")
    client.save_map_settings(
        name=plan.remote.name or str(properties.get("name") or "Mappa"),
        center=geometry,
        settings={"type": "Feature", "geometry": geometry, "properties": properties},
        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [],
        is_template=plan.remote.properties.get("is_template") is True,
    )


def apply_plan(
    client: UmapClient,
    plan: Plan,
    *,
    backup_dir: Path,
    out_dir: Path,
    progress: Progress | None = None,
) -> ApplyResult | None:
    """Apply ``plan``; return None (and send nothing) when there is nothing to write.

    Raises
    ------
    PublishConflictError
        A colleague saved a layer meanwhile; the message lists the layers already
        written and names the backup.
    PublishPermissionError
        No session, expired session, or no edit permission.
    """
    if not plan.writes:
        return None
    check_can_write(plan)
    backup = save_backup(client, backup_dir, out_dir=out_dir)
    written: list[str] = []
    try:
        for layer in plan.layers:
            if layer.writes:
                _write_layer(client, layer, progress)
                written.append(layer.name)
    except PublishError as exc:
        done = ", ".join(repr(name) for name in written) or "none"
        raise type(exc)(
            f"{exc} Stopped there, nothing retried. Layers already updated: {done}. Open the "
            f"map, check that layer, then run `mapgen publish` again for a new plan; the map "
            f"as it was before is saved in {backup}."
        ) from None
    if plan.map_settings:
        _save_map_settings(client, plan, backup)
    return ApplyResult(backup, tuple(written), tuple(plan.map_settings))
