"""An uploaded 小区 sheet: checked row by row (every change and every refusal, nothing written),
then, when asked and nothing is refused, applied in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import records as repo
from service.domain.principal import Principal
from service.domain.record_changes import plan_changes
from service.domain.records import BY_NAME, display
from service.errors import ValidationFailed
from service.imports.record_sheet import SheetRow


def _refusal(row: SheetRow, column: str | None, message_zh: str) -> dict[str, Any]:
    return {"row": row.row, "code": row.code or None, "column": column, "message_zh": message_zh}


def plan_sheet(
    session: Session, me: Principal, scope: str, rows: list[SheetRow]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[dict[str, Any], SheetRow, Any]]]:
    """Every change and every refusal, by row and column; and what to write if none."""
    known = {r["code"]: r for r in repo.list_records(session, me, scope)}
    registered = set(repo.company_names(session))
    changes: list[dict[str, Any]] = []
    refusals: list[dict[str, Any]] = []
    writes = []
    seen: set[str] = set()
    for row in rows:
        record = known.get(row.code)
        if record is None:
            refusals.append(_refusal(row, "小区编码", "小区编码不存在或不在本辖区"))
            continue
        if row.code in seen:
            refusals.append(_refusal(row, "小区编码", "同一小区在表中出现了两次"))
            continue
        seen.add(row.code)
        if row.version is None:
            refusals.append(_refusal(row, "版本", "缺少版本号，请使用从本系统下载的表格"))
            continue
        if row.version != record["version"]:
            refusals.append(_refusal(row, "版本", "下载后该小区已被修改，请重新下载"))
            continue
        plan = plan_changes(record, row.values)
        company = plan.changes.get("property_company")
        if company and company not in registered:
            refusals.append(_refusal(row, "物业服务企业", f"“{company[:60]}”未在企业名录中"))
            continue
        for error in plan.errors:
            label = BY_NAME[error.field].label_zh if error.field in BY_NAME else error.field
            refusals.append(_refusal(row, label, error.message_zh))
        if plan.errors:
            continue
        for name, new in plan.changes.items():
            changes.append(
                {
                    "row": row.row,
                    "code": row.code,
                    "column": BY_NAME[name].label_zh,
                    "field": name,
                    "old": display(name, record.get(name)),
                    "new": display(name, new),
                }
            )
        if plan.changes:
            writes.append((record, row, plan.changes))
    return changes, refusals, writes


def upload_sheet(
    session: Session,
    me: Principal,
    scope: str,
    rows: list[SheetRow],
    refusals: list[dict[str, Any]],
    *,
    apply: bool,
) -> dict[str, Any]:
    """The dry run of the sheet's rows (with the refusals met reading it); with `apply`, every
    change written or none (ValidationFailed listing the refusals)."""
    changes, row_refusals, writes = plan_sheet(session, me, scope, rows)
    refusals = refusals + row_refusals
    result: dict[str, Any] = {
        "dry_run": not apply,
        "rows": len(rows),
        "changes": changes,
        "refusals": refusals,
    }
    if not apply:
        return result
    if refusals:
        raise ValidationFailed(
            f"{len(refusals)} refusal(s); nothing was written",
            message_zh=f"有 {len(refusals)} 处不能接受，未写入任何修改",
            where={"refusals": refusals},
        )
    for record, row, planned in writes:
        repo.apply_changes(session, me, record, planned, expected_version=row.version)
    result["applied"] = len(changes)
    return result
