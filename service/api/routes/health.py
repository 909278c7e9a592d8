"""Liveness with the database's own word: 200 only when PostgreSQL and PostGIS answer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT current_setting('server_version'), postgis_lib_version()")
            ).one()
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "unavailable", "database": None, "error": type(exc).__name__},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "database": {"postgresql": row[0], "postgis": row[1]}})
