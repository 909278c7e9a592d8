"""Departments (消防, 城管 …) as the accounts and cases name them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal


def department_code(session: Session, me: Principal) -> str | None:
    """The code of the caller's department (None for an account of no department)."""
    if me.department_id is None:
        return None
    found = session.scalar(
        text("SELECT code FROM department WHERE id = :id"), {"id": me.department_id}
    )
    return found  # type: ignore[no-any-return]
