"""Who serves a grid cell: assigning a primary or backup worker and ending an assignment.

Each change is written to the community's grid edit history with the edit itself, in the same
transaction, so the history never shows an assignment that did not happen or misses one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from service.db.repositories import grid_views as views
from service.db.repositories import grids as repo
from service.domain.principal import Principal


def assign(
    session: Session,
    principal: Principal,
    scope: str,
    code: str,
    worker: str,
    *,
    primary: bool,
    valid_from: date | None,
    replace: bool,
) -> int:
    """Assign `worker` to the cell as its primary or a backup; the new assignment's id."""
    cell = repo.cell_by_code(session, principal, scope, code)
    worker_id = repo.worker_for_cell(session, worker, cell.community_id)
    new_id = views.assign_worker(
        session,
        cell.id,
        cell.code,
        worker_id,
        primary=primary,
        valid_from=valid_from,
        replace_primary=replace,
    )
    repo.record_edit(
        session,
        community_id=cell.community_id,
        kind="assign",
        actor_id=principal.id,
        retired=[],
        created=[],
        detail={"code": code, "worker": worker, "role": "primary" if primary else "backup"},
    )
    return new_id


def unassign(
    session: Session, principal: Principal, scope: str, code: str, assignment_id: int
) -> None:
    """End one of the cell's current assignments today (its history is kept)."""
    cell = repo.cell_by_code(session, principal, scope, code)
    views.end_assignment(session, cell.id, assignment_id, code)
    repo.record_edit(
        session,
        community_id=cell.community_id,
        kind="unassign",
        actor_id=principal.id,
        retired=[],
        created=[],
        detail={"code": code, "assignment": assignment_id},
    )
