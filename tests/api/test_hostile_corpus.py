"""Hostile input corpus: every case gets a 4xx with a reason and stores nothing; afterwards every
read, map and export endpoint still answers 200, exports open in GDAL, CSV formulas are
neutralised and text comes back escaped in HTML. A summary goes to tests/artifacts for the docs.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from tests.api.hostile_cases import (
    GRID_REDRAW,
    IMPORTS,
    PATROL_FINISH,
    PHOTOS,
    REPORTS,
    Case,
    Context,
    corpus,
)
from tests.api.reliability_helpers import own_admin_headers
from tests.conftest import TestDatabase

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CASES, MINIMUM = corpus()
HAS_DEMO = importlib.util.find_spec("gis_data.demo_loader") is not None
FORMULA_MARKERS = ("cmd|", "HYPERLINK", "SUM(1+1)", "=1+1")
SCRIPT_MARKERS = ('<script>alert("wangge-xss")', "<img src=x onerror")


@dataclass
class Run:
    """Everything the corpus run needs, and its tally."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    db: TestDatabase
    settings: Settings
    ctx: Context | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)


def _own_app(test_db: TestDatabase, tmp: Path) -> tuple[TestClient, Settings]:
    from service.main import create_app

    s = Settings(
        database_url=test_db.app_url, migration_database_url=test_db.owner_url, data_dir=tmp
    )
    return TestClient(create_app(s)), s


@pytest.fixture(scope="module")
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The demo app when the demo city is available, else the app over the bare test database."""
    if HAS_DEMO:
        client = request.getfixturevalue("client")
        headers = request.getfixturevalue("auth_headers")
        the_run = Run(
            client, headers, request.getfixturevalue("demo_db"), request.getfixturevalue("settings")
        )
        yield the_run
    else:
        db = request.getfixturevalue("test_db")
        client, s = _own_app(db, tmp_path_factory.mktemp("hostile"))
        with client:
            the_run = Run(client, {"admin": own_admin_headers(db, client)}, db, s)
            yield the_run
    _write_summary(the_run)


def _table_counts(db: TestDatabase) -> dict[str, int]:
    with psycopg.connect(db.libpq()) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            t: conn.execute(f'SELECT count(*) FROM public."{t}"').fetchone()[0]  # type: ignore[index]
            for t in tables
        }


def _files_under(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _context(run: Run) -> Context:
    if run.ctx is not None:
        return run.ctx
    category, point = "none", [113.66, 34.75]
    with psycopg.connect(run.db.libpq()) as conn:
        row = conn.execute(
            "SELECT code FROM event_category WHERE is_active ORDER BY code LIMIT 1"
        ).fetchone()
        if row:
            category = row[0]
        cell = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) p FROM grid_cell g"
            " JOIN app_user u ON u.community_id = g.community_id WHERE u.username = 'worker1'"
            " LIMIT 1) s"
        ).fetchone()
        if cell:
            point = [float(cell[0]), float(cell[1])]
        grid = conn.execute(
            "SELECT code FROM grid_cell WHERE is_active ORDER BY code LIMIT 1"
        ).fetchone()
    run.ctx = Context(
        category, point, run.settings.photos.max_bytes, run.settings.limits.max_body_bytes
    )
    if grid:
        run.ctx = Context(**{**run.ctx.__dict__, "grid_code": grid[0]})
    if any(c.target == PHOTOS for c in CASES):
        run.ctx = _with_report(run, run.ctx)
    if any(c.target == PATROL_FINISH for c in CASES):
        run.ctx = _with_patrol(run, run.ctx)
    return run.ctx


def _with_patrol(run: Run, ctx: Context) -> Context:
    """A started patrol of worker1's for the hostile finishes (each refused: it stays open)."""
    import uuid
    from datetime import UTC, datetime, timedelta

    pid = str(uuid.uuid4())
    started = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = {"id": pid, "started_at": started}
    r = run.client.post("/api/patrols", json=body, headers=run.headers["worker1"])
    assert r.status_code == 201, r.text
    return Context(**{**ctx.__dict__, "patrol_id": pid, "patrol_started_at": started})


def _with_report(run: Run, ctx: Context) -> Context:
    """A real report of worker1's to attach hostile photos to."""
    from tests.api.hostile_cases import _report

    body = _report(ctx)
    r = run.client.post("/api/reports", json=body, headers=run.headers["worker1"])
    assert r.status_code == 201, r.text
    return Context(**{**ctx.__dict__, "report_id": body["id"]})


def _path(case: Case, ctx: Context) -> str:
    path = case.target[1]
    if case.target == PHOTOS:
        return f"/api/reports/{ctx.report_id}/photos"
    if case.target == GRID_REDRAW:
        return f"/api/grids/{ctx.grid_code}/geometry"
    if case.target == PATROL_FINISH:
        return f"/api/patrols/{ctx.patrol_id}/finish"
    if case.target == IMPORTS:
        return "/api/imports/streets?apply=true"  # applied: a refusal must write nothing
    return path.replace("{name}", "reports.geojson").replace("{collection_id}", "reports")


