"""What operators and their tools ask: readiness (/ready) and Prometheus metrics (/metrics).

/health says the process and the database answer; /ready says this instance should get
traffic: the database is reachable as a role row-level security applies to (or one allowed to
bypass it), writable (not a standby left behind by a failover) and migrated to exactly the
revisions this code expects.
"""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.db.role_check import RlsBypassed
from service.db.schema_version import applied_revisions, expected_revisions
from service.metrics import render_metrics, update_pool_gauges

router = APIRouter(tags=["health"])


def _not_ready(reason: str, **details: object) -> JSONResponse:
    return JSONResponse(
        {"status": "not_ready", "reason": reason, **details},
        status_code=503,
        headers={"Retry-After": "5"},
    )


@router.get("/ready", summary="Ready for traffic: database writable, migrations current")
def ready(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as conn:
            in_recovery = conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
            applied = applied_revisions(conn)
    except SQLAlchemyError as exc:
        return _not_ready("database_unreachable", error=type(exc).__name__)
    except RlsBypassed:  # /health answers 503 for it too
        return _not_ready("database_role_bypasses_rls")
    if in_recovery:
        return _not_ready("database_read_only")
    expected = expected_revisions()
    if applied != expected:
        return _not_ready(
            "migrations_not_current",
            applied=sorted(applied),
            expected=sorted(expected),
        )
    return JSONResponse({"status": "ready", "migrations": sorted(applied)})


# not part of the API (and so not in /openapi.json): text for Prometheus on the same machine
@router.get(
    "/metrics", summary="Prometheus metrics of all worker processes", include_in_schema=False
)
def metrics(request: Request) -> Response:
    if not _may_read_metrics(request):
        raise HTTPException(status_code=404)
    update_pool_gauges(request.app.state)
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)


def _may_read_metrics(request: Request) -> bool:
    """Only the monitoring host (by default this machine) reads the latency and pool figures."""
    host = request.client.host if request.client else None
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # the test client's "testclient", a Unix socket peer
        return False
    allowed = request.app.state.settings.server.metrics_allowed_from
    for item in allowed.split(","):
        if item.strip() and address in ipaddress.ip_network(item.strip(), strict=False):
            return True
    return False
