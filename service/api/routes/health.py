"""Liveness with the database's own word: 200 only when PostgreSQL and PostGIS answer.

It also says which database role the app runs as and whether row-level security applies to
it (service.db.role_check), so an operator can see that the second line of defence is on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.db.role_check import ROLE_SQL, RlsBypassed, role_status_from_row

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health, and the app's database role")
def health(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT current_setting('server_version'), postgis_lib_version()")
            ).one()
            role = role_status_from_row(conn.execute(text(ROLE_SQL)).one())
    except (SQLAlchemyError, RlsBypassed) as exc:
        return JSONResponse(
            {"status": "unavailable", "database": None, "error": type(exc).__name__},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": {"postgresql": row[0], "postgis": row[1], **role.public()},
        }
    )