def _has_reason(response: Any) -> bool:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return False
    if isinstance(detail, dict):
        return bool(detail.get("message"))
    if isinstance(detail, list):  # FastAPI's own validation errors: loc + msg per problem
        return all(d.get("msg") and d.get("loc") for d in detail) and bool(detail)
    return bool(detail)


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= MINIMUM, f"{len(CASES)} cases for the present routes, expected {MINIMUM}"
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(run: Run, case: Case) -> None:
    user = case.user if case.user in run.headers else "admin"
    ctx = _context(run)
    request = case.build(ctx)
    request["headers"] = {**run.headers[user], **request.get("headers", {})}
    before, files_before = _table_counts(run.db), _files_under(run.settings.effective_photo_dir)
    started = time.monotonic()
    response = run.client.request(case.target[0], _path(case, ctx), **request)
    elapsed = time.monotonic() - started
    after, files_after = _table_counts(run.db), _files_under(run.settings.effective_photo_dir)
    stored = {t: after[t] - before[t] for t in after if after[t] != before.get(t)}
    run.results.append(
        {
            "case": case.id,
            "status": response.status_code,
            "accepted_as_text": case.accepted_as_text,
            "stored": stored,
            "seconds": round(elapsed, 3),
            "reason": response.text[:300],
        }
    )
    assert response.status_code < 500, response.text
    if case.accepted_as_text:
        _check_text_round_trip(run, case, request, response)
        return
    assert 400 <= response.status_code < 500, f"accepted silently: {response.text[:500]}"
    assert _has_reason(response), response.text
    assert not stored, f"rows written by a refused request: {stored}"
    assert files_after == files_before, "a refused upload left a file behind"
    if case.report_id_key and case.target == REPORTS and "json" in request:
        record = request["json"].get(case.report_id_key)
        got = run.client.get(f"/api/reports/{record}", headers=run.headers[user])
        assert got.status_code in (404, 422), got.text


def _check_text_round_trip(run: Run, case: Case, request: dict, response: Any) -> None:
    assert response.status_code == 201, response.text
    sent = request["json"]["description"]
    assert response.json().get("description") == sent  # stored as text, not altered
    run.accepted_ids.append(request["json"]["id"])


def _simple_get_routes(client: TestClient) -> list[str]:
    """GET URLs needing no invented values: parameters that are required are expanded over
    their enumerations (e.g. an export's layer and format); anything else is left out."""
    spec = client.app.openapi()  # type: ignore[attr-defined]
    urls: list[str] = []
    for path, item in spec["paths"].items():
        get = item.get("get")
        if not get:
            continue
        required = [p for p in get.get("parameters", []) if p.get("required")]
        choices = [
            (p, _known_values(path, p) or _enum_of(spec, p.get("schema", {}))) for p in required
        ]
        if any(not values for _, values in choices):
            continue
        urls += _expand(path, choices)[:MAX_EXPANSIONS]
    return sorted(urls)


MAX_EXPANSIONS = 60


def _known_values(path: str, param: dict) -> list[str]:
    """Values for free-text parameters whose domain another module defines (export names)."""
    if path == "/api/exports/{name}" and param["name"] == "name":
        try:
            from service.domain.export_formats import FORMATS, LAYERS
        except ImportError:
            return []
        return [f"{layer}.{fmt}" for layer in LAYERS for fmt in FORMATS]
    return []


def _enum_of(spec: dict, schema: dict) -> list[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found = _enum_of(spec, sub)
            if found:
                return found
    return [str(v) for v in schema.get("enum", [])]


def _expand(path: str, choices: list[tuple[dict, list[str]]]) -> list[str]:
    urls = [(path, [])]  # type: list[tuple[str, list[str]]]
    for param, values in choices:
        grown = []
        for url, query in urls:
            for value in values:
                if param["in"] == "path":
                    grown.append((url.replace("{" + param["name"] + "}", value), query))
                else:
                    grown.append((url, [*query, f"{param['name']}={value}"]))
        urls = grown
    return [url + ("?" + "&".join(query) if query else "") for url, query in urls]


def test_everything_still_answers_after_the_corpus(run: Run) -> None:
    paths = _simple_get_routes(run.client)
    assert "/health" in paths and "/api/me" in paths
    answers = {}
    for path in paths:
        r = run.client.get(path, headers=run.headers["admin"])
        answers[path] = r.status_code
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
        _check_body(path, r)
    run.results.append({"case": "after_corpus_reads", "answers": answers})


def _check_body(path: str, r: Any) -> None:
    ctype = r.headers.get("content-type", "")
    if "html" in ctype:
        for marker in SCRIPT_MARKERS:
            assert marker not in r.text, f"{path} shows user text unescaped"
    elif "csv" in ctype:
        for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))):
            for cell in row:
                if any(m in cell for m in FORMULA_MARKERS):
                    assert cell[:1] not in "=+-@\t\r", f"{path}: formula not neutralised: {cell!r}"
    else:
        suffix = next((sfx for kind, sfx in GDAL_SUFFIXES.items() if kind in ctype), None)
        if suffix:
            _opens_in_gdal(path, r.content, suffix)


GDAL_SUFFIXES = {"geo+json": ".geojson", "geopackage": ".gpkg", "zip": ".shp.zip"}


def _opens_in_gdal(path: str, content: bytes, suffix: str) -> None:
    import tempfile

    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / f"export{suffix}"
        file.write_bytes(content)
        layers = pyogrio.list_layers(file)
        assert len(layers) > 0, f"{path}: GDAL finds no layer"
        for name, _ in layers:
            pyogrio.read_info(file, layer=name)


def _write_summary(run: Run) -> None:
    hostile = [r for r in run.results if "status" in r and not r["accepted_as_text"]]
    summary = {
        "cases_tried": len(hostile),
        "text_cases_accepted_as_text": sum(1 for r in run.results if r.get("accepted_as_text")),
        "accepted_silently": sum(1 for r in hostile if r["status"] < 400),
        "server_errors_5xx": sum(1 for r in run.results if r.get("status", 0) >= 500),
        "refused_but_stored": sum(1 for r in hostile if r["stored"]),
        "targets": sorted({r["case"].split("-", 1)[0] for r in hostile}),
        "status_counts": _count_statuses(hostile),
        "slowest_case_s": max((r["seconds"] for r in hostile), default=0),
        "cases": run.results,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "hostile_summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _count_statuses(results: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    return dict(sorted(counts.items()))
