"""/openapi.json says how to authenticate, what an error looks like, what binary answers are,
and the OGC page-size maximum; /docs and /redoc load their code from /vendor (npm)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings


def test_openapi_is_complete(tmp_path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path, max_page_size=321)))
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["cookie"]["in"] == "cookie" and schemes["cookie"]["name"] == "wangge_session"
    error = spec["components"]["schemas"]["Error"]["properties"]["detail"]["anyOf"][0]
    assert set(error["properties"]) == {"code", "message", "message_zh", "where"}
    report = spec["paths"]["/api/reports/{report_id}"]["get"]["responses"]
    for status in ("401", "403", "404", "429", "503"):
        assert report[status]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    # every operation documents every refusal with that body (docs/navigation.md); a 422 of
    # an operation with parameters is FastAPI's list of problems or that same object
    schemas = spec["components"]["schemas"]
    either = schemas["HTTPValidationError"]["properties"]["detail"]["anyOf"]
    assert {"$ref": "#/components/schemas/ErrorDetail"} in either
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "message_zh", "where"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status in ("400", "401", "403", "404", "409", "413", "422", "429", "503"):
                body = op["responses"][status]["content"]["application/json"]["schema"]
                ok = ("/Error", "/HTTPValidationError") if status == "422" else ("/Error",)
                if path.startswith("/open311/"):
                    # GeoReport v2's own error list, JSON or XML; an oversized or non-UTF-8
                    # body is refused before routing in the service's own shape
                    refs = [b["$ref"] for b in body.get("anyOf", [body])]
                    assert refs[0].endswith("/Open311Errors"), (method, path, status)
                    assert refs[1:] in ([], ["#/components/schemas/Error"]), (path, status)
                    continue
                assert body["$ref"].endswith(ok), (method, path, status)
    export = spec["paths"]["/api/exports/{name}"]["get"]["responses"]["200"]["content"]
    assert {"application/geopackage+sqlite3", "application/zip", "text/csv"} <= set(export)
    tile = spec["paths"]["/tiles/{layer}/{z}/{x}/{y}.pbf"]["get"]["responses"]["200"]["content"]
    assert "application/vnd.mapbox-vector-tile" in tile
    photo = spec["paths"]["/api/photos/{photo_id}"]["get"]["responses"]["200"]["content"]
    assert "image/jpeg" in photo
    items = spec["paths"]["/ogc/collections/{collection_id}/items"]["get"]["parameters"]
    limit = next(p for p in items if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 321
    assert spec["openapi"].startswith("3.1")


def test_docs_pages_use_npm_copies(tmp_path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path)))
    docs = client.get("/docs")
    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs.text
    assert (
        "cdn.jsdelivr" not in docs.text
        and "default-src 'self'" in docs.headers["content-security-policy"]
    )
    redoc = client.get("/redoc")
    assert "/vendor/redoc/bundles/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis" not in redoc.text
