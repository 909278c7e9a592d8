"""A boundary import: read, plan against the database, and (when asked) apply atomically."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.boundary_import import (
    TABLES,
    apply_plan,
    load_existing,
    load_parents,
    load_retired,
)
from service.domain.boundary_plan import plan_import, summarise
from service.domain.boundary_rules import Incoming
from service.domain.principal import Principal
from service.errors import OutsideJurisdiction, ValidationFailed
from service.imports.archives import ArchiveLimits
from service.imports.readers import read_features
from service.services.grid_rules import check_grid_rules

IMPORT_LAYERS = tuple(TABLES)
DISTRICT_CODE = re.compile(r"^\d{6}")


def _district_prefix(session: Session, principal: Principal, scope: str) -> str | None:
    if scope == "all" or principal.district_id is None:
        return None
    code = session.scalar(
        text("SELECT code FROM district WHERE id = :id"), {"id": principal.district_id}
    )
    return str(code)


def _refuse_foreign_codes(incoming: list[Incoming], prefix: str | None) -> None:
    """Codes of another district: 404 like every other object outside the caller's reach."""
    if prefix is None:
        return
    foreign = [f.code for f in incoming if DISTRICT_CODE.match(f.code) and f.code[:6] != prefix]
    if foreign:
        raise OutsideJurisdiction(
            f"{len(foreign)} feature(s) lie outside your jurisdiction",
            message_zh="文件中有不在管辖范围内的要素",
            where={"codes": foreign[:20]},
        )


def check_layer(layer: str) -> None:
    if layer not in IMPORT_LAYERS:
        raise ValidationFailed(
            f"boundaries import into {', '.join(IMPORT_LAYERS)}, not {layer!r}",
            message_zh="只能导入街道、社区、小区、网格边界",
            where={"field": "layer", "value": layer},
        )


def run_import(
    session: Session,
    layer: str,
    path: Path,
    principal: Principal,
    scope: str,
    *,
    apply: bool,
    workdir: Path,
    max_vertices: int = 20_000,
    archive_limits: ArchiveLimits | None = None,
    on_feature: Callable[[], None] | None = None,
    on_read: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The dry-run report; with `apply`, also writes it (refused if anything is refused)."""
    check_layer(layer)
    incoming = read_features(path, layer, workdir, archive_limits)
    if on_read is not None:
        on_read(len(incoming))
    prefix = _district_prefix(session, principal, scope)
    _refuse_foreign_codes(incoming, prefix)
    existing = load_existing(session, layer, prefix)
    decisions = plan_import(
        layer,
        incoming,
        existing,
        load_parents(session, layer, prefix),
        allowed_prefix=prefix,
        max_vertices=max_vertices,
        on_feature=on_feature,
        retired=load_retired(session, layer, prefix),
    )
    warnings = check_grid_rules(session, layer, decisions, existing)
    report = {"layer": layer, "file": path.name, "applied": False, **summarise(decisions)}
    report["warnings"] = warnings
    if not apply:
        return report
    if report["counts"]["refused"]:
        raise ValidationFailed(
            f"{report['counts']['refused']} feature(s) refused; nothing was written",
            message_zh="有要素未通过检查，未写入任何数据",
            where={"refused": [f for f in report["features"] if f["action"] == "refused"]},
        )
    apply_plan(session, layer, decisions)
    report["applied"] = True
    return report
